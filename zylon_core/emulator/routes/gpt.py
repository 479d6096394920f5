"""ZylonGPT (``/api/gpt/v1``): ``POST /messages`` (sync, or SSE with ``stream: true``),
``POST /messages/validate``, ``POST /embeddings``, ``POST /primitives/search`` (chunk
search), and the ingestion routes ``POST /artifacts/ingest``, ``GET /artifacts/list``,
``POST /artifacts/delete``, ``POST /artifacts/content``.

``/messages`` also takes Anthropic's ``system`` (a string or a list of text blocks), so
Anthropic's own SDK can call it; its answers use the Anthropic vocabulary and shape
(``type: message``, ``stop_sequence``, streams always ``full``). Built-in search tools
search the collections their ``tool_context`` (or the tool's ``context``) names, else
every collection. Embeddings are deterministic hashed bags of words. Ingested text is
chunked into the named collection (``pgpt_collection`` by default); a Workspace
project's artifacts are the collection named after the project id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
from typing import Any

from starlette.responses import JSONResponse, Response

from ..answers import Scope, engine_input, message_events, sse_response
from ..context import GPT, Context, Endpoint
from ..engine import generate
from ..errors import error, invalid, not_found
from ..schemas import ChatRequest, DeleteIngestedBody, EmbeddingsBody, IngestBody, SemanticSearch
from ..state import Document, EmulatorState, Hit, terms
from ..validation import parse_body, parse_chat, validation_report

DEFAULT_COLLECTION = "pgpt_collection"


def hashed_embedding(text: str, dim: int) -> list[float]:
    """A deterministic unit vector: signed hashing of the text's content words."""
    words = terms(text) or re.findall(r"\w+", text.lower())
    vector = [0.0] * dim
    for word in words:
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "little") % dim] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [round(v / norm, 6) for v in vector] if norm else vector


def anthropic_compatible(body: Any) -> Any:
    """Accept Anthropic's string/list ``system`` by moving it into ``system.text``."""
    if isinstance(body, dict):
        system = body.get("system")
        if isinstance(system, str):
            body = {**body, "system": {"text": system}}
        elif isinstance(system, list) and all(isinstance(b, dict) and b.get("type") == "text" for b in system):
            body = {**body, "system": {"text": "\n".join(str(b.get("text", "")) for b in system)}}
    return body


def parse_messages_body(data: Any) -> ChatRequest:
    return parse_chat(anthropic_compatible(data))


def gpt_scope(state: EmulatorState, request: ChatRequest) -> Scope:
    """What built-in search tools search: the ``ingested_artifact`` context filters of
    ``tool_context`` and of the tools' ``context``, else every collection."""
    filters: list[dict[str, Any]] = []
    contexts = [c for t in request.tools or () for c in (t.context or [])]
    for item in list(request.tool_context or []) + contexts:
        if isinstance(item, dict) and item.get("type") == "ingested_artifact" and isinstance(item.get("context_filter"), dict):
            filters.append(item["context_filter"])

    def all_search(query: str, limit: int) -> list[Hit]:
        return state.search(query, limit=limit, positive_only=True)

    if not filters:
        return None, all_search, None

    def scoped(query: str, limit: int) -> list[Hit]:
        hits: list[Hit] = []
        for f in filters:
            collection = f.get("collection") or DEFAULT_COLLECTION
            hits.extend(state.search(query, collections=[collection], artifacts=f.get("artifacts"), limit=limit, positive_only=True))
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]

    return scoped, scoped, None


async def messages(ctx: Context) -> Any:
    request = parse_messages_body(ctx.body)
    message_id = ctx.state.new_id("msg")
    output = generate(engine_input(request, [], seed=message_id, scope=gpt_scope(ctx.state, request)))
    message = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "content": output.content,
        "model": ctx.options.model_name or "private-gpt",
        "stop_reason": output.stop_reason,
        "stop_sequence": None,
        "usage": output.usage,
    }
    if request.stream:
        return sse_response(ctx.options, message_events(ctx.options, message, "full", output.pieces).events)
    return message


async def messages_validate(ctx: Context) -> Any:
    # Unlike the Workspace's chat/validate, an invalid body is a 400 (with the report).
    report = validation_report(ctx.body, parse_messages_body)
    if report["valid"]:
        return report
    return JSONResponse({**report, "message": "invalid request body: " + "; ".join(report["errors"][:5])}, status_code=400)


async def embeddings(ctx: Context) -> Any:
    body = parse_body(EmbeddingsBody, ctx.body)
    inputs = [body.input] if isinstance(body.input, str) else list(body.input)
    dim = ctx.options.embedding_dim
    return {
        "object": "list",
        "model": ctx.options.model_name or "private-gpt",
        "data": [
            {"index": index, "object": "embedding", "embedding": hashed_embedding(text, dim)}
            for index, text in enumerate(inputs)
        ],
    }


async def chunk_search(ctx: Context) -> Any:
    body = parse_body(SemanticSearch, ctx.body)
    errors = []
    if body.limit is not None and body.limit < 1:
        errors.append(error("limit", "must be >= 1"))
    if body.score_threshold is not None and not 0 <= body.score_threshold <= 1:
        errors.append(error("score_threshold", "must be between 0 and 1"))
    if errors:
        raise invalid(errors)
    collection = body.context_filter.collection or DEFAULT_COLLECTION
    hits = ctx.state.search(
        body.text,
        collections=[collection],
        artifacts=body.context_filter.artifacts,
        limit=body.limit or 10,
        score_threshold=body.score_threshold or 0.0,
        expand=bool(body.expand),
    )
    return {
        "object": "list",
        "model": ctx.options.model_name or "private-gpt",
        "data": [
            {
                "object": "context.chunk",
                "id": hit.chunk_id,
                "score": hit.score,
                "document": {"object": "ingest.document", "artifact": hit.artifact_id, "doc_metadata": hit.doc_metadata},
                "text": hit.text,
                "content_type": "text/plain",
                "previous_texts": hit.previous if body.expand else None,
                "next_texts": hit.next if body.expand else None,
            }
            for hit in hits
        ],
    }


def ingested(ctx: Context, documents: list[Document]) -> dict[str, Any]:
    return {
        "object": "list",
        "model": ctx.options.model_name or "private-gpt",
        "data": [{"object": "ingest.document", "artifact": d.artifact, "doc_metadata": d.metadata} for d in documents],
    }


async def ingest(ctx: Context) -> Any:
    body = parse_body(IngestBody, ctx.body)
    if body.input.type == "file":
        try:
            text = base64.b64decode(body.input.value, validate=True).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            raise invalid([error("input.value", "a file input must be base64")]) from None
    elif body.input.type == "uri":
        text = f"Content of {body.input.value} (the emulator does not download URIs)."
    else:
        text = body.input.value
    document = ctx.state.ingest(body.collection, body.artifact, text, body.metadata or {})
    return ingested(ctx, [document])


async def list_ingested(ctx: Context) -> Any:
    collection = ctx.query("collection") or DEFAULT_COLLECTION
    return ingested(ctx, list(ctx.state.collections.get(collection, {}).values()))


async def delete_ingested(ctx: Context) -> Any:
    body = parse_body(DeleteIngestedBody, ctx.body)
    if not ctx.state.remove_document(body.collection, body.artifact):
        raise not_found("artifact", body.artifact)
    return Response(status_code=200)


async def artifact_content(ctx: Context) -> Any:
    data = ctx.body if isinstance(ctx.body, dict) else {}
    filters = data.get("context_filter")
    if not isinstance(filters, dict):
        raise invalid([error("context_filter", "required")])
    collection = filters.get("collection") or DEFAULT_COLLECTION
    wanted = filters.get("artifacts")
    docs = ctx.state.collections.get(collection, {})
    return {
        "data": [
            {"artifact_id": artifact, "content": document.text}
            for artifact, document in docs.items()
            if wanted is None or artifact in wanted
        ]
    }


ROUTES = [
    Endpoint(f"{GPT}/messages", ["POST"], messages, "gpt"),
    Endpoint(f"{GPT}/messages/validate", ["POST"], messages_validate, "gpt"),
    Endpoint(f"{GPT}/embeddings", ["POST"], embeddings, "gpt"),
    Endpoint(f"{GPT}/primitives/search", ["POST"], chunk_search, "gpt"),
    Endpoint(f"{GPT}/artifacts/ingest", ["POST"], ingest, "gpt"),
    Endpoint(f"{GPT}/artifacts/list", ["GET"], list_ingested, "gpt"),
    Endpoint(f"{GPT}/artifacts/delete", ["POST"], delete_ingested, "gpt"),
    Endpoint(f"{GPT}/artifacts/content", ["POST"], artifact_content, "gpt"),
]
