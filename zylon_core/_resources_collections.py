"""``client.collections``: ZylonGPT collections of artifacts (``/api/gpt/v1/artifacts/...``
and ``/api/gpt/v1/primitives/search``), sync and async. A Gateway token reaches them.

The documents of a collection are artifacts: ingested (the server parses, chunks and
embeds them), listed, read back, searched chunk by chunk and deleted, by artifact id.
"""

from __future__ import annotations

import builtins
from typing import Any, Literal, Mapping, Optional, Sequence

from . import _collection_ops as ops
from ._api_gpt import context_filter
from ._call import Call
from ._collection_ops import NewDocument
from ._collections import CollectionHit, StoredDocument, check_artifact_id, check_collection, ingest_input, ingest_metadata
from ._resources import AsyncResource, SyncResource
from .models import IngestedDoc
from .models.ingest import ArtifactContent, ChunkedArtifactContent, IngestBody

__all__ = ["AsyncCollections", "Collections", "NewDocument"]


def _ingest_call(
    api: Any,
    collection: str,
    artifact_id: str,
    text: Optional[str],
    file: Optional[bytes],
    uri: Optional[str],
    metadata: Optional[Mapping[str, Any]],
    file_name: Optional[str],
) -> Call[IngestedDoc]:
    source = ingest_input(text=text, file=file, uri=uri)
    values = dict(metadata or {})
    if file_name is not None:
        values["file_name"] = file_name
    if source.type != "text" and not values.get("file_name"):
        raise ValueError(f"a {source.type} ingest needs file_name=... (with its extension: the server picks its reader by it)")
    body = IngestBody(
        artifact=check_artifact_id(artifact_id),
        collection=check_collection(collection),
        input=source,
        metadata=ingest_metadata(values, artifact_id),
    )
    return api.ingest(body)


def _texts(
    texts: Sequence[str], metadatas: Optional[Sequence[Optional[Mapping[str, Any]]]], ids: Optional[Sequence[Optional[str]]]
) -> builtins.list[NewDocument]:
    texts = builtins.list(texts)
    if metadatas is not None and len(metadatas) != len(texts):
        raise ValueError(f"got {len(texts)} texts but {len(metadatas)} metadatas")
    if ids is not None and len(ids) != len(texts):
        raise ValueError(f"got {len(texts)} texts but {len(ids)} ids")
    return [
        NewDocument(text, metadatas[i] if metadatas is not None else None, ids[i] if ids is not None else None)
        for i, text in enumerate(texts)
    ]


class Collections(SyncResource):
    """ZylonGPT collections: ingest, list, read, search and delete artifacts by id."""

    def ingest(
        self,
        collection: str,
        artifact_id: str,
        *,
        text: Optional[str] = None,
        file: Optional[bytes] = None,
        uri: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        file_name: Optional[str] = None,
    ) -> IngestedDoc:
        """``POST /artifacts/ingest`` one artifact from exactly one of ``text``, ``file``
        (bytes) or ``uri`` (the server downloads it); a file or URI needs ``file_name``
        (with its extension). The same id again replaces the artifact. Returns the
        ingested document (``doc_metadata`` with what the server added)."""
        return self._send(_ingest_call(self._api, collection, artifact_id, text, file, uri, metadata, file_name))

    def add(self, collection: str, documents: Sequence[NewDocument]) -> builtins.list[str]:
        """Ingest text documents, one request each, in order; their artifact ids."""
        return self._run(ops.add(self._api, collection, documents))

    def add_texts(
        self,
        collection: str,
        texts: Sequence[str],
        metadatas: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
        ids: Optional[Sequence[Optional[str]]] = None,
    ) -> builtins.list[str]:
        """:meth:`add` with parallel lists of texts, metadata and ids (None: a UUID4)."""
        return self._run(ops.add(self._api, collection, _texts(texts, metadatas, ids)))

    def list(self, collection: str) -> builtins.list[IngestedDoc]:
        """``GET /artifacts/list``: every artifact of the collection with its metadata."""
        return self._send(self._api.ingested_list(collection)).data

    def get(self, collection: str, ids: Sequence[str]) -> builtins.list[StoredDocument]:
        """The artifacts with these ids (content and metadata); missing ids are left out."""
        return self._run(ops.get(self._api, collection, ids))

    def content(
        self, collection: str, artifacts: Optional[Sequence[str]] = None, *, format: Literal["markdown", "object"] | None = None
    ) -> builtins.list[ArtifactContent]:
        """``POST /artifacts/content``: the full content of the collection's artifacts (or
        of ``artifacts``), as markdown or (``format="object"``) a node tree."""
        return self._send(self._api.ingested_content(context_filter(collection, artifacts), format=format)).data

    def chunked_content(
        self, collection: str, artifacts: Optional[Sequence[str]] = None, *, max_tokens: int | None = None
    ) -> builtins.list[ChunkedArtifactContent]:
        """``POST /artifacts/chunked-content``: per artifact, a ``source`` block with its
        chunks and the text a chat's search tool gives the model."""
        return self._send(self._api.ingested_chunked_content(context_filter(collection, artifacts), max_tokens=max_tokens)).data

    def search(
        self,
        collection: str,
        query: str,
        *,
        k: int = 4,
        metadata_filter: Optional[builtins.list[dict[str, Any]]] = None,
        artifacts: Optional[Sequence[str]] = None,
        score_threshold: Optional[float] = None,
        expand: bool = False,
        with_metadata: bool = True,
    ) -> builtins.list[CollectionHit]:
        """The ``k`` chunks most similar to ``query``, best first, each with its artifact's
        metadata (one more request, ``GET /artifacts/list``, unless ``with_metadata`` is
        off). ``metadata_filter``: Zylon items ``{key, operator, value}``."""
        return self._run(
            ops.search(
                self._api,
                collection,
                query,
                k=k,
                metadata_filter=metadata_filter,
                artifacts=artifacts,
                score_threshold=score_threshold,
                expand=expand,
                with_metadata=with_metadata,
            )
        )

    def delete(self, collection: str, ids: Optional[Sequence[str]] = None) -> builtins.list[str]:
        """Delete these artifacts (None: all of the collection); the ids that were there."""
        return self._run(ops.delete(self._api, collection, ids))

    def refresh(self, collection: str, documents: Sequence[NewDocument]) -> builtins.list[bool]:
        """Ingest the documents that are new or changed; whether each one was sent."""
        return self._run(ops.refresh(self._api, collection, documents))


class AsyncCollections(AsyncResource):
    """Async :class:`Collections`."""

    async def ingest(
        self,
        collection: str,
        artifact_id: str,
        *,
        text: Optional[str] = None,
        file: Optional[bytes] = None,
        uri: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        file_name: Optional[str] = None,
    ) -> IngestedDoc:
        return await self._send(_ingest_call(self._api, collection, artifact_id, text, file, uri, metadata, file_name))

    async def add(self, collection: str, documents: Sequence[NewDocument]) -> builtins.list[str]:
        return await self._run(ops.add(self._api, collection, documents))

    async def add_texts(
        self,
        collection: str,
        texts: Sequence[str],
        metadatas: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
        ids: Optional[Sequence[Optional[str]]] = None,
    ) -> builtins.list[str]:
        return await self._run(ops.add(self._api, collection, _texts(texts, metadatas, ids)))

    async def list(self, collection: str) -> builtins.list[IngestedDoc]:
        return (await self._send(self._api.ingested_list(collection))).data

    async def get(self, collection: str, ids: Sequence[str]) -> builtins.list[StoredDocument]:
        return await self._run(ops.get(self._api, collection, ids))

    async def content(
        self, collection: str, artifacts: Optional[Sequence[str]] = None, *, format: Literal["markdown", "object"] | None = None
    ) -> builtins.list[ArtifactContent]:
        return (await self._send(self._api.ingested_content(context_filter(collection, artifacts), format=format))).data

    async def chunked_content(
        self, collection: str, artifacts: Optional[Sequence[str]] = None, *, max_tokens: int | None = None
    ) -> builtins.list[ChunkedArtifactContent]:
        call = self._api.ingested_chunked_content(context_filter(collection, artifacts), max_tokens=max_tokens)
        return (await self._send(call)).data

    async def search(
        self,
        collection: str,
        query: str,
        *,
        k: int = 4,
        metadata_filter: Optional[builtins.list[dict[str, Any]]] = None,
        artifacts: Optional[Sequence[str]] = None,
        score_threshold: Optional[float] = None,
        expand: bool = False,
        with_metadata: bool = True,
    ) -> builtins.list[CollectionHit]:
        return await self._run(
            ops.search(
                self._api,
                collection,
                query,
                k=k,
                metadata_filter=metadata_filter,
                artifacts=artifacts,
                score_threshold=score_threshold,
                expand=expand,
                with_metadata=with_metadata,
            )
        )

    async def delete(self, collection: str, ids: Optional[Sequence[str]] = None) -> builtins.list[str]:
        return await self._run(ops.delete(self._api, collection, ids))

    async def refresh(self, collection: str, documents: Sequence[NewDocument]) -> builtins.list[bool]:
        return await self._run(ops.refresh(self._api, collection, documents))
