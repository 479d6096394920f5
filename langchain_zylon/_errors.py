"""Zylon errors re-raised as LangChain's standard model errors.

Each raised error is an instance of *both* the ``zylon_core`` class (so
``except zylon_core.RateLimitError`` keeps working) and the matching
``langchain_core.exceptions`` class (``ModelRateLimitError``, ...), the way
``langchain-anthropic`` does it. Configuration errors are left as they are.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from langchain_core import exceptions as lc

from zylon_core import errors as z

# Most specific first: the first matching zylon class decides.
_MAPPING: tuple[tuple[type[Exception], type[Exception]], ...] = (
    (z.AuthenticationError, lc.ModelAuthenticationError),
    (z.PermissionDeniedError, lc.ModelPermissionDeniedError),
    (z.NotFoundError, lc.ModelNotFoundError),
    (z.RateLimitError, lc.ModelRateLimitError),
    (z.RequestTooLargeError, lc.ModelInvalidRequestError),
    (z.BadRequestError, lc.ModelInvalidRequestError),
    (z.UnprocessableEntityError, lc.ModelInvalidRequestError),
    (z.InternalServerError, lc.ModelAPIError),
    (z.APITimeoutError, lc.ModelTimeoutError),
    (z.APIConnectionError, lc.ModelConnectionError),
    (z.StreamError, lc.ModelAPIError),
    (z.InteractionFailedError, lc.ModelAPIError),
    (z.APIError, lc.ModelError),
)

_CACHE: dict[type[Exception], type[Exception]] = {}


def _combined(zylon_cls: type[Exception], lc_cls: type[Exception]) -> type[Exception]:
    combined = _CACHE.get(zylon_cls)
    if combined is None:
        combined = type(f"Zylon{zylon_cls.__name__}", (zylon_cls, lc_cls), {"__module__": __name__})
        _CACHE[zylon_cls] = combined
    return combined


def to_langchain_error(error: Exception) -> Exception:
    """The same error, also an instance of the matching LangChain model error."""
    if isinstance(error, lc.ModelError) or not isinstance(error, z.APIError):
        return error
    for zylon_cls, lc_cls in _MAPPING:
        if isinstance(error, zylon_cls):
            combined = _combined(type(error), lc_cls)
            new = combined.__new__(combined)
            new.__dict__.update(error.__dict__)
            new.args = error.args
            return new
    return error


@contextlib.contextmanager
def mapped_errors() -> Iterator[None]:
    try:
        yield
    except z.APIError as error:
        converted = to_langchain_error(error)
        if converted is error:
            raise
        raise converted.with_traceback(error.__traceback__) from error.__cause__
