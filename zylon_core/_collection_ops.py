"""A ZylonGPT collection as a vector store, as plans (see :mod:`._plans`): add documents,
search with metadata, read documents by id, delete, refresh. Written once, run by the
sync and async clients (``client.collections``) and through them by both adapters.

Each step is one documented request; nothing is sent twice: an ingest is one request per
document, in order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from ._api import Endpoints
from ._api_gpt import context_filter
from ._collections import (
    CollectionHit,
    StoredDocument,
    artifact_ids,
    check_artifact_id,
    check_collection,
    collection_hits,
    ingest_body,
    ingest_metadata,
    is_missing_artifact,
    stored_metadata,
)
from ._plans import Plan
from .errors import APIError


@dataclass(frozen=True)
class NewDocument:
    """A document to add: its text, metadata and id (None: a new UUID4)."""

    text: str
    metadata: Optional[Mapping[str, Any]] = None
    id: Optional[str] = None


def add(api: Endpoints, collection: str, documents: Sequence[NewDocument]) -> Plan[list[str]]:
    """Ingest every document (one request each, in order); their artifact ids. Every
    document is checked before the first request."""
    check_collection(collection)
    ids = artifact_ids([d.id for d in documents], len(documents))
    bodies = [ingest_body(collection, i, d.text, d.metadata) for i, d in zip(ids, documents, strict=True)]
    for body in bodies:
        yield api.ingest(body)
    return ids


def search(
    api: Endpoints,
    collection: str,
    query: str,
    *,
    k: int = 4,
    metadata_filter: Optional[list[dict[str, Any]]] = None,
    artifacts: Optional[Sequence[str]] = None,
    score_threshold: Optional[float] = None,
    expand: bool = False,
    with_metadata: bool = True,
) -> Plan[list[CollectionHit]]:
    """The chunks most similar to ``query``, best first, at most ``k``.

    ``POST /primitives/search`` (``limit=k``), then, when there are hits and
    ``with_metadata`` is on, ``GET /artifacts/list`` for the artifacts' metadata (the
    search answers only ``file_name``, ``artifact_id`` and ``collection``)."""
    if not isinstance(query, str):
        raise ValueError(f"the query must be a string, got {type(query).__name__}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if score_threshold is not None and not 0.0 <= score_threshold <= 1.0:
        raise ValueError(f"score_threshold must be between 0 and 1, got {score_threshold!r}")
    scope = context_filter(collection, artifacts, metadata_filter)
    response = yield api.chunk_search(
        query,
        collection=scope.collection,
        artifacts=scope.artifacts,
        metadata_filter=scope.metadata_filter,
        limit=k,
        score_threshold=score_threshold,
        expand=True if expand else None,
    )
    chunks = response.data[:k]
    stored = None
    if with_metadata and any(c.text for c in chunks):
        stored = yield api.ingested_metadata(collection)
    return collection_hits(chunks, stored)


def get(api: Endpoints, collection: str, ids: Sequence[str]) -> Plan[list[StoredDocument]]:
    """The documents with these ids (missing ones are left out), in the order asked:
    ``GET /artifacts/list``, then ``POST /artifacts/content`` for those that exist."""
    wanted = [check_artifact_id(i) for i in ids]
    if not wanted:
        return []
    stored = yield api.ingested_metadata(collection)
    present = list(dict.fromkeys(i for i in wanted if i in stored))
    if not present:
        return []
    answer = yield api.ingested_content(context_filter(collection, present))
    texts = {item.artifact_id: item.content for item in answer.data if isinstance(item.content, str)}
    return [StoredDocument(i, texts[i], stored_metadata(stored[i], i)) for i in present if i in texts]


def delete(api: Endpoints, collection: str, ids: Optional[Sequence[str]] = None) -> Plan[list[str]]:
    """Delete these artifacts (``ids=None``: every artifact of the collection); the ids
    that were there. An id that is not there is no error."""
    check_collection(collection)
    if ids is None:
        listed = yield api.ingested_list(collection)
        targets = [d.artifact for d in listed.data if d.artifact]
    else:
        if isinstance(ids, str):
            raise ValueError(f"ids must be a list of ids, got the string {ids!r}")
        targets = list(dict.fromkeys(check_artifact_id(i) for i in ids))
    deleted = []
    for artifact_id in targets:
        try:
            yield api.ingested_delete(collection, artifact_id)
        except APIError as error:
            if not is_missing_artifact(error):
                raise
            continue
        deleted.append(artifact_id)
    return deleted


def content_hash(text: str) -> str:
    """What the server records as an artifact's ``hash``: SHA-256 of its content."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def refresh(api: Endpoints, collection: str, documents: Sequence[NewDocument]) -> Plan[list[bool]]:
    """Ingest the documents that are new or changed (text hash or metadata differ from the
    artifact's); whether each one was sent. One list request, then one ingest per change."""
    check_collection(collection)
    ids = artifact_ids([d.id for d in documents], len(documents))
    bodies = [ingest_body(collection, i, d.text, d.metadata) for i, d in zip(ids, documents, strict=True)]
    stored = yield api.ingested_metadata(collection)
    sent = []
    for artifact_id, document, body in zip(ids, documents, bodies, strict=True):
        current = stored.get(artifact_id)
        same = (
            current is not None
            and current.get("hash") == content_hash(document.text)
            and stored_metadata(current, artifact_id) == stored_metadata(ingest_metadata(document.metadata, artifact_id), artifact_id)
        )
        if not same:
            yield api.ingest(body)
        sent.append(not same)
    return sent
