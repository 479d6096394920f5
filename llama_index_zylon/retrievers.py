"""``ZylonRetriever``: ZylonGPT chunk search (``POST /api/gpt/v1/primitives/search``,
``semantic_search``) as a LlamaIndex retriever."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
from pydantic import SecretStr

from zylon_core import AsyncZylonClient, ZylonClient, ZylonSettings
from zylon_core.models import Chunk, ChunkSearchResponse
from zylon_core.rag import SearchParams, chunk_metadata
from zylon_core.settings import DEFAULT_MAX_RETRIES

# Kept on the node but not shown to the LLM or the embedding model.
_HIDDEN_KEYS = ["chunk_id", "score", "collection", "previous_texts", "next_texts", "artifact_id", "source"]


class ZylonRetriever(BaseRetriever):
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

    def __init__(
        self,
        collection: Optional[str] = None,
        *,
        project_id: Optional[str] = None,
        artifact_ids: Optional[Sequence[str]] = None,
        k: Optional[int] = None,
        similarity_top_k: Optional[int] = None,
        score_threshold: Optional[float] = None,
        expand: bool = False,
        base_url: Optional[str] = None,
        api_token: Optional[str | SecretStr] = None,
        api_key: Optional[str | SecretStr] = None,
        org: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        verify: Any = None,
        callback_manager: Optional[CallbackManager] = None,
        verbose: bool = False,
    ) -> None:
        if collection is not None and project_id is not None and collection != project_id:
            raise ValueError("give collection or project_id (the same thing), not two different values")
        if k is not None and similarity_top_k is not None and k != similarity_top_k:
            raise ValueError("give k or similarity_top_k (the same thing), not two different values")
        self.params = SearchParams(
            k=k if k is not None else (similarity_top_k if similarity_top_k is not None else 4),
            collection=collection if collection is not None else project_id,
            artifact_ids=tuple(artifact_ids) if artifact_ids is not None else None,
            score_threshold=score_threshold,
            expand=expand,
        )
        self.settings = ZylonSettings.resolve(
            base_url=base_url,
            api_token=api_token if api_token is not None else api_key,
            org=org,
            timeout=timeout,
            max_retries=max_retries,
            verify=verify,
        )
        self._client = ZylonClient(self.settings)
        self._aclient = AsyncZylonClient(self.settings)
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    # The search parameters, readable as attributes.
    collection = property(lambda self: self.params.collection)
    artifact_ids = property(lambda self: list(self.params.artifact_ids) if self.params.artifact_ids is not None else None)
    k = property(lambda self: self.params.k)
    similarity_top_k = k
    score_threshold = property(lambda self: self.params.score_threshold)
    expand = property(lambda self: self.params.expand)

    def __repr__(self) -> str:
        return (
            f"ZylonRetriever(base_url={self.settings.base_url!r}, org={self.settings.org!r}, "
            f"collection={self.collection!r}, artifact_ids={self.artifact_ids!r}, k={self.k}, "
            f"score_threshold={self.score_threshold!r}, expand={self.expand})"
        )

    def _node(self, chunk: Chunk) -> NodeWithScore:
        metadata = chunk_metadata(chunk, expand=self.params.expand)
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

    def _nodes(self, response: ChunkSearchResponse) -> List[NodeWithScore]:
        return [self._node(chunk) for chunk in response.data[: self.params.k]]

    def _retrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        response = self._client.chunks.search(query_bundle.query_str, **self.params.search_kwargs())
        return self._nodes(response)

    async def _aretrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        response = await self._aclient.chunks.search(query_bundle.query_str, **self.params.search_kwargs())
        return self._nodes(response)

    def close(self) -> None:
        self._client.close()

    async def aclose(self) -> None:
        await self._aclient.aclose()
