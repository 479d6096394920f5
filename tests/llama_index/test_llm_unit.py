"""``Zylon`` offline: configuration, request building, and the documented answers through
the whole LLM with an ``httpx.MockTransport`` standing in for the server."""

from __future__ import annotations

import json

import httpx
import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_zylon import ConfigurationError, Zylon
from llama_index_zylon._codec.structured import parse_structured
from tests.conftest import SHARED_API, load_example
from zylon_core import AsyncZylonClient, ZylonClient
from zylon_core._transport import BaseTransport

SECRET = "sk-very-secret-token-123"


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("ZYLON_BASE_URL", "ZYLON_API_TOKEN", "ZYLON_ORG", "ZYLON_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def make(**kwargs) -> Zylon:
    kwargs.setdefault("base_url", "https://zylon.example.com/")
    kwargs.setdefault("api_token", SECRET)
    return Zylon(**kwargs)


# --------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------


def test_configuration_from_the_environment(clean_env):
    clean_env.setenv("ZYLON_BASE_URL", "https://env.example.com/")
    clean_env.setenv("ZYLON_API_TOKEN", SECRET)
    clean_env.setenv("ZYLON_ORG", "acme")
    clean_env.setenv("ZYLON_MODEL", "private-gpt")
    llm = Zylon()
    assert (llm.base_url, llm.org, llm.model) == ("https://env.example.com", "acme", "private-gpt")
    assert llm.metadata.model_name == "private-gpt"


def test_defaults_for_org_and_model(clean_env):
    llm = make()
    assert (llm.org, llm.model, llm.max_retries, llm.timeout) == ("default", "default", 2, 60.0)


def test_missing_base_url_and_token_name_the_variable(clean_env):
    with pytest.raises(ConfigurationError, match="ZYLON_BASE_URL"):
        Zylon(api_token=SECRET)
    with pytest.raises(ConfigurationError, match="ZYLON_API_TOKEN"):
        Zylon(base_url="https://zylon.example.com")


def test_api_key_alias_and_the_token_is_never_shown(clean_env):
    llm = Zylon(base_url="https://zylon.example.com", api_key=SECRET)
    assert llm._settings.api_token.get_secret_value() == SECRET
    for text in (repr(llm), str(llm), llm.model_dump_json(), json.dumps(llm.to_dict(), default=str), llm.to_json()):
        assert SECRET not in text
    assert llm.api_token is not None and SECRET not in repr(llm.api_token)


def test_metadata_and_class_name(clean_env):
    llm = make(max_tokens=256, context_window=8192)
    meta = llm.metadata
    assert meta.is_chat_model and meta.is_function_calling_model
    assert (meta.num_output, meta.context_window, meta.model_name) == (256, 8192, "default")
    assert Zylon.class_name() == "Zylon_LLM"
    assert make().metadata.num_output > 0


def test_one_client_pair_per_instance_reused(clean_env):
    llm = make()
    assert isinstance(llm._client, ZylonClient) and isinstance(llm._aclient, AsyncZylonClient)
    first = llm._client
    llm._turn([ChatMessage(role="user", content="x")], {})
    assert llm._client is first


def test_unknown_additional_kwargs_are_rejected(clean_env):
    with pytest.raises(ValueError, match="nonsense"):
        make(additional_kwargs={"nonsense": 1})


@pytest.mark.parametrize(
    ("cls", "fields", "typo"),
    [
        ("Zylon", {}, "temprature"),
        ("ZylonEmbedding", {}, "batch_size"),
        ("ZylonRetriever", {"collection": "c"}, "top_k"),
        ("ZylonChatStore", {}, "projectid"),
        ("ZylonMemoryStore", {}, "projectid"),
        ("ZylonProjectReader", {"project_id": "p"}, "wait_for_ingest"),
    ],
)
def test_a_misspelt_argument_is_refused_by_name_not_ignored(clean_env, cls, fields, typo):
    import llama_index_zylon

    with pytest.raises(ValueError, match=f"{typo}\n  Extra inputs are not permitted"):
        getattr(llama_index_zylon, cls)(base_url="https://zylon.example.com", api_token=SECRET, **fields, **{typo: 1})


def test_bad_agent_is_rejected(clean_env):
    with pytest.raises(ValueError):
        make(agent="Wizard")


# --------------------------------------------------------------------------------------
# request building
# --------------------------------------------------------------------------------------

USER = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hi")]


def test_fields_become_the_request(clean_env):
    llm = make(
        temperature=0.2,
        max_tokens=64,
        top_p=0.9,
        top_k=40,
        seed=7,
        thinking=True,
        citations=True,
        use_default_prompt=False,
        stop=["END"],
        additional_kwargs={"presence_penalty": 0.5},
    )
    turn = llm._turn(USER, {})
    assert turn.request.to_json_dict() == {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "temperature": 0.2,
        "max_tokens": 64,
        "top_p": 0.9,
        "top_k": 40,
        "seed": 7,
        "presence_penalty": 0.5,
        # citations point into sources, which come only with the zylon extension
        "system": {"text": "Be brief.", "use_default_prompt": False, "citations": {"enabled": True}, "extensions": ["zylon"]},
        "thinking": {"enabled": True},
    }
    assert turn.stop == ("END",)
    assert turn.route.kind == "chat"


def test_unset_fields_are_not_sent(clean_env):
    assert make()._turn([ChatMessage(role="user", content="Hi")], {}).request.to_json_dict() == {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    }


def test_per_call_kwargs_override_fields(clean_env):
    llm = make(temperature=0.2, project_id="p1", thinking=True)
    turn = llm._turn(USER, {"temperature": 0.9, "thread_id": "t1", "thinking": None, "stop": "STOP"})
    assert turn.request.temperature == 0.9
    assert turn.request.thinking is None
    assert turn.route.kind == "thread" and turn.route.thread_id == "t1"
    assert turn.stop == ("STOP",)
    assert llm._turn(USER, {"project_id": None}).route.kind == "chat"


def test_routing_by_fields(clean_env):
    assert make(project_id="p", artifact_ids=["a"], all_artifacts=False)._turn(USER, {}).route.kind == "project"
    route = make(thread_id="t", project_id="p", agent="ProjectDeepResearch")._turn(USER, {}).route
    assert (route.kind, route.agent) == ("thread", "ProjectDeepResearch")
    with pytest.raises(ConfigurationError, match="artifact_ids"):
        make(artifact_ids=["a"])._turn(USER, {})


def test_unknown_call_kwargs_are_a_type_error(clean_env):
    with pytest.raises(TypeError, match="max_token"):
        make()._turn(USER, {"max_token": 5})


def test_tools_and_tool_choice_in_the_request(clean_env):
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    llm = make()
    kwargs = llm._prepare_chat_with_tools(
        [FunctionTool.from_defaults(add)], user_msg="Add 1 and 2", tool_required=True, allow_parallel_tool_calls=True
    )
    assert kwargs["messages"][-1].content == "Add 1 and 2"
    turn = llm._turn(kwargs.pop("messages"), kwargs)
    body = turn.request.to_json_dict()
    assert body["tools"][0]["name"] == "add" and "inputSchema" in body["tools"][0]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": False}
    with_choice = llm._prepare_chat_with_tools([FunctionTool.from_defaults(add)], user_msg="x", tool_choice="add")
    assert with_choice["tool_choice"] == {"type": "tool", "name": "add", "disable_parallel_tool_use": True}
    builtin = llm._turn(USER, {"tools": [{"type": "semantic_search_v1", "name": "search"}]})
    assert builtin.server_tools == frozenset({"search"})
    with pytest.raises(ValueError, match="tool_choice was given without tools"):
        llm._turn(USER, {"tool_choice": "any"})


def test_chat_history_given_to_prepare_is_not_mutated(clean_env):
    history = [ChatMessage(role="user", content="a")]
    make()._prepare_chat_with_tools([], user_msg="b", chat_history=history)
    assert len(history) == 1


def test_nothing_to_send_is_a_value_error(clean_env):
    with pytest.raises(ValueError, match="no user message to send"):
        make()._turn([ChatMessage(role="system", content="only system")], {})


# --------------------------------------------------------------------------------------
# tool calls out of a response
# --------------------------------------------------------------------------------------


def _response(*blocks, **kwargs):
    return ChatResponse(message=ChatMessage(role="assistant", blocks=list(blocks), additional_kwargs=kwargs))


def test_get_tool_calls_from_response(clean_env):
    llm = make()
    response = _response(
        TextBlock(text="ok"),
        ToolCallBlock(tool_call_id="a", tool_name="add", tool_kwargs={"a": 1}),
        ToolCallBlock(tool_call_id="b", tool_name="mul", tool_kwargs='{"x": 2}'),
    )
    calls = llm.get_tool_calls_from_response(response)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [("a", "add", {"a": 1}), ("b", "mul", {"x": 2})]
    with pytest.raises(ValueError, match="Expected at least one tool call"):
        llm.get_tool_calls_from_response(_response(TextBlock(text="no tools")))
    assert llm.get_tool_calls_from_response(_response(TextBlock(text="x")), error_on_no_tool_call=False) == []
    legacy = _response(tool_calls=[{"id": "z", "name": "f", "input": {"q": 1}}])
    assert llm.get_tool_calls_from_response(legacy)[0].tool_kwargs == {"q": 1}


def test_single_tool_call_unless_parallel_allowed(clean_env):
    llm = make()
    both = lambda: _response(  # noqa: E731
        ToolCallBlock(tool_call_id="a", tool_name="add"), ToolCallBlock(tool_call_id="b", tool_name="add")
    )
    assert len(llm.get_tool_calls_from_response(llm._validate_chat_with_tools_response(both(), []))) == 1
    kept = llm._validate_chat_with_tools_response(both(), [], allow_parallel_tool_calls=True)
    assert len(llm.get_tool_calls_from_response(kept)) == 2


class Answer(BaseModel):
    status: str
    next_step: str


def test_parse_structured_accepts_fences_and_names_the_class_on_failure(shared_api):
    body = load_example("messages.11.response.json")
    text = body["content"][0]["text"]
    assert parse_structured(text, Answer).status == "success"
    assert parse_structured(f"```json\n{text}\n```", Answer).next_step.startswith("Monitor")
    assert parse_structured(f"Here you go: {text}", Answer).status == "success"
    with pytest.raises(ValueError, match="not a valid Answer"):
        parse_structured('{"status": 1}', Answer)


# --------------------------------------------------------------------------------------
# the whole LLM over a mock server
# --------------------------------------------------------------------------------------


class MockServer:
    def __init__(self, routes):
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for (method, path), answer in self.routes.items():
            if request.method == method and request.url.path == path:
                return answer(request) if callable(answer) else answer
        return httpx.Response(404, json={"message": f"no route {request.method} {request.url.path}"})


def wired(server: MockServer, **kwargs) -> Zylon:
    llm = make(**kwargs)
    headers = BaseTransport(llm._settings).headers
    transport = httpx.MockTransport(server)
    llm._connection._client = ZylonClient(llm._settings, http_client=httpx.Client(transport=transport, headers=headers))
    llm._connection._aclient = AsyncZylonClient(llm._settings, http_client=httpx.AsyncClient(transport=transport, headers=headers))
    return llm


def sse(name: str) -> httpx.Response:
    return httpx.Response(
        # The files stop after the last event's data line; a server ends it with a blank line.
        200,
        content=(SHARED_API / "examples" / name).read_bytes().rstrip() + b"\n\n",
        headers={"content-type": "text/event-stream"},
    )


def test_unsupported_input_fails_before_any_request(clean_env):
    server = MockServer({})
    llm = wired(server)
    with pytest.raises(ValueError, match="VideoBlock"):
        llm.chat([ChatMessage(role="user", blocks=[VideoBlock(url="https://example.com/v.mp4")])])
    with pytest.raises(ValueError, match="VideoBlock"):
        llm.stream_chat([ChatMessage(role="user", blocks=[VideoBlock(url="https://example.com/v.mp4")])])
    assert server.requests == []


def test_documented_one_shot_answer_through_chat(clean_env, shared_api):
    server = MockServer({("POST", "/api/v1/app/chat"): httpx.Response(200, json=load_example("chat.02.response.json"))})
    llm = wired(server, temperature=0.3, max_tokens=64)
    response = llm.chat([ChatMessage(role="user", content="Draft a 2-sentence update on this week’s support backlog.")])
    assert response.message.content.startswith("Backlog volume dipped 8%")
    assert response.additional_kwargs["id"] == "msg_5f2e1d3c4b6a7c8d"
    (request,) = server.requests
    assert request.headers["x-org"] == "default" and request.headers["authorization"] == f"Bearer {SECRET}"
    # the documented request body, exactly
    assert json.loads(request.content) == load_example("chat.01.request.json")


async def test_documented_stream_through_astream_chat(clean_env, shared_api):
    server = MockServer({("POST", "/api/v1/app/chat"): sse("messages.13.stream.sse")})
    llm = wired(server)
    chunks = [c async for c in await llm.astream_chat([ChatMessage(role="user", content="Tagline?")])]
    assert "".join(c.delta or "" for c in chunks) == "Focus fast daily"
    assert chunks[-1].message.content == "Focus fast daily"
    assert chunks[-1].additional_kwargs["usage"]["output_tokens"] == 3
    assert json.loads(server.requests[0].content)["stream"] is True


def test_documented_interaction_through_thread_mode(clean_env, shared_api):
    server = MockServer(
        {
            ("POST", "/api/v1/app/thread/thread_3f2a1c4d5b6e7f8a/interaction"): httpx.Response(
                200, json=load_example("interactions.02.response.json")
            )
        }
    )
    llm = wired(server, thread_id="thread_3f2a1c4d5b6e7f8a")
    history = [
        ChatMessage(role="user", content="Earlier question"),
        ChatMessage(role="assistant", content="Earlier answer"),
        ChatMessage(role="user", content="Summarize the artifact in three bullets."),
    ]
    response = llm.chat(history)
    assert response.additional_kwargs["interaction_id"] == "inter_5a7b9c1d3e5f7a9b"
    assert response.additional_kwargs["thread_id"] == "thread_3f2a1c4d5b6e7f8a"
    assert response.raw["interaction"]["state"] == "Completed"
    body = json.loads(server.requests[0].content)
    assert body["pgpt"]["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Summarize the artifact in three bullets."}]}
    ]


def test_documented_minimal_thread_stream(clean_env, shared_api):
    processing = {"id": "inter_1", "state": "Processing", "thread_id": "thread_1"}
    server = MockServer(
        {
            ("POST", "/api/v1/app/thread/thread_1/interaction"): httpx.Response(200, json=processing),
            ("GET", "/api/v1/app/interaction/inter_1/stream"): sse("threads.16.stream.sse"),
        }
    )
    llm = wired(server, thread_id="thread_1")
    chunks = list(llm.stream_complete("Summarize"))
    assert chunks[-1].text == "• Ticket volume rose 12%"
    assert chunks[-1].additional_kwargs["interaction_id"] == "inter_1"
    assert [r.method for r in server.requests] == ["POST", "GET"]


def test_server_error_stream_surfaces_as_an_error(clean_env, shared_api):
    from zylon_core import ServerStreamError

    server = MockServer({("POST", "/api/v1/app/chat"): sse("async-messages.04.stream.sse")})
    llm = wired(server)
    with pytest.raises(ServerStreamError, match=r"\(api_error\): <AioRpcError.*failed to connect"):
        list(llm.stream_chat([ChatMessage(role=MessageRole.USER, content="x")]))


# --------------------------------------------------------------------------------------
# instrumentation: the events first-party integrations emit
# --------------------------------------------------------------------------------------


@pytest.fixture
def events():
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler

    seen: list = []

    class Collector(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "Collector"

        def handle(self, event, **kwargs):
            seen.append(event)

    root = get_dispatcher()
    collector = Collector()
    root.add_event_handler(collector)
    try:
        yield seen
    finally:
        root.event_handlers.remove(collector)


def _names(seen):
    return [type(e).__name__ for e in seen]


def test_chat_and_completion_fire_llama_index_events(clean_env, shared_api, events):
    server = MockServer({("POST", "/api/v1/app/chat"): httpx.Response(200, json=load_example("chat.02.response.json"))})
    llm = wired(server)
    llm.chat([ChatMessage(role="user", content="x")])
    assert _names(events) == ["LLMChatStartEvent", "LLMChatEndEvent"]
    end = events[-1]
    assert end.response.message.content.startswith("Backlog")
    assert events[0].model_dict["class_name"] == "Zylon_LLM"
    events.clear()
    llm.complete("x")
    names = _names(events)
    assert names[0] == "LLMCompletionStartEvent" and names[-1] == "LLMCompletionEndEvent"
    assert events[-1].response.text.startswith("Backlog")


async def test_streaming_fires_in_progress_events(clean_env, shared_api, events):
    server = MockServer({("POST", "/api/v1/app/chat"): sse("messages.13.stream.sse")})
    llm = wired(server)
    async for _ in await llm.astream_chat([ChatMessage(role="user", content="x")]):
        pass
    names = _names(events)
    assert names[0] == "LLMChatStartEvent" and names[-1] == "LLMChatEndEvent"
    assert names.count("LLMChatInProgressEvent") >= 2
    assert events[-1].response.message.content == "Focus fast daily"


@pytest.mark.parametrize("value", [-0.1, 1.5, 5])
def test_a_temperature_outside_zero_to_one_is_refused_when_built(value):
    with pytest.raises(ValueError, match="temperature"):
        make(temperature=value)
    assert make(temperature=1.0).temperature == 1.0
