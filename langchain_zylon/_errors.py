"""Zylon errors re-raised as LangChain's standard model errors.

Each raised error is an instance of *both* the ``zylon_core`` class (so
``except zylon_core.RateLimitError`` keeps working) and the matching
``langchain_core.exceptions`` class (``ModelRateLimitError``, ...), the way
``langchain-anthropic`` does it: one ordinary class here per ``zylon_core`` error
class (``ZylonRateLimitError`` for ``RateLimitError``...), importable from this module
and picklable (by state: the message, status, body and details the server gave).
Configuration errors (``ValueError`` s raised before any request) are left as they are.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Iterator

from langchain_core import exceptions as lc

from zylon_core import errors as z


class ZylonAPIError(z.APIError, lc.ModelError):
    pass


class ZylonAPIConnectionError(z.APIConnectionError, lc.ModelConnectionError):
    pass


class ZylonAPITimeoutError(z.APITimeoutError, lc.ModelTimeoutError):
    pass


class ZylonAPIStatusError(z.APIStatusError, lc.ModelAPIError):
    pass


class ZylonBadRequestError(z.BadRequestError, lc.ModelInvalidRequestError):
    pass


class ZylonAuthenticationError(z.AuthenticationError, lc.ModelAuthenticationError):
    pass


class ZylonPermissionDeniedError(z.PermissionDeniedError, lc.ModelPermissionDeniedError):
    pass


class ZylonNotFoundError(z.NotFoundError, lc.ModelNotFoundError):
    pass


class ZylonConflictError(z.ConflictError, lc.ModelAPIError):
    pass


class ZylonRequestTooLargeError(z.RequestTooLargeError, lc.ModelInvalidRequestError):
    pass


class ZylonUnprocessableEntityError(z.UnprocessableEntityError, lc.ModelInvalidRequestError):
    pass


class ZylonRateLimitError(z.RateLimitError, lc.ModelRateLimitError):
    pass


class ZylonInternalServerError(z.InternalServerError, lc.ModelAPIError):
    pass


class ZylonStreamError(z.StreamError, lc.ModelAPIError):
    pass


class ZylonServerStreamError(z.ServerStreamError, lc.ModelAPIError):
    pass


class ZylonInteractionFailedError(z.InteractionFailedError, lc.ModelAPIError):
    pass


class ZylonIngestionError(z.IngestionError, lc.ModelError):
    pass


class ZylonIngestionTimeoutError(z.IngestionTimeoutError, lc.ModelError):
    pass


LANGCHAIN_ERRORS: dict[type[Exception], type[Exception]] = {
    cls.__bases__[0]: cls  # the zylon_core class each one extends
    for cls in (
        ZylonAPIError,
        ZylonAPIConnectionError,
        ZylonAPITimeoutError,
        ZylonAPIStatusError,
        ZylonBadRequestError,
        ZylonAuthenticationError,
        ZylonPermissionDeniedError,
        ZylonNotFoundError,
        ZylonConflictError,
        ZylonRequestTooLargeError,
        ZylonUnprocessableEntityError,
        ZylonRateLimitError,
        ZylonInternalServerError,
        ZylonStreamError,
        ZylonServerStreamError,
        ZylonInteractionFailedError,
        ZylonIngestionError,
        ZylonIngestionTimeoutError,
    )
}
"""``zylon_core`` error class → the class raised to LangChain callers."""


def _add_missing() -> None:
    """A ``zylon_core`` error class added after this list still gets its class, made once
    here at import (so that it pickles too), with the LangChain class of its nearest
    listed ancestor."""
    for _, cls in inspect.getmembers(z, inspect.isclass):
        if issubclass(cls, z.APIError) and cls not in LANGCHAIN_ERRORS:
            ancestor = next(base for base in cls.__mro__ if base in LANGCHAIN_ERRORS)
            lc_cls = next(base for base in LANGCHAIN_ERRORS[ancestor].__mro__ if base.__module__ == lc.__name__)
            name = f"Zylon{cls.__name__}"
            made = type(name, (cls, lc_cls), {"__module__": __name__, "__qualname__": name})
            globals()[name] = LANGCHAIN_ERRORS[cls] = made


_add_missing()


def to_langchain_error(error: Exception) -> Exception:
    """The same error, also an instance of the matching LangChain model error."""
    if isinstance(error, lc.ModelError) or not isinstance(error, z.APIError):
        return error
    cls = LANGCHAIN_ERRORS.get(type(error))
    if cls is None:  # a subclass made outside zylon_core.errors: keep it as it is
        return error
    new = cls.__new__(cls)
    new.__dict__.update(error.__dict__)
    new.args = error.args
    return new


@contextlib.contextmanager
def mapped_errors() -> Iterator[None]:
    try:
        yield
    except z.APIError as error:
        converted = to_langchain_error(error)
        if converted is error:
            raise
        raise converted.with_traceback(error.__traceback__) from error.__cause__
