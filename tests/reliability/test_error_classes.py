"""The errors LangChain callers get are ordinary classes: one per ``zylon_core`` error
class, importable from ``langchain_zylon._errors``, both the ``zylon_core`` class and
LangChain's standard one, and picklable with the server's message (and status, body,
details) kept. The ``zylon_core`` classes pickle too.

Each error here is a real one: provoked through the transport against the fault
server where the server can cause it, built as the client builds it otherwise.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
from typing import Any

import httpx
import pytest
from langchain_core import exceptions as lc_errors

from langchain_zylon import _errors
from tests.reliability.fault_server import respond
from tests.reliability.support import TOKEN
from zylon_core import ZylonClient
from zylon_core import errors as z
from zylon_core.models import ChatRequest, MessageInput, TextBlock

REQUEST = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="hi")])])
CORE_CLASSES = sorted(
    (cls for _, cls in inspect.getmembers(z, inspect.isclass) if issubclass(cls, z.APIError)), key=lambda c: c.__name__
)
STATUSES = {
    z.BadRequestError: 400,
    z.AuthenticationError: 401,
    z.PermissionDeniedError: 403,
    z.NotFoundError: 404,
    z.ConflictError: 409,
    z.RequestTooLargeError: 413,
    z.UnprocessableEntityError: 422,
    z.RateLimitError: 429,
    z.InternalServerError: 500,
    z.APIStatusError: 418,
}


def provoked(server: Any, cls: type[Exception]) -> Exception:
    """A ``cls`` error, from a real exchange where one can cause it."""
    if cls in STATUSES:
        status = STATUSES[cls]
        server.play(respond(status, {"error": {"type": "api_error", "message": f"the server says {status}"}}))
        with pytest.raises(cls) as caught:
            ZylonClient(base_url=server.base_url, api_token=TOKEN, max_retries=0).threads.get("t1")
        return caught.value
    message = f"the server says so ({cls.__name__})"
    if issubclass(cls, z.ServerStreamError):
        return cls(message, error_type="overloaded_error", body={"error": {"message": message}})
    if issubclass(cls, z.InteractionFailedError):
        return cls(message, interaction={"id": "inter_1", "state": "Error"})
    if issubclass(cls, z.IngestionTimeoutError):
        return cls(message, pending=["artifact_1"])
    if issubclass(cls, z.IngestionError):
        return cls(message, artifact={"id": "artifact_1"})
    if issubclass(cls, z.APIStatusError):  # a status class added later
        request = httpx.Request("GET", "http://zylon.invalid/x")
        return cls(message, response=httpx.Response(400, request=request))
    return cls(message)


def test_every_core_error_class_has_its_langchain_class():
    assert CORE_CLASSES, "no error classes found"
    for cls in CORE_CLASSES:
        mapped = _errors.LANGCHAIN_ERRORS[cls]
        assert mapped.__name__ == f"Zylon{cls.__name__}" and mapped.__module__ == "langchain_zylon._errors"
        assert getattr(importlib.import_module("langchain_zylon._errors"), mapped.__name__) is mapped
        assert issubclass(mapped, cls) and issubclass(mapped, lc_errors.ModelError)


@pytest.mark.parametrize("cls", CORE_CLASSES, ids=lambda c: c.__name__)
def test_each_langchain_error_pickles_with_the_servers_message(server, cls):
    error = _errors.to_langchain_error(provoked(server, cls))
    assert type(error) is _errors.LANGCHAIN_ERRORS[cls]
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert isinstance(copy, cls) and isinstance(copy, lc_errors.ModelError)
    assert str(copy) == str(error) and "the server says" in str(copy)
    assert copy.message == error.message and copy.args == error.args
    for name in ("status_code", "body", "details", "error_type", "interaction", "pending", "artifact"):
        assert getattr(copy, name, None) == getattr(error, name, None), name


@pytest.mark.parametrize("cls", CORE_CLASSES, ids=lambda c: c.__name__)
def test_each_core_error_pickles_with_the_servers_message(server, cls):
    error = provoked(server, cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and str(copy) == str(error) and "the server says" in str(copy)


def test_a_raised_langchain_error_is_one_of_these_classes(server):
    from langchain_zylon import ChatZylon

    server.play(respond(429, {"message": "slow down"}))
    with pytest.raises(lc_errors.ModelRateLimitError) as caught:
        ChatZylon(base_url=server.base_url, api_token=TOKEN, max_retries=0).invoke("hi")
    assert type(caught.value) is _errors.ZylonRateLimitError
    copy = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(copy, z.RateLimitError) and "slow down" in str(copy) and copy.status_code == 429
