"""zylon_core: the framework-free core shared by ``langchain_zylon`` and ``llama_index_zylon``.

The public surface is what this module exports (clients, settings, the turn API and its
stream types, errors), plus :mod:`zylon_core.errors`, :mod:`zylon_core.models` (typed
payloads) and :mod:`zylon_core.emulator`. Modules whose names start with ``_`` are
internal. It imports neither framework.
"""

from ._client import AsyncTurnStream, AsyncZylonClient, BaseClient, TurnStream, ZylonClient
from ._collection_ops import NewDocument
from ._collections import CollectionHit, StoredDocument
from ._retries import RetryPolicy
from ._settings import ZylonSettings
from ._sse import EventParser, decode_event
from ._streaming import StreamAccumulator, StreamDelta, normalize_stop_reason
from ._turns import Route, TurnResult
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    IngestionError,
    IngestionTimeoutError,
    InteractionFailedError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    ServerStreamError,
    StreamError,
    ThreadRewriteError,
    UnprocessableEntityError,
    UnsavedMessagesError,
    ZylonError,
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncTurnStream",
    "AsyncZylonClient",
    "AuthenticationError",
    "BadRequestError",
    "BaseClient",
    "CollectionHit",
    "ConfigurationError",
    "ConflictError",
    "EventParser",
    "IngestionError",
    "IngestionTimeoutError",
    "InteractionFailedError",
    "InternalServerError",
    "NewDocument",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTooLargeError",
    "RetryPolicy",
    "Route",
    "ServerStreamError",
    "StreamAccumulator",
    "StreamDelta",
    "StoredDocument",
    "StreamError",
    "ThreadRewriteError",
    "TurnResult",
    "TurnStream",
    "UnprocessableEntityError",
    "UnsavedMessagesError",
    "ZylonClient",
    "ZylonError",
    "ZylonSettings",
    "__version__",
    "decode_event",
    "normalize_stop_reason",
]
