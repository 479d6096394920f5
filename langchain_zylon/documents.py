"""``ZylonProjectLoader``: a Zylon project's documents as LangChain ``Document`` s, and
LangChain ``Document`` s or files added to a project (as searchable artifacts)."""

from __future__ import annotations

import os
from typing import Any, AsyncIterator, Iterator, Sequence

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document
from pydantic import ConfigDict, Field

from zylon_core._operations import ProjectDocument
from zylon_core._rag import document_names

from ._config import ZylonConnection
from ._errors import mapped_errors
from .retrievers import ZylonRetriever


class ZylonProjectLoader(ZylonConnection, BaseLoader):
    """Read and write the documents of one Zylon project.

    ```python
    from langchain_core.documents import Document
    from langchain_zylon import ZylonProjectLoader

    project = ZylonProjectLoader(project_id="proj_...")
    ids = project.add_documents([Document(page_content="...", metadata={"title": "Q1 notes"})])
    ids += project.add_files(["handbook.pdf"])
    docs = project.load()                  # every ingested document, as parsed by Zylon
    retriever = project.as_retriever(k=3)  # a ZylonRetriever over this project's artifacts
    ```

    ``add_documents`` / ``add_files`` create one ``Document`` artifact per item (a
    LangChain document is uploaded as a UTF-8 text file named after its ``title``,
    ``name``, ``file_name`` or ``source`` metadata, else ``document-N``), return the
    artifact ids in order, and by default wait until Zylon has ingested them (so a
    retriever or a chat with ``all_artifacts`` finds them right away); a failed
    ingestion raises ``zylon_core.IngestionError``. Other metadata is not stored by
    Zylon: keep the returned ids to map results back. Async twins: ``aadd_documents``,
    ``aadd_files``, ``alazy_load``, ``adelete``.

    ``load`` / ``lazy_load`` yield one ``Document`` per ingested text artifact: its
    parsed content (usually markdown) with ``artifact_id``, ``project_id``, ``name``,
    ``file_name`` and ``source`` metadata.

    ``as_retriever`` gives a :class:`ZylonRetriever` in project mode: the Workspace
    search over this project's artifacts (a Workspace token suffices). With
    ``collection=...`` it searches that ZylonGPT collection instead (a Gateway token),
    narrowed to this project's chunks by their ``project_id`` metadata.
    """

    # The bases' configurations do not merge the way we need: say it all here.
    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="forbid", arbitrary_types_allowed=True)

    project_id: str
    """The Workspace project."""
    wait: bool = True
    """Wait until added documents are ingested."""
    ingest_timeout: float = Field(default=600.0, gt=0)
    """Seconds to wait for ingestion before ``IngestionTimeoutError``."""
    poll_interval: float = Field(default=1.0, ge=0)
    """First pause between ingestion checks (backs off to 10 s)."""

    # -- load ----------------------------------------------------------------------------

    @staticmethod
    def _document(found: ProjectDocument) -> Document:
        return Document(id=found.artifact.id, page_content=found.text, metadata=found.metadata)

    def lazy_load(self) -> Iterator[Document]:
        with mapped_errors():
            for found in self._client.artifacts.documents(self.project_id):
                yield self._document(found)

    async def alazy_load(self) -> AsyncIterator[Document]:
        with mapped_errors():
            async for found in self._aclient.artifacts.documents(self.project_id):
                yield self._document(found)

    # -- add -----------------------------------------------------------------------------

    def _wait(self, wait: bool | None) -> dict[str, Any]:
        return {
            "wait": self.wait if wait is None else wait,
            "timeout": self.ingest_timeout,
            "poll_interval": self.poll_interval,
        }

    def add_documents(self, documents: Sequence[Document], *, wait: bool | None = None) -> list[str]:
        """Upload each document's ``page_content`` as a text artifact; the artifact ids."""
        names = document_names([d.metadata for d in documents])
        with mapped_errors():
            created = self._client.artifacts.add_texts(
                self.project_id, [d.page_content for d in documents], names=names, **self._wait(wait)
            )
        return [a.id for a in created]

    async def aadd_documents(self, documents: Sequence[Document], *, wait: bool | None = None) -> list[str]:
        names = document_names([d.metadata for d in documents])
        with mapped_errors():
            created = await self._aclient.artifacts.add_texts(
                self.project_id, [d.page_content for d in documents], names=names, **self._wait(wait)
            )
        return [a.id for a in created]

    def add_files(self, paths: Sequence[str | os.PathLike[str]], *, wait: bool | None = None) -> list[str]:
        """Upload files (PDF, DOCX, text, ...) as document artifacts; the artifact ids."""
        with mapped_errors():
            created = self._client.artifacts.add_files(self.project_id, list(paths), **self._wait(wait))
        return [a.id for a in created]

    async def aadd_files(self, paths: Sequence[str | os.PathLike[str]], *, wait: bool | None = None) -> list[str]:
        with mapped_errors():
            created = await self._aclient.artifacts.add_files(self.project_id, list(paths), **self._wait(wait))
        return [a.id for a in created]

    def delete(self, artifact_ids: Sequence[str]) -> None:
        """Delete artifacts of this project (their chunks leave the search index)."""
        with mapped_errors():
            for artifact_id in artifact_ids:
                self._client.artifacts.delete(self.project_id, artifact_id)

    async def adelete(self, artifact_ids: Sequence[str]) -> None:
        with mapped_errors():
            for artifact_id in artifact_ids:
                await self._aclient.artifacts.delete(self.project_id, artifact_id)

    # -- search --------------------------------------------------------------------------

    def as_retriever(self, **kwargs: Any) -> ZylonRetriever:
        """A :class:`ZylonRetriever` over this project (same connection); ``kwargs`` are
        its fields (``k``, ``score_threshold``; with ``collection``, also
        ``artifact_ids`` and ``expand``). Without ``collection``: the Workspace search,
        keeping this project's hits; with it: ZylonGPT chunk search in that collection,
        filtered on ``project_id`` metadata."""
        return ZylonRetriever(**{"project_id": self.project_id, **self._connection_fields(), **kwargs})
