"""The pure LangChain ⇄ Zylon codec: no I/O, no client.

* :mod:`.inputs`: LangChain messages → Zylon ``MessageInput`` s and ``system.text``
  (:mod:`.files`: media, files and documents, as each Zylon API takes them);
* :mod:`.outputs`: a complete Zylon answer → ``AIMessage`` (:mod:`.cited`: citations
  as annotations on the clean text);
* :mod:`.streaming`: ``StreamDelta`` s → ``AIMessageChunk`` s;
* :mod:`.history`: a thread's stored turns → LangChain messages;
* :mod:`.standard`: Zylon-shaped content → LangChain standard content blocks
  (registered as the ``"zylon"`` translator on import).
"""

from . import standard as _standard  # noqa: F401  (registers the content-block translator)
from .inputs import to_zylon_messages
from .outputs import PROVIDER, to_ai_message, usage_metadata
from .streaming import ChunkBuilder

__all__ = [
    "PROVIDER",
    "ChunkBuilder",
    "to_ai_message",
    "to_zylon_messages",
    "usage_metadata",
]
