"""The pure LlamaIndex ⇄ Zylon codec: no client, no network.

* :mod:`.inputs`: LlamaIndex ``ChatMessage`` s and content blocks → Zylon
  ``MessageInput`` s and ``system.text`` (reads a local file a block names by ``path``,
  nothing else);
* :mod:`.media`: media and document blocks ⇄ Zylon's ``image``/``audio``/``binary``/
  ``document`` blocks;
* :mod:`.tools`: LlamaIndex tools, ``tool_choice`` and ``response_format`` schemas →
  their Zylon wire forms;
* :mod:`.outputs`: a complete Zylon answer → ``ChatMessage`` and the
  ``ChatResponse.additional_kwargs`` metadata; :mod:`.citations`: its citations and
  sources → ``CitationBlock`` s;
* :mod:`.streaming`: ``StreamDelta`` s → the partial ``ChatMessage`` so far;
* :mod:`.responses`: a turn's result and stream → ``ChatResponse`` /
  ``CompletionResponse``;
* :mod:`.structured`: a JSON answer → a pydantic object (and partial objects while
  it streams);
* :mod:`.history`: a thread's stored turns (Zylon ``MessageInput`` s and answers) →
  ``ChatMessage`` s, and what the chat store's adding rules need to know of a message.

Anything Zylon's wire format cannot express is a ``ValueError`` naming it, raised
before any request is made.
"""

try:  # the newest block types this codec needs; an older core fails here, by name
    from llama_index.core.base.llms.types import CitableBlock, CitationBlock, ThinkingBlock, ToolCallBlock  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed version
    from importlib.metadata import version

    raise ImportError(
        "llama_index_zylon needs llama-index-core >= 0.14.5 (ToolCallBlock, ThinkingBlock, "
        f"CitationBlock, CitableBlock); installed: {version('llama-index-core')}"
    ) from exc

from .history import from_zylon_input
from .inputs import to_zylon_blocks, to_zylon_messages
from .outputs import ZYLON_BLOCKS, DecodedOutput, decode_blocks, decode_output, response_metadata, usage_metadata
from .streaming import StreamState
from .tools import (
    builtin_tool_names,
    inline_refs,
    json_schema_for,
    response_format_for,
    to_zylon_tool,
    to_zylon_tool_choice,
    to_zylon_tools,
)

__all__ = [
    "ZYLON_BLOCKS",
    "DecodedOutput",
    "StreamState",
    "builtin_tool_names",
    "decode_blocks",
    "decode_output",
    "from_zylon_input",
    "inline_refs",
    "json_schema_for",
    "response_format_for",
    "response_metadata",
    "to_zylon_blocks",
    "to_zylon_messages",
    "to_zylon_tool",
    "to_zylon_tool_choice",
    "to_zylon_tools",
    "usage_metadata",
]
