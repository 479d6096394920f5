"""What the server runs itself, as the real server shows it (``zylon-api/captures``):
built-in tools, document conversion, sources and citations. Deterministic, like
:mod:`.engine`, which calls these.

* Every built-in tool call is a ``server_tool_use`` (``id`` ``srvtoolu_<32 hex>``, ``name``
  the tool's name in the request, ``input`` ``{"query", "artifacts": null}`` for a search)
  followed by its ``server_tool_result``. A search's result holds, with the ``zylon``
  extension only, a ``source`` block of ``"object": "context.chunk"`` sources, and always a
  text listing ``Citation identifier [ID]\\n---\\nContent:\\n<chunk>\\n===`` per hit. A
  failed tool's result is a plain string with ``is_error: true``.
* Every ``document`` / ``binary`` input block is converted first: a ``server_tool_use``
  named ``document_preprocessing`` (``input`` ``{"type": "document", "index", "name"}``)
  and a result ``Converted document i of n.``; the document's text joins the prompt.
* A cited answer carries inline markup ``<citation id='IK79' index='0' artifact_id='A'
  source_id='<chunk id>' correlation_id='C'></citation>`` after what it cites, and
  ``citations`` with integer ``index`` (the hit's position in the tool result) and ``id``
  the chunk's 4-character ``shorter_id``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import TYPE_CHECKING, Any

from .state import Hit

if TYPE_CHECKING:
    from .engine import EngineInput

SEARCH_TOOL_TYPES = ("semantic_search_v1", "file_semantic_search_v1")
DOCUMENT_TOOL = "document_preprocessing"
# The tool the Workspace runs when a request puts artifacts in scope without naming a tool.
SCOPE_TOOL = {"name": "semantic_search", "type": "semantic_search_v1"}
CITATION = re.compile(r"<citation\b[^>]*></citation>")


def server_tool_id(seed: str, position: int) -> str:
    return "srvtoolu_" + hashlib.sha1(f"{seed}:server:{position}".encode()).hexdigest()[:32]


def tool_use_id(seed: str, position: int) -> str:
    return "tool_" + hashlib.sha1(f"{seed}:tool:{position}".encode()).hexdigest()[:32]


def signature(seed: str, position: int = 0) -> str:
    return "sig_" + hashlib.sha1(f"{seed}:sig:{position}".encode()).hexdigest()[:32]


def correlation_id(seed: str) -> str:
    digest = hashlib.sha1(f"{seed}:correlation".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


def excerpt(text: str, max_words: int) -> str:
    words = text.split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")


def pair(use_id: str, name: str, use_input: dict[str, Any], content: Any, is_error: bool = False) -> list[dict[str, Any]]:
    """A ``server_tool_use`` and its ``server_tool_result``."""
    return [
        {"type": "server_tool_use", "id": use_id, "name": name, "input": use_input},
        {"type": "server_tool_result", "tool_use_id": use_id, "content": content, "is_error": is_error},
    ]


# -- documents ----------------------------------------------------------------------------------


def document_text(block: dict[str, Any]) -> tuple[str, str]:
    """``(name, text)`` of a ``document`` or ``binary`` input block."""
    if block.get("type") == "binary":
        name = str(block.get("filename") or "document")
        return name, _decoded(str(block.get("data") or ""), str(block.get("mime_type") or ""))
    found = block.get("source")
    source: dict[str, Any] = found if isinstance(found, dict) else {}
    name = str(block.get("title") or "document")
    kind = source.get("type")
    if kind == "text":
        return name, str(source.get("data") or "")
    if kind == "base64":
        return name, _decoded(str(source.get("data") or ""), str(source.get("media_type") or ""))
    if kind == "url":
        return name, f"(the document at {source.get('url')}; the emulator does not download URLs)"
    if kind == "content":
        parts = source.get("content") or []
        return name, " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))
    return name, ""


def _decoded(data: str, mime: str) -> str:
    if data.startswith(("http://", "https://")):
        return f"(the file at {data}; the emulator does not download URLs)"
    try:
        raw = base64.b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return ""
    if mime.startswith("text/") or mime in ("application/json", "application/xml", ""):
        return raw.decode("utf-8", errors="replace")
    return f"({len(raw)} bytes of {mime})"


def preprocess_documents(message: dict[str, Any] | None, seed: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The conversion blocks for the documents of the new turn, and ``(name, text)`` of each."""
    if message is None:
        return [], []
    documents = [b for b in message["content"] if b.get("type") in ("document", "binary")]
    blocks: list[dict[str, Any]] = []
    texts: list[tuple[str, str]] = []
    for index, block in enumerate(documents):
        name, text = document_text(block)
        use_id = server_tool_id(seed, 100 + index)
        content = [{"type": "text", "text": f"Converted document {index + 1} of {len(documents)}."}]
        blocks.extend(pair(use_id, DOCUMENT_TOOL, {"type": "document", "index": index, "name": name}, content))
        texts.append((name, text))
    return blocks, texts


# -- sources and citations ---------------------------------------------------------------------


def chunk_source(hit: Hit, key: str = "object", in_tool_result: bool = True) -> dict[str, Any]:
    """A hit as a source, keyed the way the real server keys it (``object``)."""
    doc_metadata = {"file_name": hit.file_name, "artifact_id": hit.artifact_id, "collection": hit.collection}
    metadata: dict[str, Any] = {"shorter_id": hit.shorter_id, "abs_idx": hit.abs_idx, "rel_idx": hit.rel_idx}
    if in_tool_result:
        metadata.update(doc_metadata, score=hit.score)
    return {
        key: "context.chunk",
        "id": hit.chunk_id,
        "score": hit.score,
        "document": {"object": "ingest.document", "artifact": hit.artifact_id, "doc_metadata": doc_metadata},
        "text": hit.text,
        "content_type": "text/markdown",
        "previous_texts": list(hit.previous),
        "next_texts": list(hit.next),
        "metadata": metadata,
    }


def identifiers_text(hits: list[Hit]) -> str:
    """The text a search result gives the model: one ``Citation identifier`` section per hit."""
    return "\n".join(f"Citation identifier [{hit.shorter_id}]\n---\nContent:\n{hit.text}\n\n===" for hit in hits)


def citation_markup(citation: dict[str, Any], correlation: str) -> str:
    return (
        f"<citation id='{citation['id']}' index='{citation['index']}' artifact_id='{citation['artifact_id']}' "
        f"source_id='{citation['source_id']}' correlation_id='{correlation}'></citation>"
    )


def cited_answer(hits: list[Hit], inp: "EngineInput", lead: str) -> dict[str, Any]:
    """The text block answering from ``hits``: ``lead``, then with citations enabled one
    markup per hit and the ``citations`` list."""
    best = hits[0]
    text = f"{lead}According to {best.name}: {excerpt(best.text, 60)}"
    if len(hits) > 1:
        text += f" ({len(hits)} relevant passages found.)"
    if not inp.citations:
        return {"type": "text", "text": text}
    citations = [
        {"id": hit.shorter_id, "index": position, "artifact_id": hit.artifact_id, "source_id": hit.chunk_id}
        for position, hit in enumerate(hits)
    ]
    correlation = inp.correlation_id or correlation_id(inp.id_seed)
    marks = " ".join(citation_markup(c, correlation) for c in citations)
    return {"type": "text", "text": f"{text} {marks}.", "citations": citations}


# -- built-in tools -------------------------------------------------------------------------------


def run_builtin(tool: dict[str, Any], prompt: str, inp: "EngineInput", use_id: str) -> tuple[list[dict[str, Any]], list[Hit]]:
    """The ``server_tool_use`` / ``server_tool_result`` of one built-in tool, and its hits."""
    kind = tool.get("type")
    name = str(tool["name"])
    if kind in SEARCH_TOOL_TYPES:
        use_input: dict[str, Any] = {"query": prompt, "artifacts": None}
        if inp.tool_search is None:
            failure = f"{kind} needs a tool_context: an 'ingested_artifact' with a context_filter naming a collection"
            return pair(use_id, name, use_input, failure, is_error=True), []
        hits = inp.tool_search(prompt, 5)
        content: list[dict[str, Any]] = []
        if hits and inp.zylon:
            content.append({"type": "source", "sources": [chunk_source(h, inp.source_key) for h in hits]})
        content.append({"type": "text", "text": identifiers_text(hits) if hits else "No matching passages were found."})
        return pair(use_id, name, use_input, content), hits
    if kind == "list_project_files_v1":
        files = inp.list_files() if inp.list_files is not None else []
        result = "Project files: " + (", ".join(files) if files else "none") + "."
        return pair(use_id, name, {}, [{"type": "text", "text": result}]), []
    failure = f"{kind} is not available in the Zylon emulator (it has no external data)"
    return pair(use_id, name, {"query": prompt}, failure, is_error=True), []


def builtin_summary(tools: list[dict[str, Any]], inp: "EngineInput") -> str:
    kinds = {t.get("type") for t in tools}
    if kinds == {"list_project_files_v1"}:
        files = inp.list_files() if inp.list_files is not None else []
        listed = ": " + ", ".join(files) + "." if files else "."
        return f"The project has {len(files)} file{'' if len(files) == 1 else 's'}{listed}"
    names = ", ".join(str(t["name"]) for t in tools)
    return f"I could not get data from {names}."
