"""Zylon's built-in tools for ``ChatZylon.bind_tools``: one call each, with the
``tool_context`` the tool needs. The server runs them; their runs come back as server tool
calls and results (and the chunks a search used as sources), never as ``tool_calls`` for
you to answer.

```python
from langchain_zylon import ChatZylon
from langchain_zylon.tools import semantic_search, web_search

llm = ChatZylon(citations=True).bind_tools([semantic_search("support-docs", filter={"year": {"$gte": 2024}})])
answer = llm.invoke("What drove support cases in Q1?")
```

| helper | tool type | what it needs |
| --- | --- | --- |
| ``semantic_search(collection, artifacts=, filter=)`` | ``semantic_search_v1`` | a collection (on ZylonGPT) |
| ``file_semantic_search(collection, artifacts=, filter=)`` | ``file_semantic_search_v1`` | |
| ``tabular_analysis(collection, artifacts=, filter=)`` | ``tabular_analysis_v1`` | a collection (on ZylonGPT) |
| ``database_query(connection_string, schemas=, ssl=, ...)`` | ``database_query_v1`` | a SQL connection string |
| ``web_search()``, ``web_extract()`` | ``web_search_v1``, ``web_extract_v1`` | nothing |
| ``list_project_files()`` | ``list_project_files_v1`` | a Workspace project chat |

``filter`` is a LangChain metadata filter (``{"team": "sales"}``, ``{"year": {"$gte":
2024}}``; see ``ZylonVectorStore``). Without a collection the search tools carry no
context: a Workspace project or thread chat scopes them by its artifacts. Every helper
takes ``name=`` (the tool's name in the answer). ``ValueError`` for bad arguments, before
any request.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from zylon_core import _builtin_tools as core
from zylon_core._builtin_tools import Collections
from zylon_core._collections import filter_from_langchain

__all__ = [
    "database_query",
    "file_semantic_search",
    "list_project_files",
    "semantic_search",
    "tabular_analysis",
    "web_extract",
    "web_search",
]


def semantic_search(
    collection: Collections = None,
    *,
    artifacts: Optional[Sequence[str]] = None,
    filter: Optional[dict[str, Any]] = None,
    name: str = "semantic_search",
) -> dict[str, Any]:
    """``semantic_search_v1`` over ``collection`` (a name or a list), narrowed to
    ``artifacts`` (ids) and ``filter`` (a LangChain metadata filter)."""
    return core.semantic_search(collection, artifacts=artifacts, metadata_filter=filter_from_langchain(filter), name=name)


def file_semantic_search(
    collection: Collections = None,
    *,
    artifacts: Optional[Sequence[str]] = None,
    filter: Optional[dict[str, Any]] = None,
    name: str = "file_semantic_search",
) -> dict[str, Any]:
    """``file_semantic_search_v1``: semantic search over files and attachments."""
    return core.file_semantic_search(collection, artifacts=artifacts, metadata_filter=filter_from_langchain(filter), name=name)


def tabular_analysis(
    collection: Collections = None,
    *,
    artifacts: Optional[Sequence[str]] = None,
    filter: Optional[dict[str, Any]] = None,
    name: str = "tabular_analysis",
) -> dict[str, Any]:
    """``tabular_analysis_v1``: calculations over the ingested tables of ``collection``."""
    return core.tabular_analysis(collection, artifacts=artifacts, metadata_filter=filter_from_langchain(filter), name=name)


database_query = core.database_query
web_search = core.web_search
web_extract = core.web_extract
list_project_files = core.list_project_files
