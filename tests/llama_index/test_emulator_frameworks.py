"""``Zylon`` inside LlamaIndex's own machinery: agents, chat engines, query engines."""

from __future__ import annotations

import json

import httpx
import pytest
from llama_index.core import Document, MockEmbedding, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ReActAgent, ToolCallResult
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.tools import FunctionTool

from llama_index_zylon import Zylon
from tests.llama_index.conftest import chat_requests, new_project, new_thread, request_of
from tests.llama_index.test_llm_unit import MockServer, clean_env, wired  # noqa: F401 (fixture)

calls: list[tuple[float, float]] = []


def multiply(a: float, b: float) -> float:
    """Multiply two numbers and return the product."""
    calls.append((a, b))
    return a * b


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()


async def run_agent(agent, prompt: str):
    handler = agent.run(prompt)
    events = [event async for event in handler.stream_events()]
    return await handler, events


# --------------------------------------------------------------------------------------
# FunctionAgent
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [False, True])
async def test_function_agent_runs_a_real_python_tool(llm, emulator, streaming):
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(multiply)],
        llm=llm,
        system_prompt="Use the multiply tool for arithmetic.",
        streaming=streaming,
    )
    result, events = await run_agent(agent, "Use the multiply tool: what is 6 times 7?")
    assert calls == [(6, 7)]
    (tool_result,) = [e for e in events if isinstance(e, ToolCallResult)]
    assert tool_result.tool_name == "multiply" and tool_result.tool_output.content == "42"
    assert str(result.response.content) == "The result of multiply is 42."
    if streaming:
        deltas = "".join(e.delta for e in events if isinstance(e, AgentStream))
        assert "The result of multiply is 42." in deltas
    first, second = (request_of(r) for r in chat_requests(emulator))
    assert first["system"]["text"].startswith("Use the multiply tool")
    assert not any(m["role"] == "system" for m in first["messages"])
    assert first["tools"][0]["name"] == "multiply"
    results = [b for m in second["messages"] for b in m["content"] if b["type"] == "tool_result"]
    assert results == [
        {"type": "tool_result", "tool_use_id": tool_result.tool_id, "content": [{"type": "text", "text": "42"}]}
    ]
    assert second["messages"][-1]["role"] == "user"


async def test_function_agent_in_a_thread_sends_only_new_turns(zylon_env, api):
    thread_id = new_thread(api, new_project(api))
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(multiply)], llm=Zylon(thread_id=thread_id))
    result, _ = await run_agent(agent, "Use the multiply tool: what is 3 times 5?")
    assert calls == [(3, 5)] and str(result.response.content) == "The result of multiply is 15."
    turns = [r["json"]["pgpt"]["messages"] for r in chat_requests(zylon_env)]
    assert [[b["type"] for m in turn for b in m["content"]] for turn in turns] == [["text"], ["tool_result"]]


# --------------------------------------------------------------------------------------
# ReActAgent
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [False, True])
async def test_react_agent_loop_against_the_emulator(llm, emulator, streaming):
    """The emulator answers in plain text, never in the ReAct format, so the agent takes
    its answer as final: this checks the loop, the prompt routing and the answer."""
    agent = ReActAgent(tools=[FunctionTool.from_defaults(multiply)], llm=llm, streaming=streaming)
    result, _ = await run_agent(agent, "what is 6 * 7")
    assert "6 * 7 = 42." in str(result.response.content)
    (recorded,) = chat_requests(emulator)
    body = request_of(recorded)
    assert "multiply" in body["system"]["text"] and "Action Input" in body["system"]["text"]
    assert "tools" not in body


REACT_ACTION = 'Thought: I need to multiply.\nAction: multiply\nAction Input: {"a": 6, "b": 7}'
REACT_ANSWER = "Thought: I can answer without using any more tools.\nAnswer: 6 times 7 is 42."


def scripted_server(*texts: str) -> MockServer:
    """A Zylon stand-in answering one-shot chat with the given texts, in order."""
    answers = iter(texts)

    def answer(request: httpx.Request) -> httpx.Response:
        text = next(answers)
        body = json.loads(request.content)
        message = {"id": "msg_1", "role": "assistant", "content": [{"type": "text", "text": text}]}
        if not body.get("stream"):
            return httpx.Response(200, json=message)
        events = [
            ("message_start", {"type": "message_start", "message": {**message, "content": []}}),
            ("content_block_delta", {"type": "content_block_delta", "delta": {"type": "text_delta", "text": text}}),
            ("message_stop", {"type": "message_stop"}),
        ]
        sse = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
        return httpx.Response(200, content=sse.encode(), headers={"content-type": "text/event-stream"})

    return MockServer({("POST", "/api/v1/app/chat"): answer})


@pytest.mark.parametrize("streaming", [False, True])
async def test_react_agent_calls_a_real_python_tool(clean_env, streaming):  # noqa: F811
    """The ReAct tool loop, with a scripted server writing in the ReAct format."""
    server = scripted_server(REACT_ACTION, REACT_ANSWER)
    agent = ReActAgent(tools=[FunctionTool.from_defaults(multiply)], llm=wired(server), streaming=streaming)
    result, events = await run_agent(agent, "What is 6 times 7?")
    assert calls == [(6, 7)]
    assert [e.tool_output.content for e in events if isinstance(e, ToolCallResult)] == ["42"]
    assert str(result.response.content) == "6 times 7 is 42."
    second = json.loads(server.requests[1].content)
    transcript = json.dumps(second["messages"])
    assert "Observation: 42" in transcript and "Action: multiply" in transcript


# --------------------------------------------------------------------------------------
# chat engine with memory
# --------------------------------------------------------------------------------------


def test_simple_chat_engine_with_memory(llm, emulator):
    engine = SimpleChatEngine.from_defaults(
        llm=llm, memory=ChatMemoryBuffer.from_defaults(token_limit=2000), system_prompt="Be brief."
    )
    engine.chat("My name is Ada.")
    answer = engine.chat("What is my name?")
    assert "Your name is Ada." in answer.response and "turn 2 of this conversation" in answer.response
    streamed = engine.stream_chat("What is my name? Reply with only the name.")
    assert "".join(streamed.response_gen) == "Ada"
    assert [m.role.value for m in engine.chat_history] == ["user", "assistant"] * 3
    last = request_of(chat_requests(emulator)[-1])
    assert [m["role"] for m in last["messages"]] == ["user", "assistant", "user", "assistant", "user"]
    assert last["system"]["text"] == "Be brief."


async def test_simple_chat_engine_in_a_thread_async(zylon_env, api):
    thread_id = new_thread(api, new_project(api))
    engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id), memory=ChatMemoryBuffer.from_defaults())
    await engine.achat("My city is Lisbon.")
    answer = await engine.astream_chat("What is my city?")
    text = "".join([token async for token in answer.async_response_gen()])
    assert "Your city is Lisbon." in text and "turn 2 of this thread" in text
    second = chat_requests(zylon_env)[-1]["json"]["pgpt"]["messages"]
    assert second == [{"role": "user", "content": [{"type": "text", "text": "What is my city?"}]}]


# --------------------------------------------------------------------------------------
# query engine over a local index
# --------------------------------------------------------------------------------------

DOCS = [
    Document(text="The Zylon office cafeteria serves paella every Thursday."),
    Document(text="Parking permits are renewed each January at the front desk."),
]


@pytest.fixture
def index():
    return VectorStoreIndex.from_documents(DOCS, embed_model=MockEmbedding(embed_dim=8))


def test_query_engine_over_a_vector_index(llm, emulator, index):
    engine = index.as_query_engine(llm=llm, similarity_top_k=2)
    response = engine.query("When is paella served?")
    assert str(response).startswith("You said:")
    assert len(response.source_nodes) == 2
    body = request_of(chat_requests(emulator)[-1])
    prompt = body["messages"][-1]["content"][0]["text"]
    assert "paella every Thursday" in prompt and "When is paella served?" in prompt


async def test_streaming_async_query_engine(llm, emulator, index):
    engine = index.as_query_engine(llm=llm, streaming=True)
    response = await engine.aquery("When are parking permits renewed?")
    text = "".join([token async for token in response.async_response_gen()])
    assert text.startswith("You said:")
    assert request_of(chat_requests(emulator)[-1])["stream"] is True
