"""LangChain and LangGraph adapters for Zylon.

``ChatZylon`` is a ``BaseChatModel`` over a Zylon instance: one-shot, project and
thread chat, streaming, tool calling (custom and Zylon built-in tools), structured
output, thinking and citations. ``ZylonChatMessageHistory`` is a thread's conversation
as chat message history; embeddings and retrieval come in their own modules.
``ZylonVectorStore`` is a ZylonGPT collection as a ``VectorStore`` (the server embeds), and
:mod:`langchain_zylon.tools` makes Zylon's built-in tools for ``bind_tools``.
"""

try:
    import langchain_core  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
    raise ModuleNotFoundError(
        "langchain_zylon needs LangChain: pip install \"zylon-integrations[langchain]\"", name=exc.name
    ) from None

from zylon_core import __version__

from . import tools
from .chat_history import ZylonChatMessageHistory
from .chat_models import ChatZylon
from .documents import ZylonProjectLoader
from .embeddings import ZylonEmbeddings
from .retrievers import ZylonRetriever
from .vectorstores import ZylonVectorStore

__all__ = [
    "ChatZylon",
    "ZylonChatMessageHistory",
    "ZylonEmbeddings",
    "ZylonProjectLoader",
    "ZylonRetriever",
    "ZylonVectorStore",
    "__version__",
    "tools",
]
