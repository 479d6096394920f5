"""An agent loop (``langchain.agents.create_agent``, a LangGraph graph) with a real Python
tool, over ChatZylon and the emulator."""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.tools import tool

from langchain_zylon import ChatZylon
from tests.conftest import TEST_TOKEN
from zylon_core import ZylonClient

QUESTION = "What is the weather in Paris? Use the tool."


def make_agent(llm: ChatZylon) -> tuple[Any, list[str]]:
    calls: list[str] = []

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather in a city."""
        calls.append(city)
        return f"It is sunny and 21 C in {city}."

    return create_agent(llm, [get_weather]), calls


def test_agent_loop_invoke(zylon_env: Any) -> None:
    agent, calls = make_agent(ChatZylon())
    result = agent.invoke({"messages": [("user", QUESTION)]})
    kinds = [type(m).__name__ for m in result["messages"]]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert calls == ["Paris"]
    assert result["messages"][1].tool_calls[0]["args"] == {"city": "Paris"}
    assert "sunny and 21 C in Paris" in result["messages"][-1].text
    assert result["messages"][-1].tool_calls == []


def test_agent_loop_streams_messages(zylon_env: Any) -> None:
    agent, calls = make_agent(ChatZylon())
    chunks = [chunk for chunk, _meta in agent.stream({"messages": [("user", QUESTION)]}, stream_mode="messages")]
    model_chunks = [c for c in chunks if isinstance(c, AIMessageChunk)]
    call_chunks = [tc for c in model_chunks for tc in c.tool_call_chunks]
    assert call_chunks[0]["name"] == "get_weather" and "".join(tc["args"] or "" for tc in call_chunks) == '{"city": "Paris"}'
    assert any(isinstance(c, ToolMessage) for c in chunks)
    assert "sunny" in "".join(c.text for c in model_chunks)
    assert calls == ["Paris"]


async def test_agent_loop_async_stream(zylon_env: Any) -> None:
    agent, calls = make_agent(ChatZylon())
    updates = [update async for update in agent.astream({"messages": [("user", QUESTION)]}, stream_mode="updates")]
    assert [next(iter(u)) for u in updates] == ["model", "tools", "model"]
    final = updates[-1]["model"]["messages"][-1]
    assert isinstance(final, AIMessage) and "sunny" in final.text and calls == ["Paris"]


def test_agent_in_a_thread_sends_only_each_new_turn(zylon_env: Any) -> None:
    with ZylonClient(base_url=zylon_env.base_url, api_token=TEST_TOKEN) as zylon:
        project_id = zylon.projects.create("agent")["id"]
        thread_id = zylon.threads.create(project_id, "agent thread").id
    zylon_env.clear_requests()
    agent, calls = make_agent(ChatZylon(thread_id=thread_id, streaming=True))
    result = agent.invoke({"messages": [("user", QUESTION)]})
    assert calls == ["Paris"] and "sunny" in result["messages"][-1].text
    creates = [r["json"]["pgpt"]["messages"] for r in zylon_env.requests if r["path"].endswith("/interaction")]
    assert len(creates) == 2
    assert creates[0] == [{"role": "user", "content": [{"type": "text", "text": QUESTION}]}]
    assert [b["type"] for m in creates[1] for b in m["content"]] == ["tool_result"]
