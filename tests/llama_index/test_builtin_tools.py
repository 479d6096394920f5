"""Zylon's built-in tools in LlamaIndex: the helpers (MetadataFilters converted), a tool
that is both a LlamaIndex tool and the Zylon definition, its wire form through
``Zylon.chat_with_tools``, and the server-run answer through ``chat_with_tools`` and a
FunctionAgent on the emulator."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from llama_index.core import Document
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.tools import BaseTool
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

from llama_index_zylon import Zylon, ZylonIndex, tools
from tests.conftest import TEST_TOKEN

FACT = "Invoices are due within 30 days of delivery."
# The emulator answers with server_tool_use / server_tool_result blocks, as the real server
# does; the LlamaIndex codec on main does not read those yet (another branch adds it).


def test_helpers_convert_metadata_filters(shared_api):
    captured = json.loads((shared_api / "captures" / "C_msg_rag_zylon.request.json").read_text())["tools"][0]
    assert tools.semantic_search("capture", artifacts=["doc_alpha"], name="search").to_json_dict() == captured
    recent = MetadataFilters(filters=[MetadataFilter(key="year", value=2024, operator=FilterOperator.GTE)])
    assert tools.file_semantic_search("files", filters=recent).to_json_dict()["context"] == [
        {
            "type": "ingested_artifact",
            "context_filter": {"collection": "files", "metadata_filter": [{"key": "year", "operator": ">=", "value": 2024}]},
        }
    ]
    assert tools.tabular_analysis("sheets").type == "tabular_analysis_v1"
    query = tools.database_query("postgresql://r:pw@db/x", schemas=["public"], name="sales_db").to_json_dict()
    assert query == {
        "name": "sales_db",
        "type": "database_query_v1",
        "context": [{"type": "sql_database", "connection_string": "postgresql://r:pw@db/x", "schemas": ["public"]}],
    }
    assert [t().to_json_dict() for t in (tools.web_search, tools.web_extract, tools.list_project_files)] == [
        {"name": "web_search", "type": "web_search_v1"},
        {"name": "web_extract", "type": "web_extract_v1"},
        {"name": "list_project_files", "type": "list_project_files_v1"},
    ]
    with pytest.raises(ValueError, match="condition 'or'"):
        tools.semantic_search("c", filters=MetadataFilters(filters=[MetadataFilter(key="a", value=1)] * 2, condition="or"))


def test_a_builtin_tool_is_a_llama_index_tool_the_client_does_not_run():
    tool = tools.semantic_search("docs")
    assert isinstance(tool, BaseTool) and tool.metadata.name == "semantic_search"
    output = tool.call({"query": "x"})
    assert output.is_error and "run by the Zylon server" in output.content


def test_chat_with_tools_sends_the_builtin_definitions():
    llm = Zylon(base_url="https://zylon.example.com", api_key=TEST_TOKEN)
    search, web = tools.semantic_search("docs", artifacts=["a1"]), tools.web_search()
    prepared = llm._prepare_chat_with_tools([search, web], user_msg="When are invoices due?")
    assert prepared["tools"] == [search.to_json_dict(), web.to_json_dict()]
    assert prepared["tools"][0]["context"] == [{"type": "ingested_artifact", "context_filter": {"collection": "docs", "artifacts": ["a1"]}}]


@pytest.fixture
def finance(emulator: Any) -> Any:
    index = ZylonIndex.from_documents(
        [Document(text=FACT, metadata={"team": "finance"}, doc_id="invoices")],
        collection=f"li-tools-{uuid.uuid4().hex[:8]}",
        base_url=emulator.base_url,
        api_key=TEST_TOKEN,
    )
    yield index
    index.client.collections.delete(index.collection)


def test_chat_with_tools_gets_the_server_run_answer(emulator, finance):
    llm = Zylon(base_url=emulator.base_url, api_key=TEST_TOKEN)
    emulator.clear_requests()
    response = llm.chat_with_tools([tools.semantic_search(finance.collection)], user_msg="When are invoices due?")
    assert emulator.requests[0]["json"]["tools"] == [tools.semantic_search(finance.collection).to_json_dict()]
    assert "30 days" in (response.message.content or "")
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    assert response.message.additional_kwargs["server_tool_calls"][0]["name"] == "semantic_search"


async def test_a_function_agent_takes_the_builtin_tool(emulator, finance):
    agent = FunctionAgent(tools=[tools.semantic_search(finance.collection)], llm=Zylon(base_url=emulator.base_url, api_key=TEST_TOKEN))
    result = await agent.run("When are invoices due?")
    assert "30 days" in str(result)
