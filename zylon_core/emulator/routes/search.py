"""Workspace search: ``GET /search?q=&types=&limit=`` over projects, artifacts (by name),
artifact content (chunks), threads (by name) and interactions (by the user's text).

As search.mdx documents it: ``q`` is required, 3 to 80 characters (blank or outside the
range: 400); ``types`` a comma-separated subset of ``Project``, ``Artifact``,
``ArtifactContent``, ``Thread``, ``Interaction`` (default all; the OpenAPI name ``type``
is read when ``types`` is absent; an unknown one is a 400); ``limit`` a number greater
than 1 (default 30). The answer is a bare list of ``{id, type, match, rank, metadata}``,
the metadata per type: ``entity`` (Project); ``name, type, project_id, project_name``
(Artifact, ArtifactContent, whose ``id`` is a content id); ``name, project_id,
project_name`` (Thread); ``content, thread_id, project_id, project_name, thread_name``
(Interaction).

A result's ``rank`` is the cosine similarity of the query's and the text's term counts
(see :mod:`..state`), at least 0.5 when the text contains the query verbatim; results
rank best first, ties in the order above, and nothing with rank 0 is returned.
"""

from __future__ import annotations

from typing import Any

from ..context import WORKSPACE, Context, Endpoint
from ..engine import text_of
from ..errors import error, invalid
from ..state import cosine, term_vector

SEARCH_TYPES = ("Project", "Artifact", "Thread", "Interaction", "ArtifactContent")


async def search(ctx: Context) -> Any:
    raw_query = ctx.query("q")
    query = (raw_query or "").strip()
    problems = []
    if raw_query is None:
        problems.append(error("q", "required: the search text (3 to 80 characters)"))
    elif not 3 <= len(query) <= 80:
        problems.append(error("q", f"must be between 3 and 80 characters, got {len(query)}"))
    field = "types" if ctx.query("types") is not None else "type"
    kinds = [k.strip() for k in (ctx.query(field) or "").split(",") if k.strip()] or list(SEARCH_TYPES)
    unknown = [k for k in kinds if k not in SEARCH_TYPES]
    if unknown:
        problems.append(error(field, f"unknown search type {unknown[0]!r}; expected some of: {', '.join(SEARCH_TYPES)}"))
    raw_limit = ctx.query("limit") or "30"
    try:
        limit = int(float(raw_limit))
    except ValueError:
        problems.append(error("limit", f"must be a number greater than 1, got {raw_limit!r}"))
        limit = 0
    else:
        if limit <= 1:
            problems.append(error("limit", f"must be greater than 1, got {limit}"))
    if problems:
        raise invalid(problems)
    vector = term_vector(query)
    state = ctx.state

    def rank(text: str) -> float:
        score = cosine(vector, term_vector(text))
        if query.lower() in text.lower():
            score = max(score, 0.5)
        return score

    def project_name(project_id: str) -> str:
        project = state.projects.get(project_id)
        return str(project.data.get("name")) if project else ""

    results: list[tuple[float, int, dict[str, Any]]] = []

    def add(score: float, item: dict[str, Any]) -> None:
        if score > 0:
            results.append((score, len(results), {**item, "rank": round(score, 4)}))

    if "Project" in kinds:
        for project in state.projects.values():
            text = f"{project.data.get('name', '')} {project.data.get('goal', '')}"
            add(rank(text), {"id": project.id, "type": "Project", "match": project.data.get("name"), "metadata": {"entity": project.data}})
    for artifact in state.artifacts.values():
        meta = {
            "name": artifact.data.get("name"),
            "type": artifact.data.get("type"),
            "project_id": artifact.project_id,
            "project_name": project_name(artifact.project_id),
        }
        if "Artifact" in kinds:
            add(rank(str(artifact.data.get("name"))), {"id": artifact.id, "type": "Artifact", "match": artifact.data.get("name"), "metadata": meta})
        if "ArtifactContent" in kinds and artifact.searchable:
            document = state.collections.get(artifact.project_id, {}).get(artifact.id)
            for chunk in document.chunks if document else ():
                add(rank(chunk.text), {"id": "content_" + chunk.id.replace("-", "")[:12], "type": "ArtifactContent", "match": chunk.text, "metadata": meta})
    for thread in state.threads.values():
        name = project_name(thread.project_id)
        if "Thread" in kinds:
            add(rank(thread.name), {"id": thread.id, "type": "Thread", "match": thread.name, "metadata": {"name": thread.name, "project_id": thread.project_id, "project_name": name}})
        if "Interaction" in kinds:
            for interaction_id in thread.interactions:
                record = state.interactions.get(interaction_id)
                if record is None:
                    continue
                text = text_of(record.user_input)
                meta = {"content": text, "thread_id": thread.id, "project_id": thread.project_id, "project_name": name, "thread_name": thread.name}
                add(rank(text), {"id": record.id, "type": "Interaction", "match": text, "metadata": meta})
    results.sort(key=lambda item: (-item[0], item[1]))
    return [item for _, _, item in results[: max(limit, 0)]]


ROUTES = [Endpoint(f"{WORKSPACE}/search", ["GET"], search, "workspace")]
