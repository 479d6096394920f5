"""The Workspace artifact endpoints as pure call builders (a part of
:class:`~._api.Endpoints`), after ``docs/.../workspace-api/content/artifacts.mdx``.

A ``Document`` is uploaded as multipart: ``type``, ``name`` (and the other text fields),
``props`` as an ``application/json`` part holding ``file_name``, ``content_type`` and
``content_length`` (the exact byte count of the file, computed here), and the file in
``fileData`` with its own content type. Every other type is created from JSON with a
``props`` object.

Creating (JSON or upload) and syncing are POSTs that are never resent once they may
have reached the server (``idempotent=False``); reads, updates (PUT) and deletes are
safe to resend.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from dataclasses import dataclass
from typing import IO, Any, Callable, Mapping, Sequence, Union

import httpx
from pydantic import TypeAdapter

from ._call import Call, parse_model
from .models import (
    Artifact,
    ArtifactUpdateItem,
    BulkUpdateArtifacts,
    CreateArtifact,
    LinkedArtifactsCheck,
    Page,
    UpdateArtifact,
)

# What an upload accepts as the file: a path, bytes, or an open binary file.
FileInput = Union[str, "os.PathLike[str]", bytes, IO[bytes]]

MAX_UPLOAD_BYTES = 250 * 1024 * 1024
"""The documented upload limit ("413: content exceeds ... 250 MB"), read generously as
MiB: a file above it is refused before sending; one just under it may still get a 413."""

# The Document props the client computes from the file (a caller may add others, such
# as ``metadata``, but not change these).
DOCUMENT_PROPS = ("file_name", "content_type", "content_length")

_ARTIFACTS: TypeAdapter[list[Artifact]] = TypeAdapter(list[Artifact])


@dataclass(frozen=True)
class DownloadAnswer:
    """What ``GET .../download`` answered: the content itself, or (as the OpenAPI
    document describes it) a short-lived URL to fetch the content from."""

    content: bytes | None = None
    url: str | None = None


class ArtifactEndpoints:
    """``/api/v1/app/project/{project_id}/artifact...`` (mixed into ``Endpoints``)."""

    _workspace: str

    def _artifact_url(self, project_id: str, artifact_id: str | None = None, suffix: str = "") -> str:
        url = f"{self._workspace}/project/{project_id}/artifact"
        return url + (f"/{artifact_id}" if artifact_id is not None else "") + suffix

    def artifact_create(self, project_id: str, artifact: CreateArtifact | Mapping[str, Any]) -> Call[Artifact]:
        """``POST /project/{id}/artifact`` with a JSON ``CreateArtifactDTO`` (folder, link,
        summary, ...); ``type`` and ``name`` are required, ``props`` is always sent
        (``{}`` when empty). A file goes through :meth:`artifact_upload` instead."""
        dto = artifact if isinstance(artifact, CreateArtifact) else CreateArtifact.model_validate(dict(artifact))
        if not isinstance(dto.name, str) or not dto.name.strip():
            raise ValueError(f"an artifact needs a non-empty name (type {dto.type!r}): the Workspace requires one")
        return Call("POST", self._artifact_url(project_id), json=dto.to_json_dict(), parse=parse_model(Artifact), idempotent=False)

    def artifact_upload(
        self,
        project_id: str,
        file: FileInput,
        *,
        name: str | None = None,
        file_name: str | None = None,
        content_type: str | None = None,
        description: str | None = None,
        parent_id: str | None = None,
        props: Mapping[str, Any] | None = None,
        keep_file_after_ingestion: bool | None = None,
    ) -> Call[Artifact]:
        """``POST /project/{id}/artifact`` as multipart: a ``Document`` with the file in
        ``fileData``. ``props`` may add keys (``metadata``...) to the computed
        ``file_name``, ``content_type`` and ``content_length``, not change them.
        ``ValueError`` for a file above 250 MB, a missing file name (bytes without
        ``file_name`` or ``name``) or props that contradict the file."""
        content, guessed_name = read_file(file)
        if len(content) > MAX_UPLOAD_BYTES:
            raise ValueError(
                f"the file is {len(content)} bytes; Zylon takes uploads up to 250 MB ({MAX_UPLOAD_BYTES} bytes)"
            )
        file_name = file_name or guessed_name or name
        if not file_name:
            raise ValueError("upload needs a file_name (or a name) when the file is given as bytes")
        name = name or file_name
        content_type = content_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        document_props = {"file_name": file_name, "content_type": content_type, "content_length": len(content)}
        extra = dict(props or {})
        for key in DOCUMENT_PROPS:
            if key in extra and extra[key] != document_props[key]:
                raise ValueError(
                    f"props[{key!r}]={extra[key]!r} contradicts the file ({key}={document_props[key]!r}): "
                    "file_name and content_type are set with their own arguments, content_length is the "
                    "number of bytes sent"
                )
        props_json = json.dumps({**extra, **document_props})
        fields: dict[str, str] = {"type": "Document", "source": "User", "name": name}
        if description is not None:
            fields["description"] = description
        if parent_id is not None:
            fields["parent_id"] = parent_id
        if keep_file_after_ingestion is not None:
            fields["keep_file_after_ingestion"] = "true" if keep_file_after_ingestion else "false"
        # A boundary derived from the content (not random): the same upload is the same
        # request bytes, so recorded requests replay and retries resend identical bodies.
        digest = hashlib.sha256(content + json.dumps(fields, sort_keys=True).encode() + props_json.encode()).hexdigest()
        return Call(
            "POST",
            self._artifact_url(project_id),
            data=fields,
            files={"props": (None, props_json, "application/json"), "fileData": (file_name, content, content_type)},
            headers={"Content-Type": f"multipart/form-data; boundary=zylon-{digest[:40]}"},
            parse=parse_model(Artifact),
            idempotent=False,  # a second upload is a second artifact
        )

    def artifact_document(
        self, project_id: str, name: str, text: str, *, file_name: str | None = None, **options: Any
    ) -> Call[Artifact]:
        """A ``Document`` holding ``text``, uploaded as a UTF-8 text file (``file_name``
        defaults to ``name`` plus ``.txt`` unless it has an extension)."""
        file_name = file_name or text_file_name(name)
        content_type = options.pop("content_type", None) or _text_content_type(file_name)
        return self.artifact_upload(
            project_id, text.encode("utf-8"), name=name, file_name=file_name, content_type=content_type, **options
        )

    def artifact_get(self, project_id: str, artifact_id: str, *, include_content: bool = False) -> Call[Artifact]:
        params = {"include_content": "true"} if include_content else None
        return Call("GET", self._artifact_url(project_id, artifact_id), params=params, parse=parse_model(Artifact))

    def artifact_page(self, project_id: str, query: Any, filters: Mapping[str, Any]) -> Call[Page[Artifact]]:
        """One page of ``GET /project/{id}/artifact`` (``query``: a ``PageQuery``)."""
        return Call(
            "GET",
            self._artifact_url(project_id),
            params={**query.params(), **query_params(filters)},
            parse=parse_model(Page[Artifact]),
        )

    def artifact_update(
        self, project_id: str, artifact_id: str, update: UpdateArtifact | Mapping[str, Any] | None = None, **fields: Any
    ) -> Call[Artifact]:
        dto = update if isinstance(update, UpdateArtifact) else UpdateArtifact.model_validate({**dict(update or {}), **fields})
        return Call("PUT", self._artifact_url(project_id, artifact_id), json=dto.to_json_dict(), parse=parse_model(Artifact))

    def artifact_bulk_update(
        self, project_id: str, updates: Mapping[str, UpdateArtifact | Mapping[str, Any]]
    ) -> Call[list[Artifact]]:
        """``PUT /project/{id}/artifact/bulk`` ``{"artifacts": [{"artifactId", "update"}]}``:
        ``updates`` maps artifact ids to ``PUT /artifact/{id}`` bodies; the updated artifacts."""
        if not updates:
            raise ValueError("bulk update needs at least one artifact id and its update")
        items = [
            ArtifactUpdateItem.model_validate(
                {
                    "artifactId": artifact_id,
                    "update": update if isinstance(update, UpdateArtifact) else UpdateArtifact.model_validate(dict(update)),
                }
            )
            for artifact_id, update in updates.items()
        ]
        dto = BulkUpdateArtifacts(artifacts=items)
        return Call("PUT", self._artifact_url(project_id, "bulk"), json=dto.to_json_dict(), parse=_artifact_list(()))

    def artifact_delete(self, project_id: str, artifact_id: str) -> Call[Artifact]:
        return Call("DELETE", self._artifact_url(project_id, artifact_id), parse=_artifact_or_id(artifact_id))

    def artifact_bulk_delete(self, project_id: str, artifact_ids: Sequence[str]) -> Call[list[Artifact]]:
        """``DELETE /project/{id}/artifact/bulk`` with ``{"artifact_ids": [...]}``; the
        answer's ``[{id, state: "Deleted"}]`` (built from the ids if the body is empty)."""
        if isinstance(artifact_ids, str) or not artifact_ids:
            raise ValueError(f"bulk delete needs a non-empty list of artifact ids, got {artifact_ids!r}")
        ids = list(artifact_ids)
        return Call(
            "DELETE", self._artifact_url(project_id, "bulk"), json={"artifact_ids": ids}, parse=_artifact_list(ids)
        )

    def artifact_private(self, project_id: str, artifact_id: str) -> Call[dict[str, Any]]:
        """``GET .../artifact/{id}/private``: the private props of an MCP server or SQL
        database artifact (only its creator may read them)."""
        return Call("GET", self._artifact_url(project_id, artifact_id, "/private"), parse=_json_object)

    def artifact_parsed_content(self, project_id: str, artifact_id: str) -> Call[str]:
        return Call("GET", self._artifact_url(project_id, artifact_id, "/parsed-content"), parse=_text)

    def artifact_download(self, project_id: str, artifact_id: str) -> Call[DownloadAnswer]:
        """``GET .../artifact/{id}/download``: the raw content (as the docs show it), or a
        short-lived URL to it (as the OpenAPI document says): a ``text/plain`` answer that
        is one ``http(s)://`` line is taken as the URL."""
        return Call(
            "GET", self._artifact_url(project_id, artifact_id, "/download"), parse=_download, headers={"Accept": "*/*"}
        )

    def presigned_get(self, url: str) -> Call[bytes]:
        """``GET url`` without our ``Authorization`` / ``x-org`` (a pre-signed URL: the
        token must not go to the storage host)."""
        return Call("GET", url, parse=lambda response: response.content, auth=False, headers={"Accept": "*/*"})

    def artifact_sync(self, project_id: str, artifact_id: str) -> Call[None]:
        """``POST .../artifact/{id}/sync`` (empty body; an SSE stream of ``sync_started``,
        ``sync_progress``, ``sync_completed`` / ``sync_error``). Not retried: a 409 means
        the artifact is being processed already."""
        return Call("POST", self._artifact_url(project_id, artifact_id, "/sync"), retry=False, idempotent=False)

    def is_safe_to_modify(
        self, *, project_id: str | None = None, artifact_id: str | None = None, created_by: str | None = None
    ) -> Call[LinkedArtifactsCheck]:
        """``GET /resource/is-safe-to-modify``: whether linked artifacts depend on it."""
        params = query_params({"project_id": project_id, "artifact_id": artifact_id, "created_by": created_by})
        return Call(
            "GET", f"{self._workspace}/resource/is-safe-to-modify", params=params, parse=parse_model(LinkedArtifactsCheck)
        )


def query_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters: None dropped, lists joined with commas, booleans as ``true``/``false``."""
    params: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        params[key] = value
    return params


def text_file_name(name: str) -> str:
    """``name`` as a text file's name: kept if it has an extension, else ``name.txt``."""
    base = os.path.basename(name.strip()) or "document"
    return base if os.path.splitext(base)[1] else f"{base}.txt"


def _text_content_type(file_name: str) -> str:
    guessed = mimetypes.guess_type(file_name)[0]
    return guessed if guessed and guessed.startswith("text/") else "text/plain"


def read_file(file: FileInput) -> tuple[bytes, str | None]:
    """The bytes of a path, bytes or open binary file, and its file name when known."""
    if isinstance(file, (bytes, bytearray)):
        return bytes(file), None
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as handle:
            return handle.read(), os.path.basename(os.fspath(file))
    content: Any = file.read()
    if isinstance(content, str):
        content = content.encode("utf-8")
    name = getattr(file, "name", None)
    return content, os.path.basename(name) if isinstance(name, str) else None


def _json_object(response: httpx.Response) -> dict[str, Any]:
    data = response.json() if response.content else {}
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return data


def _text(response: httpx.Response) -> str:
    # Documented as text/plain; accept a JSON-encoded string too.
    if "json" in response.headers.get("content-type", ""):
        value = response.json()
        return value if isinstance(value, str) else json.dumps(value)
    return response.text


def _download(response: httpx.Response) -> DownloadAnswer:
    content_type = response.headers.get("content-type", "")
    if "text/plain" in content_type or "json" in content_type:
        text = _text(response).strip()
        if text.startswith(("http://", "https://")) and not any(c.isspace() for c in text):
            return DownloadAnswer(url=text)
    return DownloadAnswer(content=response.content)


def _artifact_or_id(artifact_id: str) -> Callable[[httpx.Response], Artifact]:
    def parse(response: httpx.Response) -> Artifact:
        data = response.json() if response.content else None
        if isinstance(data, dict) and data.get("id"):
            return Artifact.model_validate(data)
        return Artifact(id=artifact_id, state="Deleted")

    return parse


def _artifact_list(ids: Sequence[str]) -> Callable[[httpx.Response], list[Artifact]]:
    def parse(response: httpx.Response) -> list[Artifact]:
        data = response.json() if response.content else None
        if data is None and ids:
            return [Artifact(id=i, state="Deleted") for i in ids]
        if isinstance(data, dict) and isinstance(data.get("data"), list):  # a server that wraps lists
            data = data["data"]
        return _ARTIFACTS.validate_python(data)

    return parse
