"""Workspace artifact operations beyond create/read/update/delete, as artifacts.mdx
documents them (none is in the OpenAPI document but ``download``):

* ``PUT /project/{project_id}/artifact/bulk`` ``{"artifacts": [{"artifactId", "update"}]}``
  → the updated artifacts; ``DELETE .../artifact/bulk`` ``{"artifact_ids": [...]}`` →
  ``[{"id", "state": "Deleted"}, ...]``; an unknown id is a 404 naming it (nothing changes).
* ``GET .../artifact/{artifact_id}/download``: the raw content as text (the docs), or with
  the option ``download="url"`` a temporary URL to it (the OpenAPI description), itself
  served without credentials.
* ``POST .../artifact/{artifact_id}/sync``: an SSE stream ``sync_started``,
  ``sync_progress``, ``sync_completed`` (event names only, no ``type`` in the data); an
  artifact still ``Processing`` is a 409.
* ``GET /resource/is-safe-to-modify?project_id=&artifact_id=`` → ``{"has_linked_artifacts"}``
  (whether a ``Link`` artifact points at it).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, AsyncIterator

from starlette.responses import PlainTextResponse, Response, StreamingResponse

from ..answers import SSE_HEADERS
from ..context import WORKSPACE, Context, Endpoint
from ..errors import not_found, workspace_error
from ..schemas import BulkDeleteBody, BulkUpdateBody
from ..state import Artifact
from ..validation import parse_body
from .artifacts import apply_update, remove

_ONE = f"{WORKSPACE}/project/{{project_id}}/artifact/{{artifact_id}}"
FILES = f"{WORKSPACE}/files"


def _all(ctx: Context, project_id: str, ids: list[str]) -> list[Artifact]:
    found = []
    for artifact_id in ids:
        artifact = ctx.state.artifacts.get(artifact_id)
        if artifact is None or artifact.project_id != project_id:
            raise not_found("artifact", artifact_id)
        found.append(artifact)
    return found


async def bulk_update(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    body = parse_body(BulkUpdateBody, ctx.body)
    artifacts = _all(ctx, project.id, [item.artifactId for item in body.artifacts])
    return [dict(apply_update(ctx, artifact, item.update)) for artifact, item in zip(artifacts, body.artifacts, strict=True)]


async def bulk_delete(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    body = parse_body(BulkDeleteBody, ctx.body)
    return [{"id": remove(ctx, artifact)["id"], "state": "Deleted"} for artifact in _all(ctx, project.id, body.artifact_ids)]


def _signature(artifact: Artifact) -> str:
    return hashlib.sha1(f"download:{artifact.id}:{artifact.data.get('updated_at')}".encode()).hexdigest()[:24]


def _raw(artifact: Artifact) -> bytes:
    return artifact.file if artifact.file is not None else (artifact.content or "").encode()


async def download(ctx: Context) -> Any:
    artifact = ctx.artifact(ctx.param("project_id"), ctx.param("artifact_id"))
    if ctx.options.download == "url":
        url = f"{ctx.request.base_url}{FILES.lstrip('/')}/{artifact.id}/{_signature(artifact)}"
        return PlainTextResponse(url)
    return PlainTextResponse(_raw(artifact).decode("utf-8", errors="replace"))


async def signed_file(ctx: Context) -> Any:
    artifact = ctx.state.artifacts.get(ctx.param("artifact_id"))
    if artifact is None or ctx.param("signature") != _signature(artifact):
        raise workspace_error(404, "no such file (the link is wrong or has expired)")
    media = str(artifact.data.get("props", {}).get("content_type") or "application/octet-stream")
    return Response(_raw(artifact), media_type=media)


async def sync(ctx: Context) -> Any:
    artifact = ctx.artifact(ctx.param("project_id"), ctx.param("artifact_id"))
    if artifact.data.get("state") == "Processing":
        raise workspace_error(409, f"artifact {artifact.id!r} is already processing")
    count = len(ctx.state.project_artifacts(artifact.project_id))
    events = [
        ("sync_started", {"current_artifact_count": count, "integration_item_count": 1}),
        ("sync_progress", {"artifact_id": artifact.id, "op": "Skipped", "progress": 1.0}),
        ("sync_completed", {}),
    ]

    async def body() -> AsyncIterator[bytes]:
        yield "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)


async def is_safe_to_modify(ctx: Context) -> Any:
    artifact_id = ctx.query("artifact_id")
    project_id = ctx.query("project_id")
    linked = any(
        a.data.get("type") == "Link"
        and (artifact_id is None or a.data.get("props", {}).get("source_artifact_id") == artifact_id)
        and (project_id is None or a.data.get("props", {}).get("original_project_id") == project_id)
        for a in ctx.state.artifacts.values()
    )
    return {"has_linked_artifacts": linked}


ROUTES = [
    Endpoint(f"{WORKSPACE}/project/{{project_id}}/artifact/bulk", ["PUT"], bulk_update, "workspace"),
    Endpoint(f"{WORKSPACE}/project/{{project_id}}/artifact/bulk", ["DELETE"], bulk_delete, "workspace"),
    Endpoint(f"{_ONE}/download", ["GET"], download, "workspace"),
    Endpoint(f"{_ONE}/sync", ["POST"], sync, "workspace"),
    Endpoint(f"{FILES}/{{artifact_id}}/{{signature}}", ["GET"], signed_file, "open"),
    Endpoint(f"{WORKSPACE}/resource/is-safe-to-modify", ["GET"], is_safe_to_modify, "workspace"),
]
