"""``ZylonRetriever``: Zylon search as a LangChain retriever, in two modes: ZylonGPT
chunk search over a collection (``POST /api/gpt/v1/primitives/search``), or the
Workspace search over a project's artifacts (``GET /api/v1/app/search``)."""

from __future__ import annotations

from typing import Any, Optional

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, model_validator

from zylon_core._rag import SearchParams, chunk_metadata, hit_metadata
from zylon_core.models import ChunkSearchResponse, SearchResult

from ._config import ZylonConnection
from ._errors import mapped_errors

# Passed through invoke() by LangChain itself, not search arguments.
_IGNORED_KWARGS = ("verbose",)


class ZylonRetriever(ZylonConnection, BaseRetriever):
    """The passages of Zylon documents most relevant to a query.

    Setup: ``ZYLON_BASE_URL`` and ``ZYLON_API_TOKEN`` (or ``base_url`` / ``api_token``,
    alias ``api_key``); ``ZYLON_ORG`` optional.

    Two modes, chosen by the fields:

    * **collection** (``collection=...``, or neither field): ZylonGPT chunk search
      (``POST /api/gpt/v1/primitives/search``, ``semantic_search``) over that collection
      (the server's default one when omitted). Needs a **Gateway token** (Workspace
      tokens, and every token made before Zylon 1.54, reach ``/api/v1`` only: a 401/403
      says so). ``project_id`` may be added: only chunks whose ``project_id`` metadata is
      that project (the server indexes it with a project's artifacts);
    * **project** (``project_id=...`` without ``collection``): the Workspace search
      (``GET /api/v1/app/search?types=ArtifactContent``), keeping the hits of that
      project. A **Workspace token** suffices (the instance needs its ZylonGPT gateway
      linked to the organisation's collection). The search takes 3 to 80 characters:
      a longer query is cut to 80 at a word boundary; a hit carries the matching text
      and its artifact's name, not the artifact id, so ``artifact_ids`` and ``expand``
      are collection-mode only.

    ```python
    from langchain_zylon import ZylonRetriever

    retriever = ZylonRetriever(collection="019c7569-...", k=3)    # Gateway token
    docs = retriever.invoke("What drove support cases in Q1?")
    docs[0].page_content            # the chunk's text
    docs[0].metadata["score"]       # relevance, 0..1, best first
    docs[0].metadata["artifact_id"] # the artifact (document) it comes from

    in_project = ZylonRetriever(project_id="proj_...", k=3)      # Workspace token
    in_project.invoke("support cases")[0].metadata["name"]       # the artifact's name
    ```

    Search parameters (each can also be passed per call, e.g.
    ``retriever.invoke(q, k=1, artifact_ids=[...])``): ``collection``, ``project_id``,
    ``artifact_ids`` (only these artifacts), ``k`` (at most this many results, default
    4), ``score_threshold`` (drop results scoring below it, 0..1), ``expand`` (add each
    chunk's neighbouring texts as ``metadata["previous_texts"]`` /
    ``metadata["next_texts"]``; ``page_content`` stays the chunk itself).

    Collection mode: each ``Document`` has ``id`` = the chunk id, ``page_content`` = the
    chunk text and ``metadata`` = the document's metadata (``file_name``, ``title``, ...)
    plus ``artifact_id``, ``chunk_id``, ``score``, ``collection`` and ``source`` (the file
    name). Project mode: ``id`` = the hit's id, ``page_content`` = the matching text,
    ``metadata`` = ``name`` (the artifact's), ``type``, ``project_id``, ``project_name``,
    ``score`` (the hit's rank), ``search_result_id`` and ``source`` (the name).
    Errors are ``zylon_core`` errors that are also LangChain's standard model errors.
    """

    # The bases' configurations do not merge the way we need: say it all here.
    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="forbid", arbitrary_types_allowed=True)

    collection: Optional[str] = None
    """The ZylonGPT collection to search (collection mode)."""
    project_id: Optional[str] = None
    """The Workspace project: its artifacts only (project mode without ``collection``)."""
    artifact_ids: Optional[list[str]] = None
    """Only search these artifacts (collection mode)."""
    k: int = Field(default=4, ge=1)
    """The number of results to return (at most)."""
    score_threshold: Optional[float] = Field(default=None, ge=0.0, le=1.0)
    """Minimum relevance score (0..1)."""
    expand: bool = False
    """Add each chunk's neighbours to its metadata (collection mode)."""

    @model_validator(mode="after")
    def _check_mode(self) -> "ZylonRetriever":
        self._params({})  # a ValueError naming what does not fit the mode
        return self

    def _params(self, overrides: dict[str, Any]) -> SearchParams:
        for name in _IGNORED_KWARGS:
            overrides.pop(name, None)
        base = SearchParams(
            k=self.k,
            collection=self.collection,
            artifact_ids=tuple(self.artifact_ids) if self.artifact_ids is not None else None,
            score_threshold=self.score_threshold,
            expand=self.expand,
            project_id=self.project_id,
        )
        return base.with_overrides(overrides)

    @staticmethod
    def _documents(response: ChunkSearchResponse, params: SearchParams) -> list[Document]:
        return [
            Document(id=chunk.id, page_content=chunk.text, metadata=chunk_metadata(chunk, expand=params.expand))
            for chunk in response.data[: params.k]
        ]

    @staticmethod
    def _hits(hits: list[SearchResult], params: SearchParams) -> list[Document]:
        return [
            Document(id=hit.id, page_content=hit.match or "", metadata=hit_metadata(hit)) for hit in params.project_hits(hits)
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        params = self._params(kwargs)
        with mapped_errors():
            if params.mode == "workspace":
                return self._hits(self._client.search.query(**params.workspace_kwargs(query)), params)
            response = self._client.chunks.search(query, **params.search_kwargs())
        return self._documents(response, params)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        params = self._params(kwargs)
        with mapped_errors():
            if params.mode == "workspace":
                return self._hits(await self._aclient.search.query(**params.workspace_kwargs(query)), params)
            response = await self._aclient.chunks.search(query, **params.search_kwargs())
        return self._documents(response, params)
