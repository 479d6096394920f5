"""LlamaIndex integrations for Zylon private AI.

* :class:`Zylon` - a ``FunctionCallingLLM`` over the Zylon Workspace chat API.
* :class:`ZylonChatStore` - a ``BaseChatStore`` whose keys are Zylon thread ids.
* :class:`ZylonMemoryStore` - the ``AsyncDBChatStore`` of LlamaIndex's ``Memory``, over
  Zylon threads (the memory's ``session_id`` is a thread id).
* :class:`ZylonEmbedding` - a ``BaseEmbedding`` over the ZylonGPT embeddings endpoint.
* :class:`ZylonRetriever` - a ``BaseRetriever`` over ZylonGPT chunk search.
* :class:`ZylonProjectReader` - a project's documents in and out.

Built on :mod:`zylon_core`; this package never imports LangChain.
"""

try:
    import llama_index.core  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
    raise ModuleNotFoundError(
        "llama_index_zylon needs LlamaIndex: pip install \"zylon-integrations[llama-index]\"", name=exc.name
    ) from None

from zylon_core import ConfigurationError, ZylonError

from .chat_store import ZylonChatStore
from .embeddings import ZylonEmbedding
from .llms import Zylon
from .memory_store import ZylonMemoryStore
from .readers import ZylonProjectReader
from .retrievers import ZylonRetriever

__all__ = [
    "ConfigurationError",
    "Zylon",
    "ZylonChatStore",
    "ZylonEmbedding",
    "ZylonError",
    "ZylonMemoryStore",
    "ZylonProjectReader",
    "ZylonRetriever",
]
