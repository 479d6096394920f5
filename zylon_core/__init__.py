"""zylon_core: the framework-free core shared by ``langchain_zylon`` and ``llama_index_zylon``.

Settings, the HTTP transport (sync and async), typed payload models, SSE decoding and
the stream accumulator, errors, retries and pagination. It imports neither framework.
"""

from ._version import __version__
from .client import AsyncTurnStream, AsyncZylonClient, TurnStream, ZylonClient
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InteractionFailedError,
    IngestionError,
    IngestionTimeoutError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    ServerStreamError,
    StreamError,
    UnprocessableEntityError,
    ZylonError,
)
from .resources import Pager
from .retries import RetryPolicy
from .settings import ZylonSettings
from .streaming import StreamAccumulator, StreamDelta, decode_event, normalize_stop_reason
from .turns import Route, TurnPlan, TurnResult, check_message, deltas_from_message, new_turn_messages

__all__ = [name for name in dir() if not name.startswith("_")]
