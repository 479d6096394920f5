"""ZylonGPT (``/api/gpt/v1``) embeddings, chunk search and artifacts, in the captured
shapes (``zylon-api/captures``).

* ``POST /embeddings`` ``{"input": str | [str], "model"?}`` → ``{"object": "list", "model",
  "data": [{"index", "object": "embedding", "embedding"}]}``: deterministic hashed bags of
  words. With ``embedding_index="lookup"`` (the default, like the real server, which looks
  each vector up) an item's ``index`` is the position of the first input with an equal
  vector, so equal texts repeat an index; ``"position"`` numbers them 0..n-1. ``[]`` is a
  200 with no data.
* ``POST /primitives/search``: ``semantic_search`` with a required ``context_filter``
  (``{}`` searches ``pgpt_collection``; ``artifacts`` and ``metadata_filter`` with the
  operators ``== != > < >= <= in nin`` narrow it; an artifact not in the collection is a
  400); ``keywords_search`` / ``hybrid_search`` are a 400 "Unsupported search type".
* ``POST /artifacts/ingest`` (text, base64 ``file`` or ``uri``), ``GET /artifacts/list``
  and ``POST /artifacts/delete`` (both need ``collection``, despite the documented
  default), ``POST /artifacts/content`` (markdown, or a node tree with ``format:
  "object"``), ``POST /artifacts/chunked-content`` (per artifact a ``source`` block and
  the ``Citation identifier`` text) and ``GET /artifacts/readers``.

A Workspace project's documents are in the collection named after the project id (an
emulator convention) and carry ``project_id``/``org_id`` metadata.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from typing import Any

from pydantic import TypeAdapter
from starlette.responses import JSONResponse

from ..context import GPT, Context, Endpoint
from ..errors import gpt_runtime
from ..gpt_schemas import ContentBody, ContextFilter, DeleteIngestedBody, EmbeddingsBody, IngestBody, SearchBody, SemanticSearch
from ..server_tools import identifiers_text
from ..state import Document, Hit, terms
from ..validation import gpt_query, parse_gpt, parse_gpt_union

SEARCH_BODY: TypeAdapter[Any] = TypeAdapter(SearchBody)
_SEARCH_CLASSES = {"keywords_search": "KeywordSearch", "hybrid_search": "HybridSearch"}


def hashed_embedding(text: str, dim: int) -> list[float]:
    """A deterministic unit vector: signed hashing of the text's content words."""
    words = terms(text) or re.findall(r"\w+", text.lower())
    vector = [0.0] * dim
    for word in words:
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "little") % dim] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [round(v / norm, 6) for v in vector] if norm else vector


async def embeddings(ctx: Context) -> Any:
    body = parse_gpt(EmbeddingsBody, ctx.body)
    inputs = [body.input] if isinstance(body.input, str) else list(body.input)
    vectors = [hashed_embedding(text, ctx.options.embedding_dim) for text in inputs]
    lookup = ctx.options.embedding_index == "lookup"
    return {
        "object": "list",
        "model": ctx.options.gpt_model,
        "data": [
            {"index": vectors.index(vector) if lookup else position, "object": "embedding", "embedding": vector}
            for position, vector in enumerate(vectors)
        ],
    }


def _unknown_artifact(ctx: Context, context_filter: ContextFilter) -> None:
    for artifact in context_filter.artifacts or ():
        if not ctx.state.has_artifact(artifact, [context_filter.collection]):
            raise gpt_runtime(f"VectorArtifactIndex for artifact={artifact} is not initialized.")


def search_chunk(hit: Hit) -> dict[str, Any]:
    return {
        "object": "context.chunk",
        "id": hit.chunk_id,
        "score": hit.score,
        "document": {
            "object": "ingest.document",
            "artifact": hit.artifact_id,
            "doc_metadata": {"file_name": hit.file_name, "artifact_id": hit.artifact_id, "collection": hit.collection},
        },
        "text": hit.text,
        "content_type": "text/markdown",
        "previous_texts": list(hit.previous),
        "next_texts": list(hit.next),
        "metadata": {"abs_idx": hit.abs_idx, "rel_idx": hit.rel_idx},
    }


async def chunk_search(ctx: Context) -> Any:
    body = parse_gpt_union(SEARCH_BODY, ctx.body)
    if not isinstance(body, SemanticSearch):
        name = _SEARCH_CLASSES.get(body.type, type(body).__name__)
        raise gpt_runtime(f"Unsupported search type: <class 'private_gpt.server.primitives.primitives_service.{name}'>")
    _unknown_artifact(ctx, body.context_filter)
    hits = ctx.state.search(
        body.text,
        collections=[body.context_filter.collection],
        artifacts=body.context_filter.artifacts,
        metadata_filter=body.context_filter.metadata_filter,
        limit=body.limit,
        score_threshold=body.score_threshold,
        expand=body.expand,
    )
    return {"object": "list", "model": ctx.options.gpt_model, "data": [search_chunk(hit) for hit in hits]}


def ingested(ctx: Context, documents: list[Document]) -> dict[str, Any]:
    data = []
    for d in documents:
        meta = {k: v for k, v in d.metadata.items() if k not in ("artifact_id", "collection")}
        meta.update(
            headers=[],
            artifact_id=d.artifact,
            collection=d.collection,
            llm_model="default",
            embed_model="default",
            hash=hashlib.sha256(d.text.encode()).hexdigest(),
        )
        data.append({"object": "ingest.document", "artifact": d.artifact, "doc_metadata": meta})
    return {"object": "list", "model": ctx.options.gpt_model, "data": data}


async def ingest(ctx: Context) -> Any:
    body = parse_gpt(IngestBody, ctx.body)
    if body.input.type == "file":
        text = base64.b64decode(body.input.value).decode("utf-8", errors="replace")
    elif body.input.type == "uri":
        text = f"Content of {body.input.value} (the emulator does not download URIs)."
    else:
        text = body.input.value
    document = ctx.state.ingest(body.collection, body.artifact, text, body.metadata or {})
    return ingested(ctx, [document])


async def list_ingested(ctx: Context) -> Any:
    collection = gpt_query(ctx.query("collection"), "collection")
    return ingested(ctx, list(ctx.state.collections.get(collection, {}).values()))


async def delete_ingested(ctx: Context) -> Any:
    body = parse_gpt(DeleteIngestedBody, ctx.body)
    if not ctx.state.remove_document(body.collection, body.artifact):
        raise gpt_runtime(f"VectorArtifactIndex for artifact={body.artifact} is not initialized.")
    return JSONResponse(None)


def _documents(ctx: Context, context_filter: ContextFilter) -> list[Document]:
    _unknown_artifact(ctx, context_filter)
    wanted = context_filter.artifacts
    docs = ctx.state.collections.get(context_filter.collection, {})
    return [d for a, d in docs.items() if wanted is None or a in wanted]


def node_tree(document: Document) -> dict[str, Any]:
    """The ``format: "object"`` content: a root, one section, a text node per chunk."""
    children = [{"id": c.id, "type": "TextNode-v1", "content": c.text, "children": []} for c in document.chunks]
    section = {"id": f"{document.artifact}-section", "type": "SectionNode-v1", "content": document.name, "children": children}
    return {"id": document.artifact, "type": "DocumentRootNodeV2-v2", "content": "", "children": [section]}


async def artifact_content(ctx: Context) -> Any:
    body = parse_gpt(ContentBody, ctx.body)
    return {
        "data": [
            {"artifact_id": d.artifact, "content": node_tree(d) if body.format == "object" else d.text}
            for d in _documents(ctx, body.context_filter)
        ]
    }


async def chunked_content(ctx: Context) -> Any:
    body = parse_gpt(ContentBody, ctx.body)
    data = []
    for document in _documents(ctx, body.context_filter):
        hits = [
            Hit(c.id, 0.0, c.text, document.artifact, document.collection, document.name, document.metadata, [], [], c.shorter_id, c.index, 0)
            for c in document.chunks
        ]
        sources = []
        for hit in hits:
            chunk = search_chunk(hit)
            chunk["metadata"] = {"shorter_id": hit.shorter_id, "abs_idx": hit.abs_idx, "rel_idx": hit.rel_idx}
            sources.append(chunk)
        text = {"type": "text", "cache_control": None, "text": identifiers_text(hits)}
        data.append({"artifact_id": document.artifact, "content": [{"type": "source", "sources": sources}, text]})
    return {"data": data}


async def readers(ctx: Context) -> Any:
    return {"data": {"text": {"extensions": [".csv", ".htm", ".html", ".json", ".md", ".txt", ".xml"]}}}


ROUTES = [
    Endpoint(f"{GPT}/embeddings", ["POST"], embeddings, "gpt"),
    Endpoint(f"{GPT}/primitives/search", ["POST"], chunk_search, "gpt"),
    Endpoint(f"{GPT}/artifacts/ingest", ["POST"], ingest, "gpt"),
    Endpoint(f"{GPT}/artifacts/list", ["GET"], list_ingested, "gpt"),
    Endpoint(f"{GPT}/artifacts/delete", ["POST"], delete_ingested, "gpt"),
    Endpoint(f"{GPT}/artifacts/content", ["POST"], artifact_content, "gpt"),
    Endpoint(f"{GPT}/artifacts/chunked-content", ["POST"], chunked_content, "gpt"),
    Endpoint(f"{GPT}/artifacts/readers", ["GET"], readers, "gpt"),
]
