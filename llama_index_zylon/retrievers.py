"""``ZylonRetriever``: ZylonGPT chunk search (``POST /api/gpt/v1/primitives/search``,
``semantic_search``) as a LlamaIndex retriever."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
from pydantic import AliasChoices

from zylon_core._rag import SearchParams, chunk_metadata
from zylon_core.models import Chunk, ChunkSearchResponse

from ._config import ZylonConnection

# Kept on the node but not shown to the LLM or the embedding model.
_HIDDEN_KEYS = ["chunk_id", "score", "collection", "previous_texts", "next_texts", "artifact_id", "source"]


class ZylonRetriever(ZylonConnection, BaseRetriever):
    """The chunks of a Zylon collection (a project's artifacts) most similar to a query,
    as ``NodeWithScore`` s.

    ```python
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index_zylon import Zylon, ZylonRetriever

    retriever = ZylonRetriever(collection="proj_...", k=3)
    nodes = retriever.retrieve("What drove support cases in Q1?")
    engine = RetrieverQueryEngine.from_args(retriever, llm=Zylon())
    ```

    Search parameters: ``collection`` (alias ``project_id``; the server's default
    collection when omitted), ``artifact_ids``, ``k`` (alias ``similarity_top_k``,
    default 4), ``score_threshold`` (0..1), ``expand`` (neighbouring texts in
    ``metadata["previous_texts"]`` / ``["next_texts"]``). Configuration: ``base_url``,
    ``api_token`` (alias ``api_key``), ``org``, ``timeout``, ``max_retries``, ``verify``,
    with the ``ZYLON_*`` environment fallbacks.

    Each node is a ``TextNode`` whose ``id_`` is the chunk id, ``text`` the chunk text,
    ``metadata`` the document's metadata (``file_name``, ``title``, ...) plus
    ``artifact_id``, ``chunk_id``, ``score``, ``collection`` and ``source``, and whose
    ``SOURCE`` relationship points at the artifact; ``NodeWithScore.score`` is the
    relevance (0..1), best first.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    collection: Optional[str] = Field(
        default=None,
        validation_alias=AliasChoices("collection", "project_id"),
        description="The collection to search (alias project_id); the server's default when omitted.",
    )
    artifact_ids: Optional[List[str]] = Field(default=None, description="Only search these artifacts.")
    k: int = Field(default=4, validation_alias=AliasChoices("k", "similarity_top_k"), description="Chunks to return (at most).")
    score_threshold: Optional[float] = Field(default=None, description="Minimum relevance (0..1).")
    expand: bool = Field(default=False, description="Add each chunk's neighbouring texts to its metadata.")
    callback_manager: CallbackManager = Field(default_factory=CallbackManager, exclude=True)
    object_map: Dict[str, Any] = Field(default_factory=dict, exclude=True)

    _verbose: bool = PrivateAttr(default=False)

    def __init__(self, collection: Optional[str] = None, *, verbose: bool = False, **data: Any) -> None:
        if collection is not None:
            if data.get("project_id") not in (None, collection):
                raise ValueError("give collection or project_id (the same thing), not two different values")
            data["collection"] = collection
        if "k" in data and "similarity_top_k" in data and data["k"] != data["similarity_top_k"]:
            raise ValueError("give k or similarity_top_k (the same thing), not two different values")
        if data.get("callback_manager") is None:
            data.pop("callback_manager", None)
        super().__init__(**data)
        self._verbose = verbose
        _ = self.params  # checks k and score_threshold: a ValueError naming the bad one

    @property
    def params(self) -> SearchParams:
        return SearchParams(
            k=self.k,
            collection=self.collection,
            artifact_ids=tuple(self.artifact_ids) if self.artifact_ids is not None else None,
            score_threshold=self.score_threshold,
            expand=self.expand,
        )

    @property
    def similarity_top_k(self) -> int:
        return self.k

    def __repr__(self) -> str:
        return (
            f"ZylonRetriever(base_url={self.base_url!r}, org={self.org!r}, "
            f"collection={self.collection!r}, artifact_ids={self.artifact_ids!r}, k={self.k}, "
            f"score_threshold={self.score_threshold!r}, expand={self.expand})"
        )

    @staticmethod
    def _node(chunk: Chunk, params: SearchParams) -> NodeWithScore:
        metadata = chunk_metadata(chunk, expand=params.expand)
        relationships = {}
        if metadata.get("artifact_id"):
            relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=str(metadata["artifact_id"]))
        node_args: dict[str, Any] = {
            "text": chunk.text,
            "metadata": metadata,
            "relationships": relationships,
            "excluded_llm_metadata_keys": list(_HIDDEN_KEYS),
            "excluded_embed_metadata_keys": list(_HIDDEN_KEYS),
        }
        if chunk.id:
            node_args["id_"] = chunk.id
        return NodeWithScore(node=TextNode(**node_args), score=chunk.score)

    def _nodes(self, response: ChunkSearchResponse, params: SearchParams) -> List[NodeWithScore]:
        return [self._node(chunk, params) for chunk in response.data[: params.k]]

    def _retrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        params = self.params
        response = self._client.chunks.search(query_bundle.query_str, **params.search_kwargs())
        return self._nodes(response, params)

    async def _aretrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        params = self.params
        response = await self._aclient.chunks.search(query_bundle.query_str, **params.search_kwargs())
        return self._nodes(response, params)
