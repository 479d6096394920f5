"""``ZylonRetriever``: ZylonGPT chunk search (``POST /api/gpt/v1/primitives/search``,
``semantic_search``) as a LangChain retriever."""

from __future__ import annotations

from typing import Any, Optional

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import AliasChoices, ConfigDict, Field

from zylon_core._rag import SearchParams, chunk_metadata
from zylon_core.models import ChunkSearchResponse

from ._config import ZylonConnection
from ._errors import mapped_errors

# Passed through invoke() by LangChain itself, not search arguments.
_IGNORED_KWARGS = ("verbose",)


class ZylonRetriever(ZylonConnection, BaseRetriever):
    """The chunks of a Zylon collection (a project's artifacts) most similar to a query.

    Setup: ``ZYLON_BASE_URL`` and ``ZYLON_API_TOKEN`` (or ``base_url`` / ``api_token``,
    alias ``api_key``); ``ZYLON_ORG`` optional.

    ```python
    from langchain_zylon import ZylonRetriever

    retriever = ZylonRetriever(collection="proj_...", k=3)
    docs = retriever.invoke("What drove support cases in Q1?")
    docs[0].page_content            # the chunk's text
    docs[0].metadata["score"]       # relevance, 0..1, best first
    docs[0].metadata["artifact_id"] # the artifact (document) it comes from
    ```

    Search parameters (each can also be passed per call, e.g.
    ``retriever.invoke(q, k=1, artifact_ids=[...])``):

    * ``collection`` (alias ``project_id``): the ZylonGPT collection to search; the
      server's default collection when omitted;
    * ``artifact_ids``: only these artifacts;
    * ``k``: at most this many chunks (default 4);
    * ``score_threshold``: drop chunks scoring below it (0..1);
    * ``expand``: add each chunk's neighbouring texts (``metadata["previous_texts"]`` /
      ``metadata["next_texts"]``); ``page_content`` stays the chunk itself.

    Each ``Document`` has ``id`` = the chunk id, ``page_content`` = the chunk text and
    ``metadata`` = the document's metadata (``file_name``, ``title``, ...) plus
    ``artifact_id``, ``chunk_id``, ``score``, ``collection`` and ``source`` (the file name).
    Errors are ``zylon_core`` errors that are also LangChain's standard model errors.
    """

    # The bases' configurations do not merge the way we need: say it all here.
    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="forbid", arbitrary_types_allowed=True)

    collection: Optional[str] = Field(default=None, validation_alias=AliasChoices("collection", "project_id"))
    """The collection to search (alias ``project_id``)."""
    artifact_ids: Optional[list[str]] = None
    """Only search these artifacts."""
    k: int = Field(default=4, ge=1)
    """The number of chunks to return (at most)."""
    score_threshold: Optional[float] = Field(default=None, ge=0.0, le=1.0)
    """Minimum relevance score (0..1)."""
    expand: bool = False
    """Add each chunk's neighbours to its metadata."""

    def _params(self, overrides: dict[str, Any]) -> SearchParams:
        for name in _IGNORED_KWARGS:
            overrides.pop(name, None)
        if "project_id" in overrides:
            overrides["collection"] = overrides.pop("project_id")
        base = SearchParams(
            k=self.k,
            collection=self.collection,
            artifact_ids=tuple(self.artifact_ids) if self.artifact_ids is not None else None,
            score_threshold=self.score_threshold,
            expand=self.expand,
        )
        return base.with_overrides(overrides)

    @staticmethod
    def _documents(response: ChunkSearchResponse, params: SearchParams) -> list[Document]:
        return [
            Document(id=chunk.id, page_content=chunk.text, metadata=chunk_metadata(chunk, expand=params.expand))
            for chunk in response.data[: params.k]
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        params = self._params(kwargs)
        with mapped_errors():
            response = self._client.chunks.search(query, **params.search_kwargs())
        return self._documents(response, params)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        params = self._params(kwargs)
        with mapped_errors():
            response = await self._aclient.chunks.search(query, **params.search_kwargs())
        return self._documents(response, params)
