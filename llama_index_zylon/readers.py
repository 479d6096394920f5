"""``ZylonProjectReader``: a Zylon project's documents as LlamaIndex ``Document`` s, and
LlamaIndex documents or files added to a project (as searchable artifacts)."""

from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence

from llama_index.core.bridge.pydantic import Field
from llama_index.core.readers.base import BasePydanticReader
from llama_index.core.schema import Document

from zylon_core.models import Artifact
from zylon_core.rag import document_names

from ._config import ZylonConnection
from .retrievers import ZylonRetriever

_TEXT_TYPES = ("Document", "InlineText")


class ZylonProjectReader(ZylonConnection, BasePydanticReader):
    """Read and write the documents of one Zylon project.

    ```python
    from llama_index.core import SimpleDirectoryReader
    from llama_index_zylon import ZylonProjectReader

    project = ZylonProjectReader(project_id="proj_...")
    ids = project.add_documents(SimpleDirectoryReader("notes/").load_data())
    ids += project.add_files(["handbook.pdf"])
    documents = project.load_data()          # every ingested document, parsed by Zylon
    retriever = project.as_retriever(k=3)    # a ZylonRetriever over this project
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

    ``as_retriever`` searches the ZylonGPT collection named after the project id, which
    is where this package assumes the Workspace ingests a project's artifacts (the
    emulator does); pass ``collection=...`` if your instance names it otherwise.
    """

    is_remote: bool = True
    project_id: str = Field(description="The Workspace project.")
    wait: bool = Field(default=True, description="Wait until added documents are ingested.")
    ingest_timeout: float = Field(default=600.0, gt=0, description="Seconds to wait for ingestion.")
    poll_interval: float = Field(default=1.0, ge=0, description="First pause between ingestion checks.")

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        self._connect()

    @classmethod
    def class_name(cls) -> str:
        return "ZylonProjectReader"

    # -- load ----------------------------------------------------------------------------

    def _document(self, artifact: Artifact, text: str) -> Document:
        metadata = {
            "artifact_id": artifact.id,
            "project_id": artifact.project_id or self.project_id,
            "name": artifact.name,
            "file_name": artifact.file_name or artifact.name,
        }
        return Document(id_=artifact.id, text=text, metadata=metadata)

    @staticmethod
    def _loadable(artifact: Artifact) -> bool:
        return artifact.type in _TEXT_TYPES and artifact.ingest_status == "Done"

    def load_data(self) -> List[Document]:
        artifacts = self._client.artifacts
        return [
            self._document(a, artifacts.parsed_content(self.project_id, a.id))
            for a in artifacts.iter_all(self.project_id, include_descendants=True)
            if self._loadable(a)
        ]

    async def aload_data(self) -> List[Document]:
        artifacts = self._aclient.artifacts
        documents = []
        async for artifact in artifacts.iter_all(self.project_id, include_descendants=True):
            if self._loadable(artifact):
                documents.append(self._document(artifact, await artifacts.parsed_content(self.project_id, artifact.id)))
        return documents

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
        """A :class:`ZylonRetriever` over this project (same connection)."""
        connection = {
            "base_url": self.base_url,
            "api_token": self.api_token,
            "org": self.org,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "verify": self.verify,
        }
        return ZylonRetriever(**{"collection": self.project_id, **connection, **kwargs})
