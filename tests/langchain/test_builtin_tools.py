"""Zylon's built-in tools in LangChain: the helpers' dicts (LangChain filters converted),
their wire form through ``ChatZylon.bind_tools`` and a LangChain agent, and the answer the
emulator's server-run search gives (no client tool call to answer)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from langchain.agents import create_agent

from langchain_zylon import ChatZylon, ZylonVectorStore, tools
from tests.conftest import TEST_TOKEN

FACT = "Invoices are due within 30 days of delivery."


def test_helpers_convert_langchain_filters(shared_api):
    captured = json.loads((shared_api / "captures" / "C_msg_rag_zylon.request.json").read_text())["tools"][0]
    assert tools.semantic_search("capture", artifacts=["doc_alpha"], name="search") == captured
    scoped = tools.tabular_analysis("sheets", filter={"year": {"$gte": 2024}, "team": "finance"})
    assert scoped["context"] == [
        {
            "type": "ingested_artifact",
            "context_filter": {
                "collection": "sheets",
                "metadata_filter": [
                    {"key": "year", "operator": ">=", "value": 2024},
                    {"key": "team", "operator": "==", "value": "finance"},
                ],
            },
        }
    ]
    assert tools.file_semantic_search(name="files") == {"name": "files", "type": "file_semantic_search_v1"}
    assert tools.database_query("postgresql://r:pw@db/x")["context"][0]["type"] == "sql_database"
    assert [t()["type"] for t in (tools.web_search, tools.web_extract, tools.list_project_files)] == [
        "web_search_v1",
        "web_extract_v1",
        "list_project_files_v1",
    ]
    with pytest.raises(ValueError, match="'\\$or'"):
        tools.semantic_search("c", filter={"$or": []})


@pytest.fixture
def finance(emulator: Any) -> Any:
    store = ZylonVectorStore(collection=f"lc-tools-{uuid.uuid4().hex[:8]}", base_url=emulator.base_url, api_key=TEST_TOKEN)
    store.add_texts([FACT, "The office moves to Lyon in May."], [{"team": "finance"}, {"team": "ops"}], ids=["invoices", "office"])
    yield store
    store.delete()


def test_bind_tools_sends_the_tool_and_the_server_answers(emulator, finance):
    tool = tools.semantic_search(finance.collection, filter={"team": "finance"})
    llm = ChatZylon(base_url=emulator.base_url, api_key=TEST_TOKEN).bind_tools([tool, tools.web_search()])
    emulator.clear_requests()
    answer = llm.invoke("When are invoices due?")
    sent = emulator.requests[0]["json"]["tools"]
    assert sent == [tool, {"name": "web_search", "type": "web_search_v1"}]
    assert answer.tool_calls == []  # the server ran its tools: nothing for the caller to run
    assert "30 days" in answer.text
    kinds = [block.get("type") for block in answer.content if isinstance(block, dict)]
    assert "server_tool_use" in kinds and "server_tool_result" in kinds


def test_a_langchain_agent_takes_the_builtin_tool(emulator, finance):
    agent = create_agent(ChatZylon(base_url=emulator.base_url, api_key=TEST_TOKEN), tools=[tools.semantic_search(finance.collection)])
    result = agent.invoke({"messages": [{"role": "user", "content": "When are invoices due?"}]})
    assert "30 days" in result["messages"][-1].text
    assert [type(m).__name__ for m in result["messages"]] == ["HumanMessage", "AIMessage"]
