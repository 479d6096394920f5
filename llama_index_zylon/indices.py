"""``ZylonIndex``: a ZylonGPT collection as a LlamaIndex managed index. The server parses,
chunks and embeds the documents and searches their chunks; no embedding model or node
parser runs on the client."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Dict, List, Optional, Sequence, Set

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.data_structs.data_structs import IndexDict
from llama_index.core.indices.managed.base import BaseManagedIndex
from llama_index.core.schema import (
    BaseNode,
    Document,
    MetadataMode,
    NodeRelationship,
    NodeWithScore,
    QueryBundle,
    RelatedNodeInfo,
    TextNode,
)
from llama_index.core.settings import Settings
from llama_index.core.storage.docstore.types import RefDocInfo
from llama_index.core.utils import get_tqdm_iterable

from zylon_core import AsyncZylonClient, ZylonClient
from zylon_core._collection_ops import NewDocument
from zylon_core._collections import (
    CollectionHit,
    check_artifact_list,
    check_collection,
    filter_from_llama_index,
    ingest_body,
    stored_metadata,
)
from zylon_core._connection import CONNECTION_FIELDS, Connection
from zylon_core._settings import one_token

_RETRIEVER_KWARGS = ("similarity_top_k", "filters", "artifact_ids", "doc_ids", "score_threshold", "expand")
_HIDDEN_KEYS = ["previous_texts", "next_texts"]


@functools.lru_cache(maxsize=1)
def _engine_kwargs() -> frozenset[str]:
    """What LlamaIndex's query and chat engines take: ``as_query_engine`` and
    ``as_chat_engine`` hand their keyword arguments to ``as_retriever`` too, which may
    ignore these (and only these)."""
    from llama_index.core.chat_engine import CondensePlusContextChatEngine, CondenseQuestionChatEngine, ContextChatEngine
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.response_synthesizers import get_response_synthesizer

    names: Set[str] = {"chat_mode", "llm"}
    for fn in (
        RetrieverQueryEngine.from_args,
        get_response_synthesizer,
        ContextChatEngine.from_defaults,
        CondensePlusContextChatEngine.from_defaults,
        CondenseQuestionChatEngine.from_defaults,
    ):
        names.update(p.name for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD)
    return frozenset(names - set(_RETRIEVER_KWARGS) - {"self", "cls", "retriever"})


def _node_document(node: BaseNode) -> NewDocument:
    # A Document's doc_id is its node_id.
    return NewDocument(node.get_content(metadata_mode=MetadataMode.NONE), dict(node.metadata), node.node_id)


def _node(hit: CollectionHit, expand: bool) -> NodeWithScore:
    metadata = dict(hit.metadata)
    if expand:
        metadata["previous_texts"] = list(hit.previous_texts)
        metadata["next_texts"] = list(hit.next_texts)
    node = TextNode(
        text=hit.text,
        metadata=metadata,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=hit.artifact_id)},
        excluded_llm_metadata_keys=list(_HIDDEN_KEYS),
        excluded_embed_metadata_keys=list(_HIDDEN_KEYS),
        **({"id_": hit.chunk_id} if hit.chunk_id else {}),
    )
    return NodeWithScore(node=node, score=hit.score)


class ZylonIndexRetriever(BaseRetriever):
    """The chunks of a :class:`ZylonIndex` most similar to a query, as ``NodeWithScore``
    s: ``node.text`` is the chunk, ``node.metadata`` its document's metadata,
    ``node.ref_doc_id`` its document's id (the artifact id), ``score`` the server's cosine
    similarity (0..1), best first. Made by :meth:`ZylonIndex.as_retriever`."""

    def __init__(
        self,
        index: "ZylonIndex",
        *,
        similarity_top_k: int = 4,
        filters: Any = None,
        artifact_ids: Optional[Sequence[str]] = None,
        score_threshold: Optional[float] = None,
        expand: bool = False,
        callback_manager: Optional[CallbackManager] = None,
        verbose: bool = False,
    ) -> None:
        if isinstance(similarity_top_k, bool) or not isinstance(similarity_top_k, int) or similarity_top_k < 1:
            raise ValueError(f"similarity_top_k must be a positive integer, got {similarity_top_k!r}")
        if score_threshold is not None and not 0.0 <= score_threshold <= 1.0:
            raise ValueError(f"score_threshold must be between 0 and 1, got {score_threshold!r}")
        self._index = index
        self.similarity_top_k = similarity_top_k
        self.filters = filters
        self._metadata_filter = filter_from_llama_index(filters)
        self.artifact_ids = check_artifact_list(artifact_ids)
        self.score_threshold = score_threshold
        self.expand = expand
        super().__init__(callback_manager=callback_manager or index._callback_manager, verbose=verbose)

    def _search_args(self) -> Dict[str, Any]:
        return {
            "k": self.similarity_top_k,
            "metadata_filter": self._metadata_filter,
            "artifacts": self.artifact_ids,
            "score_threshold": self.score_threshold,
            "expand": self.expand,
            "with_metadata": self._index.fetch_metadata,
        }

    def _retrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        hits = self._index.client.collections.search(self._index.collection, query_bundle.query_str, **self._search_args())
        return [_node(hit, self.expand) for hit in hits]

    async def _aretrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        hits = await self._index.aclient.collections.search(self._index.collection, query_bundle.query_str, **self._search_args())
        return [_node(hit, self.expand) for hit in hits]


class ZylonIndex(BaseManagedIndex):
    """A ZylonGPT collection as a LlamaIndex managed index: each document is an artifact
    (its ``doc_id`` is the artifact id), which the server chunks, embeds and searches.

    Setup: ``ZYLON_BASE_URL`` and ``ZYLON_API_TOKEN`` (or ``base_url`` / ``api_token``,
    alias ``api_key``; ``org``, ``timeout``, ``deadline``, ``max_retries``, ``verify``); the
    token must be a **Gateway token** (a Workspace token reaches ``/api/v1`` only: a 401/403
    says so). ``close()`` / ``aclose()`` or ``with`` / ``async with`` release the connections.

    ```python
    from llama_index.core import Document
    from llama_index.core.vector_stores import MetadataFilter, MetadataFilters
    from llama_index_zylon import Zylon, ZylonIndex

    index = ZylonIndex.from_documents([Document(text="...", metadata={"year": 2024})], collection="reports")
    index.insert(Document(text="...", doc_id="q3-report"))
    nodes = index.as_retriever(similarity_top_k=3, filters=MetadataFilters(filters=[MetadataFilter(key="year", value=2024)])).retrieve("revenue")
    answer = index.as_query_engine(llm=Zylon()).query("How did revenue do?")
    index.delete_ref_doc("q3-report")
    ```

    * ``from_documents`` / ``insert`` / ``insert_nodes`` / ``update_ref_doc`` send one
      ``POST /api/gpt/v1/artifacts/ingest`` per document (or node), in order, returning
      once the server has ingested it; the same id again replaces the document. Metadata
      must be JSON; the keys the server sets (``artifact_id``, ``collection``,
      ``headers``, ``hash``, ``llm_model``, ``embed_model``) cannot be used. A document
      without ``file_name`` is sent with ``<doc_id>.txt`` (the server needs one), left out
      when read. ``transformations`` and a ``storage_context`` are refused: Zylon chunks
      and stores on the server.
    * ``as_retriever(similarity_top_k=4, filters=MetadataFilters(...), artifact_ids=...
      (alias doc_ids), score_threshold=..., expand=...)``: chunk search
      (``POST /api/gpt/v1/primitives/search``) plus, when there are hits, the documents'
      metadata (``GET /api/gpt/v1/artifacts/list``; ``fetch_metadata=False`` skips it).
      Filters: operators ``== != > < >= <= in nin``, all must hold (AND, nested AND);
      others are a ``ValueError`` before any request.
    * ``delete_ref_doc(doc_id)`` deletes a document (a missing one is no error);
      ``refresh_ref_docs`` sends only new or changed documents (one list request first);
      ``ref_doc_info`` lists the documents and their metadata.

    Async twins: ``ainsert``, ``ainsert_nodes``, ``adelete_ref_doc``, ``aupdate_ref_doc``,
    ``arefresh_ref_docs``, ``afrom_documents``, and ``aretrieve`` / ``aquery`` on the
    retriever and query engine.
    """

    def __init__(
        self,
        collection: str,
        *,
        base_url: Optional[str] = None,
        api_token: Any = None,
        api_key: Any = None,
        org: Optional[str] = None,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
        verify: Any = None,
        fetch_metadata: bool = True,
        nodes: Optional[Sequence[BaseNode]] = None,
        show_progress: bool = False,
        callback_manager: Optional[CallbackManager] = None,
        **kwargs: Any,
    ) -> None:
        # Not BaseIndex.__init__: there is no local docstore, vector store or node parser.
        for name in ("storage_context", "transformations", "embed_model"):
            if kwargs.get(name):  # an empty list of transformations asks for none
                raise ValueError(f"ZylonIndex takes no {name}: Zylon parses, chunks, embeds and stores on the server")
        unknown = sorted(set(kwargs) - {"storage_context", "transformations", "embed_model"})
        if unknown:
            raise TypeError(f"unexpected argument(s) {', '.join(unknown)} for ZylonIndex")
        self.collection = check_collection(collection)
        self.fetch_metadata = fetch_metadata
        values = {
            "base_url": base_url,
            "api_token": one_token(api_token, api_key),
            "org": org,
            "timeout": timeout,
            "deadline": deadline,
            "verify": verify,
        }
        if max_retries is not None:
            values["max_retries"] = max_retries
        self._connection = Connection({name: values.get(name) for name in (*CONNECTION_FIELDS, "model")})
        self._show_progress = show_progress
        self._callback_manager = callback_manager or Settings.callback_manager
        self._index_struct = IndexDict(index_id=self.collection, summary=f"Zylon collection {self.collection}")
        self._object_map: Dict[str, Any] = {}
        if nodes:
            self.insert_nodes(nodes)

    def __repr__(self) -> str:
        settings = self._connection.settings
        return f"ZylonIndex(base_url={settings.base_url!r}, org={settings.org!r}, collection={self.collection!r})"

    @property
    def client(self) -> ZylonClient:
        return self._connection.client

    @property
    def aclient(self) -> AsyncZylonClient:
        return self._connection.aclient

    def close(self) -> None:
        """Close the sync HTTP connections (both kinds: :meth:`aclose`)."""
        self._connection.close()

    async def aclose(self) -> None:
        await self._connection.aclose()

    def __enter__(self) -> "ZylonIndex":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> "ZylonIndex":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def _build(cls, collection: Optional[str], storage_context: Any, transformations: Any, kwargs: Dict[str, Any]) -> "ZylonIndex":
        if collection is None:
            raise ValueError("ZylonIndex.from_documents needs collection=... (the ZylonGPT collection to fill)")
        return cls(collection, storage_context=storage_context, transformations=transformations, **kwargs)

    @classmethod
    def from_documents(
        cls,
        documents: Sequence[Document],
        storage_context: Any = None,
        show_progress: bool = False,
        callback_manager: Optional[CallbackManager] = None,
        transformations: Any = None,
        *,
        collection: Optional[str] = None,
        **kwargs: Any,
    ) -> "ZylonIndex":
        """A ZylonIndex over ``collection=...`` with ``documents`` added (their ``doc_id`` s
        kept as artifact ids)."""
        index = cls._build(collection, storage_context, transformations, {**kwargs, "show_progress": show_progress, "callback_manager": callback_manager})
        index._add([_node_document(d) for d in documents])
        return index

    @classmethod
    async def afrom_documents(
        cls,
        documents: Sequence[Document],
        storage_context: Any = None,
        show_progress: bool = False,
        callback_manager: Optional[CallbackManager] = None,
        transformations: Any = None,
        *,
        collection: Optional[str] = None,
        **kwargs: Any,
    ) -> "ZylonIndex":
        index = cls._build(collection, storage_context, transformations, {**kwargs, "show_progress": show_progress, "callback_manager": callback_manager})
        await index._aadd([_node_document(d) for d in documents])
        return index

    def _checked(self, documents: Sequence[NewDocument]) -> List[NewDocument]:
        # Every document is checked before the first request (ids, metadata, text).
        for document in documents:
            ingest_body(self.collection, document.id or "unnamed", document.text, document.metadata)
        return list(documents)

    def _add(self, documents: Sequence[NewDocument]) -> List[str]:
        documents = self._checked(documents)
        if not self._show_progress:
            return self.client.collections.add(self.collection, documents)
        return [i for d in get_tqdm_iterable(documents, True, "Ingesting into Zylon") for i in self.client.collections.add(self.collection, [d])]

    async def _aadd(self, documents: Sequence[NewDocument]) -> List[str]:
        documents = self._checked(documents)
        if not self._show_progress:
            return await self.aclient.collections.add(self.collection, documents)
        ids: List[str] = []
        for document in get_tqdm_iterable(documents, True, "Ingesting into Zylon"):
            ids.extend(await self.aclient.collections.add(self.collection, [document]))
        return ids

    def insert(self, document: Document, **insert_kwargs: Any) -> None:
        """Ingest ``document`` (replacing the one with its ``doc_id``, if any)."""
        _no_kwargs("insert", insert_kwargs)
        with self._callback_manager.as_trace("insert"):
            self._add([_node_document(document)])

    async def ainsert(self, document: Document, **insert_kwargs: Any) -> None:
        _no_kwargs("ainsert", insert_kwargs)
        with self._callback_manager.as_trace("ainsert"):
            await self._aadd([_node_document(document)])

    def _insert(self, nodes: Sequence[BaseNode], **insert_kwargs: Any) -> None:
        _no_kwargs("insert_nodes", insert_kwargs)
        self._add([_node_document(node) for node in nodes])

    def insert_nodes(self, nodes: Sequence[BaseNode], **insert_kwargs: Any) -> None:
        """Ingest each node as a document of its own (its ``node_id`` is the artifact id)."""
        with self._callback_manager.as_trace("insert_nodes"):
            self._insert(nodes, **insert_kwargs)

    async def ainsert_nodes(self, nodes: Sequence[BaseNode], **insert_kwargs: Any) -> None:
        _no_kwargs("ainsert_nodes", insert_kwargs)
        with self._callback_manager.as_trace("ainsert_nodes"):
            await self._aadd([_node_document(node) for node in nodes])

    def update_ref_doc(self, document: Document, **update_kwargs: Any) -> None:
        """Replace the document with ``document.doc_id`` (one ingest)."""
        _no_kwargs("update_ref_doc", update_kwargs)
        self.insert(document)

    async def aupdate_ref_doc(self, document: Document, **update_kwargs: Any) -> None:
        _no_kwargs("aupdate_ref_doc", update_kwargs)
        await self.ainsert(document)

    def refresh_ref_docs(self, documents: Sequence[Document], **update_kwargs: Any) -> List[bool]:
        """Ingest the documents that are new or changed (text or metadata); whether each was."""
        _no_kwargs("refresh_ref_docs", update_kwargs)
        news = [_node_document(d) for d in documents]
        return self.client.collections.refresh(self.collection, news)

    async def arefresh_ref_docs(self, documents: Sequence[Document], **update_kwargs: Any) -> List[bool]:
        _no_kwargs("arefresh_ref_docs", update_kwargs)
        news = [_node_document(d) for d in documents]
        return await self.aclient.collections.refresh(self.collection, news)

    # -- deleting and reading ----------------------------------------------------------------

    def delete_ref_doc(self, ref_doc_id: str, delete_from_docstore: bool = False, **delete_kwargs: Any) -> None:
        """Delete the document ``ref_doc_id`` and its chunks (a missing one is no error)."""
        _no_kwargs("delete_ref_doc", delete_kwargs)
        self.client.collections.delete(self.collection, [ref_doc_id])

    async def adelete_ref_doc(self, ref_doc_id: str, delete_from_docstore: bool = False, **delete_kwargs: Any) -> None:
        _no_kwargs("adelete_ref_doc", delete_kwargs)
        await self.aclient.collections.delete(self.collection, [ref_doc_id])

    def _delete_node(self, node_id: str, **delete_kwargs: Any) -> None:
        raise NotImplementedError("Zylon deletes whole documents, not single chunks: use delete_ref_doc(doc_id)")

    @property
    def ref_doc_info(self) -> Dict[str, RefDocInfo]:
        """Every document of the collection: its id → its metadata (no node ids: the
        chunks are the server's)."""
        docs = self.client.collections.list(self.collection)
        return {d.artifact: RefDocInfo(node_ids=[], metadata=stored_metadata(d.doc_metadata, d.artifact)) for d in docs if d.artifact}

    # -- querying ----------------------------------------------------------------------------

    def as_retriever(self, **kwargs: Any) -> BaseRetriever:
        """A :class:`ZylonIndexRetriever`: ``similarity_top_k`` (default 4), ``filters``
        (``MetadataFilters``), ``artifact_ids`` (alias ``doc_ids``), ``score_threshold``
        (0..1), ``expand``. The query and chat engines' own arguments are let through;
        anything else is a ``TypeError``."""
        unknown = sorted(set(kwargs) - set(_RETRIEVER_KWARGS) - _engine_kwargs())
        if unknown:
            raise TypeError(f"unexpected argument(s) {', '.join(unknown)} for ZylonIndex.as_retriever")
        if kwargs.get("artifact_ids") is not None and kwargs.get("doc_ids") is not None:
            raise ValueError("give artifact_ids or doc_ids (the same thing), not both")
        artifact_ids = kwargs.get("artifact_ids") if kwargs.get("artifact_ids") is not None else kwargs.get("doc_ids")
        return ZylonIndexRetriever(
            self,
            similarity_top_k=kwargs.get("similarity_top_k", 4),
            filters=kwargs.get("filters"),
            artifact_ids=artifact_ids,
            score_threshold=kwargs.get("score_threshold"),
            expand=bool(kwargs.get("expand", False)),
            callback_manager=kwargs.get("callback_manager"),
            verbose=bool(kwargs.get("verbose", False)),
        )


def _no_kwargs(method: str, kwargs: Dict[str, Any]) -> None:
    if kwargs:
        raise TypeError(f"unexpected argument(s) {', '.join(sorted(kwargs))} for ZylonIndex.{method}")
