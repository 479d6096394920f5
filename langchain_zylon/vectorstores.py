"""``ZylonVectorStore``: a ZylonGPT collection as a LangChain ``VectorStore``. The server
parses, chunks and embeds what is added, and searches its chunks; no embedding model runs
on the client."""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore
from pydantic import ConfigDict, field_validator
from typing_extensions import Self

from zylon_core._collection_ops import NewDocument
from zylon_core._collections import (
    CollectionHit,
    StoredDocument,
    check_artifact_list,
    check_collection,
    filter_from_langchain,
    relevance,
)

from ._config import ZylonConnection
from ._errors import mapped_errors

_SEARCH_KWARGS = ("filter", "artifact_ids", "score_threshold", "expand")


def _no_embedding(embedding: Any) -> None:
    if embedding is not None:
        raise ValueError(
            "ZylonVectorStore takes no embedding model: the Zylon server embeds documents and queries itself "
            "(pass embedding=None, or leave it out)"
        )


def _unexpected(kwargs: dict[str, Any], allowed: Sequence[str] = ()) -> None:
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"unexpected argument(s) {', '.join(unknown)} for ZylonVectorStore")


def _document(hit: CollectionHit, expand: bool) -> Document:
    metadata = dict(hit.metadata)
    if expand:
        metadata["previous_texts"] = list(hit.previous_texts)
        metadata["next_texts"] = list(hit.next_texts)
    return Document(id=hit.artifact_id, page_content=hit.text, metadata=metadata)


def _stored(doc: StoredDocument) -> Document:
    return Document(id=doc.artifact_id, page_content=doc.text, metadata=doc.metadata)


class ZylonVectorStore(ZylonConnection, VectorStore):
    """A ZylonGPT collection as a vector store: documents are artifacts, searched chunk by
    chunk on the server.

    Setup: ``ZYLON_BASE_URL`` and ``ZYLON_API_TOKEN`` (or ``base_url`` / ``api_token``,
    alias ``api_key``); the token must be a **Gateway token** (a Workspace token reaches
    ``/api/v1`` only: a 401/403 says so). No embedding model: Zylon embeds on the server.

    ```python
    from langchain_core.documents import Document
    from langchain_zylon import ZylonVectorStore

    store = ZylonVectorStore(collection="support-docs")
    ids = store.add_documents([Document("Billing drove 38% of cases.", metadata={"team": "support", "year": 2024})])
    docs = store.similarity_search("What drove cases?", k=3, filter={"year": {"$gte": 2024}})
    retriever = store.as_retriever(search_kwargs={"k": 2, "artifact_ids": ids})
    ```

    * **ids** are artifact ids (1 to 255 characters; a UUID4 when a document has none).
      Adding an id again replaces that document.
    * **Adding** sends one ``POST /api/gpt/v1/artifacts/ingest`` per document, in order;
      it returns once the server has ingested them. ``metadata`` must be JSON; it may not
      use the keys the server sets (``artifact_id``, ``collection``, ``headers``,
      ``hash``, ``llm_model``, ``embed_model``). The server needs a ``file_name`` with an
      extension: when a document has none, ``<id>.txt`` is sent and left out when read.
    * **Search** (``POST /api/gpt/v1/primitives/search``) returns chunks, best first:
      ``Document(id=<artifact id>, page_content=<chunk text>, metadata=<the document's
      metadata>)``. The search answers only a document's ``file_name``; the rest of its
      metadata is read with ``GET /api/gpt/v1/artifacts/list`` (one more request per
      search with hits; ``fetch_metadata=False`` skips it). Keyword arguments:
      ``filter`` (LangChain metadata filter: ``{"team": "sales"}``, ``{"year": {"$gte":
      2024}}``, ``$eq $ne $gt $gte $lt $lte $in $nin`` and ``$and``; all must hold;
      ``$or`` and callables are a ``ValueError``), ``artifact_ids`` (only these
      documents), ``score_threshold`` (0..1, applied by the server), ``expand``
      (neighbouring chunk texts in ``metadata["previous_texts"]`` / ``["next_texts"]``).
      Scores are the server's cosine similarities (0..1).
    * ``get_by_ids`` reads whole documents (their content as the server renders it,
      markdown); ``delete(ids)`` removes them (missing ids are no error; ``ids=None``
      empties the collection).

    Async twins: ``aadd_texts``, ``aadd_documents``, ``asimilarity_search[_with_score]``,
    ``aget_by_ids``, ``adelete``, ``afrom_texts``, ``afrom_documents``. Errors are
    ``zylon_core`` errors that are also LangChain's standard model errors.
    """

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="forbid", arbitrary_types_allowed=True)

    collection: str
    """The ZylonGPT collection (created by the first document added to it)."""
    fetch_metadata: bool = True
    """Read each hit's full metadata (``GET /artifacts/list``, one request per search)."""

    def __init__(self, collection: Optional[str] = None, **data: Any) -> None:
        if collection is not None:
            data["collection"] = collection
        super().__init__(**data)

    @field_validator("collection")
    @classmethod
    def _check_collection(cls, value: str) -> str:
        return check_collection(value)

    def __repr__(self) -> str:
        return f"ZylonVectorStore(base_url={self.base_url!r}, org={self.org!r}, collection={self.collection!r})"

    @property
    def embeddings(self) -> Optional[Embeddings]:
        """None: the Zylon server embeds documents and queries itself."""
        return None

    # -- adding --------------------------------------------------------------------------

    @staticmethod
    def _new(texts: Iterable[str], metadatas: Optional[list[dict]], ids: Optional[list[Optional[str]]]) -> list[NewDocument]:
        texts = list(texts)
        if metadatas is not None and len(metadatas) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(metadatas)} metadatas")
        if ids is not None and len(ids) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(ids)} ids")
        return [
            NewDocument(text, metadatas[i] if metadatas else None, ids[i] if ids else None) for i, text in enumerate(texts)
        ]

    def add_texts(
        self, texts: Iterable[str], metadatas: Optional[list[dict]] = None, *, ids: Optional[list[str]] = None, **kwargs: Any
    ) -> list[str]:
        """Ingest each text as a document (one request each, in order); their ids."""
        _unexpected(kwargs)
        documents = self._new(texts, metadatas, ids)  # type: ignore[arg-type]
        with mapped_errors():
            return self._client.collections.add(self.collection, documents)

    async def aadd_texts(
        self, texts: Iterable[str], metadatas: Optional[list[dict]] = None, *, ids: Optional[list[str]] = None, **kwargs: Any
    ) -> list[str]:
        _unexpected(kwargs)
        documents = self._new(texts, metadatas, ids)  # type: ignore[arg-type]
        with mapped_errors():
            return await self._aclient.collections.add(self.collection, documents)

    # -- reading and deleting ------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """The documents with these ids (missing ones are left out), whole."""
        with mapped_errors():
            return [_stored(d) for d in self._client.collections.get(self.collection, list(ids))]

    async def aget_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        with mapped_errors():
            return [_stored(d) for d in await self._aclient.collections.get(self.collection, list(ids))]

    def delete(self, ids: Optional[list[str]] = None, **kwargs: Any) -> Optional[bool]:
        """Delete these documents (missing ids are no error); ``ids=None`` deletes every
        document of the collection. True."""
        _unexpected(kwargs)
        with mapped_errors():
            self._client.collections.delete(self.collection, ids)
        return True

    async def adelete(self, ids: Optional[list[str]] = None, **kwargs: Any) -> Optional[bool]:
        _unexpected(kwargs)
        with mapped_errors():
            await self._aclient.collections.delete(self.collection, ids)
        return True

    # -- search --------------------------------------------------------------------------

    def _search_args(self, k: int, kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        _unexpected(kwargs, _SEARCH_KWARGS)
        expand = bool(kwargs.get("expand", False))
        args = {
            "k": k,
            "metadata_filter": filter_from_langchain(kwargs.get("filter")),
            "artifacts": check_artifact_list(kwargs.get("artifact_ids")),
            "score_threshold": kwargs.get("score_threshold"),
            "expand": expand,
            "with_metadata": self.fetch_metadata,
        }
        return args, expand

    def similarity_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> list[tuple[Document, float]]:
        """The ``k`` chunks most similar to ``query`` with their scores (0..1), best
        first. Keyword arguments: ``filter``, ``artifact_ids``, ``score_threshold``,
        ``expand`` (see the class)."""
        args, expand = self._search_args(k, kwargs)
        with mapped_errors():
            hits = self._client.collections.search(self.collection, query, **args)
        return [(_document(hit, expand), relevance(hit.score)) for hit in hits]

    async def asimilarity_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> list[tuple[Document, float]]:
        args, expand = self._search_args(k, kwargs)
        with mapped_errors():
            hits = await self._aclient.collections.search(self.collection, query, **args)
        return [(_document(hit, expand), relevance(hit.score)) for hit in hits]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """The ``k`` chunks most similar to ``query``, best first (see the class)."""
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    async def asimilarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in await self.asimilarity_search_with_score(query, k, **kwargs)]

    def _select_relevance_score_fn(self) -> Any:
        # The scores are cosine similarities already; clamp the server's 1.0000001.
        return relevance

    def similarity_search_by_vector(self, embedding: list[float], k: int = 4, **kwargs: Any) -> list[Document]:
        raise NotImplementedError(
            "Zylon searches by text (the server embeds the query): use similarity_search(query, ...)"
        )

    async def asimilarity_search_by_vector(self, embedding: list[float], k: int = 4, **kwargs: Any) -> list[Document]:
        return self.similarity_search_by_vector(embedding, k, **kwargs)

    # -- constructors --------------------------------------------------------------------

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Optional[Embeddings] = None,
        metadatas: Optional[list[dict]] = None,
        *,
        ids: Optional[list[str]] = None,
        **kwargs: Any,
    ) -> Self:
        """A store over ``collection=...`` (and the connection fields in ``kwargs``) with
        these texts added. ``embedding`` must be None: the server embeds."""
        _no_embedding(embedding)
        store = cls(**kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    async def afrom_texts(
        cls,
        texts: list[str],
        embedding: Optional[Embeddings] = None,
        metadatas: Optional[list[dict]] = None,
        *,
        ids: Optional[list[str]] = None,
        **kwargs: Any,
    ) -> Self:
        _no_embedding(embedding)
        store = cls(**kwargs)
        await store.aadd_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    def from_documents(cls, documents: list[Document], embedding: Optional[Embeddings] = None, **kwargs: Any) -> Self:
        """A store over ``collection=...`` with these documents added (their ``id`` s kept)."""
        _no_embedding(embedding)
        return super().from_documents(documents, embedding, **kwargs)  # type: ignore[arg-type]

    @classmethod
    async def afrom_documents(cls, documents: list[Document], embedding: Optional[Embeddings] = None, **kwargs: Any) -> Self:
        _no_embedding(embedding)
        return await super().afrom_documents(documents, embedding, **kwargs)  # type: ignore[arg-type]
