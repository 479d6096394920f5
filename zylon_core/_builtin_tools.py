"""Zylon's built-in tools (the server runs them) as tool dicts, each with the
``tool_context`` it needs, in the form the server accepts: ``{"name", "type": "<x>_v1",
"context": [...]}`` (the context travels with the tool; a request-level ``tool_context``
works too). Pure: both adapters wrap these.

| helper | type | context |
| --- | --- | --- |
| :func:`semantic_search` | ``semantic_search_v1`` | ``ingested_artifact`` per collection (required on ZylonGPT) |
| :func:`file_semantic_search` | ``file_semantic_search_v1`` | ``ingested_artifact`` (optional) |
| :func:`tabular_analysis` | ``tabular_analysis_v1`` | ``ingested_artifact`` (required on ZylonGPT) |
| :func:`database_query` | ``database_query_v1`` | one ``sql_database`` (required) |
| :func:`web_search` | ``web_search_v1`` | none |
| :func:`web_extract` | ``web_extract_v1`` | none (the URL must be in the user's message) |
| :func:`list_project_files` | ``list_project_files_v1`` | none (a Workspace project chat) |

Without a collection or artifacts, the search tools carry no context: in a Workspace
project or thread chat the project's artifacts (``artifact_ids`` / ``all_artifacts``)
scope them; on ZylonGPT (``/api/gpt/v1/messages``) they then fail, as the server needs a
context. The server reports each run as a ``server_tool_use`` and its
``server_tool_result`` (with ``source`` blocks for the chunks a search found).
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence, Union

from ._api_gpt import context_filter
from ._collections import check_artifact_list, check_filter_items

Collections = Union[str, Sequence[str], None]


def _name(name: Any, default: str) -> str:
    name = default if name is None else name
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a tool name must be a non-empty string, got {name!r}")
    return name


def ingested_artifact_context(
    collection: Collections = None,
    artifacts: Optional[Sequence[str]] = None,
    metadata_filter: Optional[Iterable[dict[str, Any]]] = None,
) -> list[dict[str, Any]]:
    """``tool_context`` items ``{"type": "ingested_artifact", "context_filter": {...}}``:
    one per collection (a name or a list of names), narrowed to ``artifacts`` (ids) and
    ``metadata_filter`` (Zylon items). Artifacts without a collection are looked up in
    the server's default collection. No collection and no artifacts: no item."""
    names = [collection] if isinstance(collection, str) else list(collection or ())
    ids = check_artifact_list(artifacts, "artifacts")
    items = check_filter_items(metadata_filter)
    if not names:
        if ids is None and items is None:
            return []
        if ids is None:
            raise ValueError("a metadata filter needs a collection (or artifacts) to narrow")
        names = ["pgpt_collection"]
    contexts = []
    for name in names:
        scope = context_filter(name, ids, items).to_json_dict()
        contexts.append({"type": "ingested_artifact", "context_filter": scope})
    return contexts


def builtin_tool(type: str, name: str, context: Optional[list[dict[str, Any]]] = None) -> dict[str, Any]:
    tool: dict[str, Any] = {"name": name, "type": type}
    if context:
        tool["context"] = context
    return tool


def semantic_search(
    collection: Collections = None,
    *,
    artifacts: Optional[Sequence[str]] = None,
    metadata_filter: Optional[Iterable[dict[str, Any]]] = None,
    name: str = "semantic_search",
) -> dict[str, Any]:
    """``semantic_search_v1`` over ``collection`` (or several), narrowed to ``artifacts``
    and ``metadata_filter`` items: the server searches the chunks and answers from them,
    with citations when asked for."""
    return builtin_tool("semantic_search_v1", _name(name, "semantic_search"), ingested_artifact_context(collection, artifacts, metadata_filter))


def file_semantic_search(
    collection: Collections = None,
    *,
    artifacts: Optional[Sequence[str]] = None,
    metadata_filter: Optional[Iterable[dict[str, Any]]] = None,
    name: str = "file_semantic_search",
) -> dict[str, Any]:
    """``file_semantic_search_v1``: semantic search over files and attachments (a
    Workspace chat tool; its context is not documented, the same filter is sent)."""
    return builtin_tool(
        "file_semantic_search_v1", _name(name, "file_semantic_search"), ingested_artifact_context(collection, artifacts, metadata_filter)
    )


def tabular_analysis(
    collection: Collections = None,
    *,
    artifacts: Optional[Sequence[str]] = None,
    metadata_filter: Optional[Iterable[dict[str, Any]]] = None,
    name: str = "tabular_analysis",
) -> dict[str, Any]:
    """``tabular_analysis_v1``: calculations over ingested tables (CSV, TSV, tables of
    documents) in ``collection`` / ``artifacts``."""
    return builtin_tool(
        "tabular_analysis_v1", _name(name, "tabular_analysis"), ingested_artifact_context(collection, artifacts, metadata_filter)
    )


def database_query(
    connection_string: str,
    *,
    schemas: Optional[Sequence[str]] = None,
    ssl: Optional[bool] = None,
    enable_tables: Optional[bool] = None,
    enable_views: Optional[bool] = None,
    enable_functions: Optional[bool] = None,
    enable_procedures: Optional[bool] = None,
    name: str = "database_query",
) -> dict[str, Any]:
    """``database_query_v1``: natural language to SQL over the database at
    ``connection_string`` (e.g. ``postgresql://user:password@host:5432/db``; use a
    read-only user). It travels in the request body to your Zylon server, so keep the
    tool out of logs and traces. ``schemas`` limits what the server inspects; the
    ``enable_*`` flags (server default: all on) choose what it may use."""
    if not isinstance(connection_string, str) or "://" not in connection_string:
        raise ValueError("database_query needs a connection_string such as postgresql://user:password@host:5432/db")
    context: dict[str, Any] = {"type": "sql_database", "connection_string": connection_string}
    if schemas is not None:
        if isinstance(schemas, str) or not all(isinstance(s, str) and s for s in schemas):
            raise ValueError(f"schemas must be a list of schema names, got {schemas!r}")
        context["schemas"] = list(schemas)
    flags = {
        "ssl": ssl,
        "enable_tables": enable_tables,
        "enable_views": enable_views,
        "enable_functions": enable_functions,
        "enable_procedures": enable_procedures,
    }
    for key, value in flags.items():
        if value is not None:
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be True or False, got {value!r}")
            context[key] = value
    return builtin_tool("database_query_v1", _name(name, "database_query"), [context])


def web_search(*, name: str = "web_search") -> dict[str, Any]:
    """``web_search_v1``: a web search from the user's question (no context)."""
    return builtin_tool("web_search_v1", _name(name, "web_search"))


def web_extract(*, name: str = "web_extract") -> dict[str, Any]:
    """``web_extract_v1``: fetch and extract the URL the user's message contains."""
    return builtin_tool("web_extract_v1", _name(name, "web_extract"))


def list_project_files(*, name: str = "list_project_files") -> dict[str, Any]:
    """``list_project_files_v1``: the files of the current Workspace project."""
    return builtin_tool("list_project_files_v1", _name(name, "list_project_files"))


BUILTIN_HELPERS = {
    "semantic_search_v1": semantic_search,
    "file_semantic_search_v1": file_semantic_search,
    "tabular_analysis_v1": tabular_analysis,
    "database_query_v1": database_query,
    "web_search_v1": web_search,
    "web_extract_v1": web_extract,
    "list_project_files_v1": list_project_files,
}
"""Each built-in tool type and the helper that makes it."""
