"""Zylon's built-in tools for LlamaIndex: one call each, with the ``tool_context`` the
tool needs, usable with ``Zylon.chat_with_tools(tools=[...])`` and agents
(``FunctionAgent(tools=[...], llm=Zylon())``). The server runs them; their runs come back
in ``message.additional_kwargs["server_tool_calls"]`` (and the chunks a search used as
sources), never as tool calls for you (or an agent) to run.

```python
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.vector_stores import MetadataFilter, MetadataFilters
from llama_index_zylon import Zylon
from llama_index_zylon.tools import semantic_search

search = semantic_search("reports", filters=MetadataFilters(filters=[MetadataFilter(key="year", value=2024)]))
response = Zylon().chat_with_tools([search], user_msg="How did revenue do?")
agent = FunctionAgent(tools=[search], llm=Zylon())
```

| helper | tool type | what it needs |
| --- | --- | --- |
| ``semantic_search(collection, artifacts=, filters=)`` | ``semantic_search_v1`` | a collection (on ZylonGPT) |
| ``file_semantic_search(collection, artifacts=, filters=)`` | ``file_semantic_search_v1`` | |
| ``tabular_analysis(collection, artifacts=, filters=)`` | ``tabular_analysis_v1`` | a collection (on ZylonGPT) |
| ``database_query(connection_string, schemas=, ssl=, ...)`` | ``database_query_v1`` | a SQL connection string |
| ``web_search()``, ``web_extract()`` | ``web_search_v1``, ``web_extract_v1`` | nothing |
| ``list_project_files()`` | ``list_project_files_v1`` | a Workspace project chat |

Each returns a :class:`ZylonBuiltinTool`: a LlamaIndex tool (for agents) that is also
the Zylon tool definition ``{"name", "type", "context"}`` (``tool.to_json_dict()``).
``filters`` are LlamaIndex ``MetadataFilters`` (AND; ``== != > < >= <= in nin``). Without
a collection the search tools carry no context: a Workspace project or thread chat
scopes them by its artifacts. ``ValueError`` for bad arguments, before any request.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from llama_index.core.tools.types import AsyncBaseTool, ToolMetadata, ToolOutput

from zylon_core import _builtin_tools as core
from zylon_core._builtin_tools import Collections
from zylon_core._collections import filter_from_llama_index
from zylon_core.models import Tool

__all__ = [
    "ZylonBuiltinTool",
    "database_query",
    "file_semantic_search",
    "list_project_files",
    "semantic_search",
    "tabular_analysis",
    "web_extract",
    "web_search",
]


class ZylonBuiltinTool(Tool, AsyncBaseTool):
    """A Zylon built-in tool: the wire definition (``name``, ``type``, ``context``) and a
    LlamaIndex tool. Zylon runs it during the turn; calling it here is an error result."""

    @property
    def metadata(self) -> ToolMetadata:
        return ToolMetadata(name=self.name, description=f"Zylon built-in tool {self.type} (run by the Zylon server)")

    def call(self, input: Any = None, **kwargs: Any) -> ToolOutput:
        message = f"{self.name} ({self.type}) is run by the Zylon server during the chat turn, not by the client"
        return ToolOutput(tool_name=self.name, content=message, raw_input={"input": input, **kwargs}, raw_output=None, is_error=True)

    async def acall(self, input: Any = None, **kwargs: Any) -> ToolOutput:
        return self.call(input, **kwargs)


def _tool(spec: dict[str, Any]) -> ZylonBuiltinTool:
    return ZylonBuiltinTool.model_validate(spec)


def semantic_search(
    collection: Collections = None,
    *,
    artifacts: Optional[Sequence[str]] = None,
    filters: Any = None,
    name: str = "semantic_search",
) -> ZylonBuiltinTool:
    """``semantic_search_v1`` over ``collection`` (a name or a list), narrowed to
    ``artifacts`` (ids) and ``filters`` (``MetadataFilters``)."""
    return _tool(core.semantic_search(collection, artifacts=artifacts, metadata_filter=filter_from_llama_index(filters), name=name))


def file_semantic_search(
    collection: Collections = None,
    *,
    artifacts: Optional[Sequence[str]] = None,
    filters: Any = None,
    name: str = "file_semantic_search",
) -> ZylonBuiltinTool:
    """``file_semantic_search_v1``: semantic search over files and attachments."""
    return _tool(core.file_semantic_search(collection, artifacts=artifacts, metadata_filter=filter_from_llama_index(filters), name=name))


def tabular_analysis(
    collection: Collections = None,
    *,
    artifacts: Optional[Sequence[str]] = None,
    filters: Any = None,
    name: str = "tabular_analysis",
) -> ZylonBuiltinTool:
    """``tabular_analysis_v1``: calculations over the ingested tables of ``collection``."""
    return _tool(core.tabular_analysis(collection, artifacts=artifacts, metadata_filter=filter_from_llama_index(filters), name=name))


def database_query(connection_string: str, **options: Any) -> ZylonBuiltinTool:
    """``database_query_v1`` over ``connection_string`` (options: ``schemas``, ``ssl``,
    ``enable_tables``, ``enable_views``, ``enable_functions``, ``enable_procedures``,
    ``name``; see :func:`zylon_core._builtin_tools.database_query`)."""
    return _tool(core.database_query(connection_string, **options))


def web_search(*, name: str = "web_search") -> ZylonBuiltinTool:
    """``web_search_v1``: a web search from the user's question."""
    return _tool(core.web_search(name=name))


def web_extract(*, name: str = "web_extract") -> ZylonBuiltinTool:
    """``web_extract_v1``: fetch and extract the URL the user's message contains."""
    return _tool(core.web_extract(name=name))


def list_project_files(*, name: str = "list_project_files") -> ZylonBuiltinTool:
    """``list_project_files_v1``: the files of the current Workspace project."""
    return _tool(core.list_project_files(name=name))
