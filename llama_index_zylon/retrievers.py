"""``ZylonRetriever``: Zylon search as a LlamaIndex retriever, in two modes: ZylonGPT
chunk search over a collection (``POST /api/gpt/v1/primitives/search``), or the
Workspace search over a project's artifacts (``GET /api/v1/app/search``)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
from pydantic import AliasChoices

from zylon_core._rag import SearchParams, chunk_metadata, hit_metadata
from zylon_core.models import Chunk, ChunkSearchResponse, SearchResult

from ._config import ZylonConnection

# Kept on the node but not shown to the LLM or the embedding model.
_HIDDEN_KEYS = ["chunk_id", "score", "collection", "previous_texts", "next_texts", "artifact_id", "source"]
_HIDDEN_HIT_KEYS = ["score", "search_result_id", "source", "project_id", "type"]


class ZylonRetriever(ZylonConnection, BaseRetriever):
    """The passages of Zylon documents most relevant to a query, as ``NodeWithScore`` s.

    Two modes, chosen by the fields:

    * **collection** (``collection=...``, or neither field): ZylonGPT chunk search
      (``POST /api/gpt/v1/primitives/search``) over that collection (the server's default
      one when omitted). Needs a **Gateway token** (Workspace tokens, and every token
      made before Zylon 1.54, reach ``/api/v1`` only: a 401/403 says so). ``project_id``
      may be added: only chunks whose ``project_id`` metadata is that project;
    * **project** (``project_id=...`` without ``collection``): the Workspace search
      (``GET /api/v1/app/search?types=ArtifactContent``), keeping that project's hits. A
      **Workspace token** suffices (the instance needs its ZylonGPT gateway linked to the
      organisation's collection). The search takes 3 to 80 characters: a longer query is
      cut to 80 at a word boundary; hits name their artifact but carry no artifact id,
      so ``artifact_ids`` and ``expand`` are collection-mode only.

    ```python
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index_zylon import Zylon, ZylonRetriever

    retriever = ZylonRetriever(collection="019c7569-...", k=3)   # Gateway token
    nodes = retriever.retrieve("What drove support cases in Q1?")
    engine = RetrieverQueryEngine.from_args(ZylonRetriever(project_id="proj_..."), llm=Zylon())
    ```

    Search parameters: ``collection``, ``project_id``, ``artifact_ids``, ``k`` (alias
    ``similarity_top_k``, default 4), ``score_threshold`` (0..1), ``expand`` (neighbouring
    texts in ``metadata["previous_texts"]`` / ``["next_texts"]``). Configuration:
    ``base_url``, ``api_token`` (alias ``api_key``), ``org``, ``timeout``,
    ``max_retries``, ``verify``, with the ``ZYLON_*`` environment fallbacks.

    Collection mode: each node is a ``TextNode`` whose ``id_`` is the chunk id, ``text``
    the chunk text, ``metadata`` the document's metadata (``file_name``, ``title``, ...)
    plus ``artifact_id``, ``chunk_id``, ``score``, ``collection`` and ``source``, and whose
    ``SOURCE`` relationship points at the artifact. Project mode: ``id_`` is the hit's
    id, ``text`` the matching text, ``metadata`` ``name`` (the artifact's), ``type``,
    ``project_id``, ``project_name``, ``score``, ``search_result_id`` and ``source``.
    ``NodeWithScore.score`` is the relevance (0..1), best first.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    collection: Optional[str] = Field(
        default=None, description="The ZylonGPT collection to search (collection mode; a Gateway token)."
    )
    project_id: Optional[str] = Field(
        default=None,
        description="Only this Workspace project's artifacts (without collection: the Workspace search).",
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
            data["collection"] = collection
        if "k" in data and "similarity_top_k" in data and data["k"] != data["similarity_top_k"]:
            raise ValueError("give k or similarity_top_k (the same thing), not two different values")
        if data.get("callback_manager") is None:
            data.pop("callback_manager", None)
        super().__init__(**data)
        self._verbose = verbose
        _ = self.params  # checks k, score_threshold and the mode: a ValueError naming the bad one

    @property
    def params(self) -> SearchParams:
        return SearchParams(
            k=self.k,
            collection=self.collection,
            artifact_ids=tuple(self.artifact_ids) if self.artifact_ids is not None else None,
            score_threshold=self.score_threshold,
            expand=self.expand,
            project_id=self.project_id,
        )

    @property
    def similarity_top_k(self) -> int:
        return self.k

    def __repr__(self) -> str:
        return (
            f"ZylonRetriever(base_url={self.base_url!r}, org={self.org!r}, "
            f"collection={self.collection!r}, project_id={self.project_id!r}, artifact_ids={self.artifact_ids!r}, k={self.k}, "
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

    @staticmethod
    def _hit_nodes(hits: List[SearchResult], params: SearchParams) -> List[NodeWithScore]:
        return [
            NodeWithScore(
                node=TextNode(
                    id_=hit.id,
                    text=hit.match or "",
                    metadata=hit_metadata(hit),
                    excluded_llm_metadata_keys=list(_HIDDEN_HIT_KEYS),
                    excluded_embed_metadata_keys=list(_HIDDEN_HIT_KEYS),
                ),
                score=hit.rank,
            )
            for hit in params.project_hits(hits)
        ]

    def _retrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        params = self.params
        if params.mode == "workspace":
            return self._hit_nodes(self._client.search.query(**params.workspace_kwargs(query_bundle.query_str)), params)
        response = self._client.chunks.search(query_bundle.query_str, **params.search_kwargs())
        return self._nodes(response, params)

    async def _aretrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        params = self.params
        if params.mode == "workspace":
            hits = await self._aclient.search.query(**params.workspace_kwargs(query_bundle.query_str))
            return self._hit_nodes(hits, params)
        response = await self._aclient.chunks.search(query_bundle.query_str, **params.search_kwargs())
        return self._nodes(response, params)
