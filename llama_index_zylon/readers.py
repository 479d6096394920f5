"""``ZylonProjectReader``: a Zylon project's documents as LlamaIndex ``Document`` s, and
LlamaIndex documents or files added to a project (as searchable artifacts)."""

from __future__ import annotations

import os
from typing import Any, Iterator, List, Optional, Sequence

from llama_index.core.bridge.pydantic import Field
from llama_index.core.readers.base import BasePydanticReader
from llama_index.core.schema import Document

from zylon_core._operations import ProjectDocument
from zylon_core._rag import document_names

from ._config import ZylonConnection
from .retrievers import ZylonRetriever


class ZylonProjectReader(ZylonConnection, BasePydanticReader):
    """Read and write the documents of one Zylon project.

    ```python
    from llama_index.core import SimpleDirectoryReader
    from llama_index_zylon import ZylonProjectReader

    project = ZylonProjectReader(project_id="proj_...")
    ids = project.add_documents(SimpleDirectoryReader("notes/").load_data())
    ids += project.add_files(["handbook.pdf"])
    documents = project.load_data()          # every ingested document, parsed by Zylon
    retriever = project.as_retriever(k=3)    # a ZylonRetriever over this project's artifacts
    ```

    ``add_documents`` / ``add_files`` create one ``Document`` artifact per item (a
    LlamaIndex document's text is uploaded as a UTF-8 file named after its ``title``,
    ``name``, ``file_name`` or ``file_path`` metadata, else ``document-N``), return the
    artifact ids in order and by default wait until Zylon has ingested them (a failed
    ingestion raises ``zylon_core.IngestionError``). Zylon keeps the name, not the other
    metadata. Async twins: ``aadd_documents``, ``aadd_files``, ``aload_data``.

    ``load_data`` returns one ``Document`` per ingested text artifact (``id_`` = the
    artifact id) with its parsed content and ``artifact_id``, ``project_id``, ``name``,
    ``file_name`` metadata.

    ``as_retriever`` gives a :class:`ZylonRetriever` in project mode: the Workspace
    search over this project's artifacts (a Workspace token suffices). With
    ``collection=...`` it searches that ZylonGPT collection instead (a Gateway token),
    narrowed to this project's chunks by their ``project_id`` metadata.
    """

    is_remote: bool = True
    project_id: str = Field(description="The Workspace project.")
    wait: bool = Field(default=True, description="Wait until added documents are ingested.")
    ingest_timeout: float = Field(default=600.0, gt=0, description="Seconds to wait for ingestion.")
    poll_interval: float = Field(default=1.0, ge=0, description="First pause between ingestion checks.")

    @classmethod
    def class_name(cls) -> str:
        return "ZylonProjectReader"

    # -- load ----------------------------------------------------------------------------

    @staticmethod
    def _document(found: ProjectDocument) -> Document:
        return Document(id_=found.artifact.id, text=found.text, metadata=found.metadata)

    def lazy_load_data(self) -> Iterator[Document]:
        """Each ingested text artifact of the project, as it is read."""
        for found in self._client.artifacts.documents(self.project_id):
            yield self._document(found)

    async def alazy_load_data(self, *args: Any, **load_kwargs: Any) -> List[Document]:
        """Each ingested text artifact of the project (``BaseReader`` 's contract: a
        coroutine whose result is the documents)."""
        if args or load_kwargs:
            raise TypeError(f"ZylonProjectReader.alazy_load_data takes no arguments, got {args!r} {load_kwargs!r}")
        return [self._document(found) async for found in self._aclient.artifacts.documents(self.project_id)]

    def load_data(self) -> List[Document]:
        return list(self.lazy_load_data())

    async def aload_data(self) -> List[Document]:
        return await self.alazy_load_data()

    # -- add -----------------------------------------------------------------------------

    def _wait(self, wait: Optional[bool]) -> dict[str, Any]:
        return {"wait": self.wait if wait is None else wait, "timeout": self.ingest_timeout, "poll_interval": self.poll_interval}

    def add_documents(self, documents: Sequence[Document], *, wait: Optional[bool] = None) -> List[str]:
        """Upload each document's text as a text artifact; the artifact ids, in order."""
        names = document_names([d.metadata for d in documents])
        created = self._client.artifacts.add_texts(self.project_id, [d.text for d in documents], names=names, **self._wait(wait))
        return [a.id for a in created]

    async def aadd_documents(self, documents: Sequence[Document], *, wait: Optional[bool] = None) -> List[str]:
        names = document_names([d.metadata for d in documents])
        created = await self._aclient.artifacts.add_texts(
            self.project_id, [d.text for d in documents], names=names, **self._wait(wait)
        )
        return [a.id for a in created]

    def add_files(self, paths: Sequence[str | os.PathLike[str]], *, wait: Optional[bool] = None) -> List[str]:
        """Upload files (PDF, DOCX, text, ...) as document artifacts; the artifact ids."""
        created = self._client.artifacts.add_files(self.project_id, list(paths), **self._wait(wait))
        return [a.id for a in created]

    async def aadd_files(self, paths: Sequence[str | os.PathLike[str]], *, wait: Optional[bool] = None) -> List[str]:
        created = await self._aclient.artifacts.add_files(self.project_id, list(paths), **self._wait(wait))
        return [a.id for a in created]

    def delete(self, artifact_ids: Sequence[str]) -> None:
        for artifact_id in artifact_ids:
            self._client.artifacts.delete(self.project_id, artifact_id)

    def as_retriever(self, **kwargs: Any) -> ZylonRetriever:
        """A :class:`ZylonRetriever` over this project (same connection; ``kwargs`` are
        its fields): the Workspace search keeping this project's hits, or with
        ``collection`` ZylonGPT chunk search filtered on ``project_id`` metadata."""
        return ZylonRetriever(**{"project_id": self.project_id, **self._connection_fields(), **kwargs})
