"""Workspace artifacts: ``POST``/``GET /project/{project_id}/artifact``,
``GET``/``PUT``/``DELETE /project/{project_id}/artifact/{artifact_id}``, and its
``/parsed-content`` (plain text) and ``/private`` (``private_props``).

An upload is multipart, as artifacts.mdx documents it: text parts ``type``, ``name``
(and the other create fields), ``props`` as a JSON part (``Content-Type:
application/json``; a text part holding JSON is accepted too) and the file in ``fileData``.
For a ``Document`` the ``props`` must hold ``file_name``, ``content_type`` and
``content_length``, the exact byte count of ``fileData``: otherwise a 400 naming the
field. Above ``max_upload_bytes`` an upload is a 413. ``config`` / ``private_config`` are
accepted for ``props`` / ``private_props``.

A ``Document`` may also be created from JSON (``raw_content``; its ``props`` are then
completed by the emulator); an ``InlineText`` from ``props.content``; a ``Link`` points
at an existing artifact. Types the emulator cannot produce (summaries, compositions...)
stay ``Processing``. A document's or inline text's text is chunked once ``ingest_status``
is ``Done`` (at once, or after ``ingest_reads`` reads of the artifact) into the collection
named after the project id -- an emulator convention, not something a client should rely
on -- with ``project_id`` and ``org_id`` in its metadata. A ``Document`` with no text
fails ingestion (``state``/``ingest_status`` ``Error``, ``error: NoValidNodes``).
Deleting an artifact removes its chunks.
"""

from __future__ import annotations

import base64
import binascii
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.responses import PlainTextResponse

from ..context import WORKSPACE, Context, Endpoint
from ..errors import error, invalid, not_found, workspace_error
from ..schemas import CreateArtifactBody, UpdateArtifactBody
from ..state import Artifact, EmulatorState, now_iso
from ..validation import parse_body

# (state, ingest_status) of a new artifact of each type; Document and InlineText are
# ("Published", "Done") unless their ingestion waits or fails.
_INITIAL_STATES = {
    "Folder": ("Published", "NotApplicable"),
    "Link": ("Published", "NotApplicable"),
    "SmartDoc": ("Draft", "NotApplicable"),
    "SqlDatabase": ("Published", "NotApplicable"),
    "McpServer": ("Published", "NotApplicable"),
    "Analysis": ("Processing", "NotApplicable"),
    "Summary": ("Processing", "Processing"),
    "Composition": ("Processing", "Processing"),
    "BulkQA": ("Processing", "Processing"),
    "ReadAndExtract": ("Processing", "Processing"),
}


def _multipart(ctx: Context) -> tuple[dict[str, Any], bytes | None, str | None]:
    """The fields of a multipart create (``props`` decoded), and the ``fileData`` bytes and type."""
    content_type = ctx.request.headers.get("content-type", "")
    # The standard library's MIME parser reads multipart bodies; it wants the header.
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + ctx.raw)
    fields: dict[str, Any] = {}
    file_bytes: bytes | None = None
    file_type: str | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        if not isinstance(name, str):
            continue
        if name == "fileData":
            file_bytes = payload
            file_type = part.get_content_type() if part.get("content-type") else None
            continue
        text = payload.decode("utf-8", errors="replace")
        if name in ("props", "config", "private_props", "private_config"):
            try:
                value = json.loads(text)
            except ValueError:
                raise invalid([error(name, "must be a JSON object (send it as a part with Content-Type: application/json)")]) from None
            if not isinstance(value, dict):
                raise invalid([error(name, f"must be a JSON object, got {type(value).__name__}")])
            fields[name] = value
        else:
            fields[name] = {"true": True, "false": False}.get(text, text)
    return fields, file_bytes, file_type


def _check_upload(fields: dict[str, Any], file_bytes: bytes | None) -> None:
    """A ``Document`` upload's ``props`` must describe ``fileData`` exactly."""
    props = fields.get("props", fields.get("config"))
    if props is None:
        raise invalid([error("props", "required: a JSON part with the type's props (for a Document: file_name, content_type, content_length)")])
    if fields.get("type") != "Document":
        return
    if file_bytes is None:
        raise invalid([error("fileData", "required: the file to upload")])
    problems = [error(f"props.{key}", "required for a Document upload") for key in ("file_name", "content_type", "content_length") if key not in props]
    length = props.get("content_length")
    if "content_length" in props and (isinstance(length, bool) or not isinstance(length, int) or length != len(file_bytes)):
        problems.append(error("props.content_length", f"must be the byte count of fileData ({len(file_bytes)}), got {length!r}"))
    if problems:
        raise invalid(problems)


def create_body(ctx: Context) -> tuple[Any, bytes | None]:
    """The create body (JSON, or multipart with a ``fileData`` file) and the file's bytes."""
    if "multipart/form-data" not in ctx.request.headers.get("content-type", ""):
        return ctx.body, None
    if len(ctx.raw) > ctx.options.max_upload_bytes:
        raise workspace_error(413, f"the upload is larger than {ctx.options.max_upload_bytes} bytes")
    fields, file_bytes, _ = _multipart(ctx)
    _check_upload(fields, file_bytes)
    return fields, file_bytes


def artifact_text(body: CreateArtifactBody, file_bytes: bytes | None) -> str | None:
    """The text a new artifact holds (None for types that hold none)."""
    if body.type == "InlineText":
        content = body.props.get("content")
        if not isinstance(content, str):
            raise invalid([error("props.content", "required (a string) for an InlineText artifact")])
        return content
    if body.type in ("Document", "Skill"):
        return file_bytes.decode("utf-8", errors="replace") if file_bytes is not None else body.raw_content
    return None


async def create_artifact(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    data, file_bytes = create_body(ctx)
    body = parse_body(CreateArtifactBody, data)
    text = artifact_text(body, file_bytes)
    if text is not None and len(text.encode()) > ctx.options.max_upload_bytes:
        raise workspace_error(413, f"the content is larger than {ctx.options.max_upload_bytes} bytes")
    state = ctx.state
    artifact_id = state.new_id("artifact")
    stamp = now_iso()
    props = dict(body.props)
    status, ingest_status = _INITIAL_STATES.get(body.type, ("Published", "Done"))
    failure: str | None = None
    if body.type == "Document" and not (text or "").strip():
        # Nothing to index: ingestion fails, as on a server that finds no text.
        status, ingest_status, failure = "Error", "Error", "NoValidNodes"
    elif body.type in ("Document", "InlineText") and ctx.options.ingest_reads > 0:
        status, ingest_status = "Processing", "Processing"
    if body.type == "Document" and file_bytes is None:  # JSON with raw_content
        props.setdefault("file_name", body.name)
        props.setdefault("content_type", "text/plain")
        props.setdefault("content_length", len((text or "").encode()))
    if body.type == "Link":
        original_id = props.get("original_artifact_id")
        original = state.artifacts.get(str(original_id))
        if original is None:
            raise not_found("artifact (props.original_artifact_id)", str(original_id))
        props.update(
            source_artifact_id=original.id,
            original_artifact_type=original.data.get("type"),
            original_project_id=original.project_id,
        )
    dto: dict[str, Any] = {
        "id": artifact_id,
        "project_id": project.id,
        "name": body.name,
        "parent_id": body.parent_id,
        "type": body.type,
        "source": body.source or "User",
        "state": status,
        "ingest_status": ingest_status,
        "has_content": text is not None,
        "props": props,
        "keep_file_after_ingestion": True if body.keep_file_after_ingestion is None else body.keep_file_after_ingestion,
        "ws_auto_select": bool(body.ws_auto_select),
        "created_at": stamp,
        "updated_at": stamp,
    }
    for key in ("description", "external_url", "integration_id"):
        if getattr(body, key) is not None:
            dto[key] = getattr(body, key)
    if failure is not None:
        dto["error"] = failure
        dto["has_content"] = False
    if body.type == "Folder":
        dto["child_count"] = 0
    parent = state.artifacts.get(body.parent_id or "")
    if parent is not None and "child_count" in parent.data:
        parent.data["child_count"] += 1
    artifact = Artifact(artifact_id, project.id, dto, text, body.private_props, reads_left=ctx.options.ingest_reads, file=file_bytes)
    state.artifacts[artifact_id] = artifact
    if artifact.searchable:
        index(state, artifact)
    return dto


def index(state: EmulatorState, artifact: Artifact) -> None:
    """Chunk the artifact's text into its project's collection (replacing earlier chunks),
    with the ``project_id`` and ``org_id`` metadata a ZylonGPT ``metadata_filter`` can use."""
    name = str(artifact.data.get("props", {}).get("file_name") or artifact.data.get("name"))
    project = state.projects.get(artifact.project_id)
    org = project.org if project is not None else "default"
    metadata = {"file_name": name, "title": artifact.data.get("name"), "project_id": artifact.project_id, "org_id": org}
    state.ingest(artifact.project_id, artifact.id, artifact.content or "", metadata, name=str(artifact.data.get("name")))


def read(state: EmulatorState, artifact: Artifact) -> dict[str, Any]:
    """The artifact's DTO as one read sees it; a pending ingestion advances (option
    ``ingest_reads``) and, once its reads are used up, completes."""
    data = artifact.data
    if data.get("ingest_status") == "Processing" and data.get("type") in ("Document", "InlineText"):
        if artifact.reads_left > 0:
            artifact.reads_left -= 1
        else:
            data.update(state="Published", ingest_status="Done", updated_at=now_iso())
            index(state, artifact)
    return data


async def list_artifacts(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    items = ctx.state.project_artifacts(project.id)
    wanted_states = (ctx.query("state") or "Published,Processing").split(",")
    items = [a for a in items if a.data["state"] in wanted_states]
    for name in ("type", "ingest_status"):
        if ctx.query(name):
            allowed = (ctx.query(name) or "").split(",")
            items = [a for a in items if a.data.get(name) in allowed]
    parent = ctx.query("parent_id")
    if parent:
        items = [a for a in items if a.data.get("parent_id") == parent]
    elif (ctx.query("filter_by_parent") or "").lower() == "true":
        items = [a for a in items if a.data.get("parent_id")]
    text = (ctx.query("filter_by_text") or "").lower()
    if text:
        items = [a for a in items if text in str(a.data.get("name", "")).lower()]
    return ctx.page(items, lambda a: dict(read(ctx.state, a)))


async def get_artifact(ctx: Context) -> Any:
    artifact = ctx.artifact(ctx.param("project_id"), ctx.param("artifact_id"))
    data = read(ctx.state, artifact)
    if (ctx.query("include_content") or "").lower() == "true":
        return {**data, "content": artifact.content}
    return data


async def update_artifact(ctx: Context) -> Any:
    artifact = ctx.artifact(ctx.param("project_id"), ctx.param("artifact_id"))
    return apply_update(ctx, artifact, parse_body(UpdateArtifactBody, ctx.body))


def apply_update(ctx: Context, artifact: Artifact, body: UpdateArtifactBody) -> dict[str, Any]:
    data = artifact.data
    for key in ("name", "description", "external_url", "ws_auto_select"):
        if getattr(body, key) is not None:
            data[key] = getattr(body, key)
    if body.reset_parent_id:
        data["parent_id"] = None
    elif body.parent_id is not None:
        data["parent_id"] = body.parent_id
    if body.props is not None:
        data["props"] = {**data.get("props", {}), **body.props}
    if body.private_props is not None:
        artifact.private_props = body.private_props
    text = body.plain_text_content
    if body.content is not None:  # base64, per the docs
        try:
            decoded = base64.b64decode(body.content, validate=True)
        except (binascii.Error, ValueError):
            raise invalid([error("content", "must be base64-encoded bytes")]) from None
        artifact.file = decoded
        text = decoded.decode("utf-8", errors="replace") if text is None else text
    if text is not None and data["type"] in ("Document", "InlineText"):
        artifact.content = text
        data["has_content"] = True
        data["ingest_status"] = "Done"
        if data["type"] == "Document":
            data["props"]["content_length"] = len(artifact.file) if artifact.file is not None else len(text.encode())
        else:
            data["props"]["content"] = text
        index(ctx.state, artifact)
    data["updated_at"] = now_iso()
    return data


def remove(ctx: Context, artifact: Artifact) -> dict[str, Any]:
    ctx.state.artifacts.pop(artifact.id, None)
    ctx.state.remove_document(artifact.project_id, artifact.id)
    return {**artifact.data, "state": "Deleted"}


async def delete_artifact(ctx: Context) -> Any:
    return remove(ctx, ctx.artifact(ctx.param("project_id"), ctx.param("artifact_id")))


async def parsed_content(ctx: Context) -> Any:
    artifact = ctx.artifact(ctx.param("project_id"), ctx.param("artifact_id"))
    return PlainTextResponse(artifact.content or "")


async def private_props(ctx: Context) -> Any:
    return ctx.artifact(ctx.param("project_id"), ctx.param("artifact_id")).private_props or {}


_ONE = f"{WORKSPACE}/project/{{project_id}}/artifact/{{artifact_id}}"
ROUTES = [
    Endpoint(f"{WORKSPACE}/project/{{project_id}}/artifact", ["POST"], create_artifact, "workspace"),
    Endpoint(f"{WORKSPACE}/project/{{project_id}}/artifact", ["GET"], list_artifacts, "workspace"),
    Endpoint(_ONE, ["GET"], get_artifact, "workspace"),
    Endpoint(_ONE, ["PUT"], update_artifact, "workspace"),
    Endpoint(_ONE, ["DELETE"], delete_artifact, "workspace"),
    Endpoint(f"{_ONE}/parsed-content", ["GET"], parsed_content, "workspace"),
    Endpoint(f"{_ONE}/private", ["GET"], private_props, "workspace"),
]
