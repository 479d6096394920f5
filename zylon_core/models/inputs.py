"""Which content blocks each Zylon API accepts as input, checked before a request.

Reading accepts any block (see :mod:`.blocks`); sending does not: ZylonGPT answers 400
for a block type outside its list (``file``, ``video``...), so the request builder calls
:func:`check_input_blocks` first and the caller gets an error naming the block and what
to send instead.
"""

from __future__ import annotations

import base64
from typing import Any, Iterable, Literal, Mapping

from .._checks import is_text_mime, utf8_text

# The tags of ZylonGPT's input block union, as its validation errors list them
# (captures err_unknown_block_type, msg_file_client_shape). There is no ``file``.
GPT_INPUT_BLOCK_TYPES: frozenset[str] = frozenset(
    {
        "text",
        "image",
        "audio",
        "binary",
        "local_resource",
        "resource_link",
        "resource",
        "source",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "server_tool_use",
        "container_upload",
        "document",
        "search_result",
        "mid_conv_system",
        "tldr",
        "bash_code_execution_result",
        "bash_code_execution_tool_result_error",
        "text_editor_code_execution_tool_result_error",
        "text_editor_code_execution_view_result",
        "text_editor_code_execution_create_result",
        "text_editor_code_execution_str_replace_result",
        "web_search_result",
        "web_fetch_result",
        "tool_result",
        "server_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "web_search_tool_result",
        "web_fetch_tool_result",
    }
)

# The Workspace schema's types that ZylonGPT (which runs every Workspace chat) also
# accepts -- so not ``file`` -- plus the blocks a ZylonGPT answer holds, which go back
# unchanged when that answer is replayed as history.
WORKSPACE_INPUT_BLOCK_TYPES: frozenset[str] = frozenset(
    {
        "text",
        "image",
        "audio",
        "binary",
        "source",
        "tldr",
        "thinking",
        "tool_use",
        "tool_result",
        "server_tool_use",
        "server_tool_result",
        "redacted_thinking",
        "document",
    }
)

INPUT_BLOCK_TYPES: dict[str, frozenset[str]] = {
    "workspace": WORKSPACE_INPUT_BLOCK_TYPES,
    "gpt": GPT_INPUT_BLOCK_TYPES,
}

# Blocks whose ``content`` holds more blocks, checked the same way.
_NESTING = ("tool_result", "server_tool_result", "tldr", "search_result")


def check_input_blocks(messages: Iterable[Any], api: Literal["workspace", "gpt"]) -> None:
    """Raise ``ValueError`` if a message holds a block ``api`` does not accept as input.

    ``messages`` are ``MessageInput`` models or their dicts; a string content is always
    fine. The error names the block (``messages[0].content[1]``), its type and what to
    send instead: a file goes as ``binary`` on the Workspace and as ``document`` with
    the ``gpt`` API, never as ``file``; a ``thinking`` block needs its ``signature``.
    Pure: no request is made.
    """
    allowed = INPUT_BLOCK_TYPES.get(api)
    if allowed is None:
        raise ValueError(f"unknown Zylon API {api!r}; expected 'workspace' or 'gpt'")
    for m, message in enumerate(messages):
        content = _get(message, "content")
        if isinstance(content, (list, tuple)):
            _check(content, f"messages[{m}].content", allowed, api)


def _check(blocks: Iterable[Any], where: str, allowed: frozenset[str], api: str) -> None:
    for position, block in enumerate(blocks):
        here = f"{where}[{position}]"
        kind = _get(block, "type")
        if not isinstance(kind, str):
            raise ValueError(f"{here}: a content block must be an object with a string 'type', got {_shape(block)}")
        if kind not in allowed:
            raise ValueError(f"{here}: {_refusal(kind, allowed, api)}")
        if kind == "thinking" and not _get(block, "signature"):
            # capture client_C_thinking_history_no_signature: the server answers 400.
            raise ValueError(
                f"{here}: a thinking block goes back to Zylon only with its 'signature' (the server answers 400 "
                "without it): send the block as it was received, or leave it out"
            )
        if kind in _NESTING:
            inner = _get(block, "content")
            if isinstance(inner, (list, tuple)):
                _check(inner, f"{here}.content", allowed, api)


def _refusal(kind: str, allowed: frozenset[str], api: str) -> str:
    if kind == "file":
        if api == "gpt":
            return (
                "Zylon has no 'file' input block (the server answers 400); send the file as a "
                "'document' block ({'type': 'document', 'source': {'type': 'text' or 'base64', "
                "'media_type': ..., 'data': ...}, 'title': <file name>})"
            )
        return (
            "Zylon has no 'file' input block (the server answers 400); send the file as a "
            "'binary' block ({'type': 'binary', 'data': <base64>, 'mime_type': ..., 'filename': ...})"
        )
    where = "ZylonGPT (api='gpt')" if api == "gpt" else "the Workspace chat API"
    return f"{where} does not accept a {kind!r} content block; it accepts: {', '.join(sorted(allowed))}"


def _get(value: Any, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key)
    return getattr(value, key, None)


def _shape(value: Any) -> str:
    return "an object without 'type'" if isinstance(value, Mapping) else type(value).__name__


def file_input_block(
    raw: bytes | None = None,
    *,
    url: str | None = None,
    mime_type: str | None = None,
    filename: str | None = None,
    api: Literal["workspace", "gpt"] = "workspace",
    where: str = "file",
) -> dict[str, Any]:
    """The wire block that hands a file to ``api`` (never ``file``, which ZylonGPT refuses).

    ``raw`` is the file's bytes, or ``url`` an http(s) address Zylon fetches itself.

    * ``"workspace"``: ``{"type": "binary", "data": <base64 of the bytes, or the URL>,
      "mime_type", "filename"}`` (the Workspace schema's block; ZylonGPT converts it
      like a document: ``document_preprocessing``);
    * ``"gpt"``: ``{"type": "document", "source": ..., "title": <filename>}`` with a
      ``text`` source (``media_type``, the UTF-8 text) for a text MIME type, else a
      ``base64`` source, or a ``url`` source (not in the captures: the README names it).

    ``mime_type`` defaults to ``application/octet-stream``. Raises ``ValueError`` naming
    ``where``: neither or both of ``raw`` and ``url``, text that is not UTF-8, an
    unknown ``api``. Pure: no request is made.
    """
    if api not in INPUT_BLOCK_TYPES:
        raise ValueError(f"unknown Zylon API {api!r}; expected 'workspace' or 'gpt'")
    if (raw is None) == (url is None):
        raise ValueError(f"{where}: a file needs its bytes or a URL (exactly one of them)")
    mime = mime_type or "application/octet-stream"
    if api == "workspace":
        data = url if url is not None else base64.b64encode(raw or b"").decode("ascii")
        block: dict[str, Any] = {"type": "binary", "data": data, "mime_type": mime}
        if filename:
            block["filename"] = filename
        return block
    if url is not None:
        source: dict[str, Any] = {"type": "url", "url": url}
    elif is_text_mime(mime):
        source = {"type": "text", "media_type": mime, "data": utf8_text(raw or b"", where)}
    else:
        source = {"type": "base64", "media_type": mime, "data": base64.b64encode(raw or b"").decode("ascii")}
    block = {"type": "document", "source": source}
    if filename:
        block["title"] = filename
    return block
