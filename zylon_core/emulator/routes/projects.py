"""Workspace projects: ``POST``/``GET /project``, ``GET``/``PUT``/``PATCH``/``DELETE
/project/{project_id}``.

A project is stored as its ``ProjectDTO``; a numeric ``deadline`` (epoch seconds) is kept
as an ISO date. Deleting a project deletes its threads, interactions, artifacts and
their indexed chunks.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..context import WORKSPACE, Context, Endpoint
from ..schemas import CreateProjectBody, UpdateProjectBody
from ..state import Project
from ..validation import parse_body


def _deadline(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


async def create_project(ctx: Context) -> Any:
    body = parse_body(CreateProjectBody, ctx.body)
    project_id = ctx.state.new_id("proj")
    data: dict[str, Any] = {"id": project_id, "name": body.name}
    if body.goal is not None:
        data["goal"] = body.goal
    if body.deadline is not None:
        data["deadline"] = _deadline(body.deadline)
    data.update(
        visibility=body.visibility or "Private",
        member_count=1,
        default_member_role="Editor",
        default_role_enabled=True,
        is_pinned=False,
    )
    ctx.state.projects[project_id] = Project(project_id, data, org=ctx.org)
    return data


async def list_projects(ctx: Context) -> Any:
    return ctx.page(list(ctx.state.projects.values()), lambda p: p.data)


async def get_project(ctx: Context) -> Any:
    return ctx.project(ctx.param("project_id")).data


async def update_project(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    body = parse_body(UpdateProjectBody, ctx.body)
    for key, value in body.model_dump(exclude_unset=True).items():
        project.data[key] = _deadline(value) if key == "deadline" else value
    return project.data


async def delete_project(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    ctx.state.delete_project(project.id)
    return project.data


ROUTES = [
    Endpoint(f"{WORKSPACE}/project", ["POST"], create_project, "workspace"),
    Endpoint(f"{WORKSPACE}/project", ["GET"], list_projects, "workspace"),
    Endpoint(f"{WORKSPACE}/project/{{project_id}}", ["GET"], get_project, "workspace"),
    Endpoint(f"{WORKSPACE}/project/{{project_id}}", ["PUT", "PATCH"], update_project, "workspace"),
    Endpoint(f"{WORKSPACE}/project/{{project_id}}", ["DELETE"], delete_project, "workspace"),
]
