"""The deterministic engine's rules, without a server."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from zylon_core.emulator.engine import EngineInput, generate
from zylon_core.emulator.schema_values import Values, fill_schema
from zylon_core.emulator.sse import split_text
from zylon_core.emulator.state import Hit

MAGIC = {
    "name": "magic_function",
    "description": "Apply a magic function to an input.",
    "inputSchema": {
        "type": "object",
        "properties": {"input": {"type": "integer", "exclusiveMinimum": -1000, "exclusiveMaximum": 1000}},
        "required": ["input"],
    },
}
NO_ARGS = {"name": "magic_function_no_args", "description": "Calculate a magic function.", "inputSchema": {"type": "object", "properties": {}}}
ADDER = {
    "name": "simple_calculator",
    "description": "Add two numbers.",
    "inputSchema": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a", "b"],
    },
}
WEATHER = {
    "name": "get_weather",
    "description": "Get weather at a location.",
    "inputSchema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
}


def msg(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [{"type": "text", "text": text}]}


def run(*messages: dict[str, Any], **kwargs: Any) -> Any:
    return generate(EngineInput(messages=list(messages), **kwargs))


def text(output: Any) -> str:
    return " ".join(b["text"] for b in output.content if b["type"] == "text")


def test_plain_reply_is_deterministic_and_echoes() -> None:
    first = run(msg("user", "Hello there"))
    second = run(msg("user", "Hello there"))
    assert first == second
    assert text(first) == 'You said: "Hello there".'
    assert first.stop_reason == "end_turn"
    assert first.usage == {"input_tokens": 2, "output_tokens": 4}


def test_deltas_prompt_gives_exactly_n_pieces_and_ignores_max_tokens() -> None:
    output = run(msg("user", "/deltas 7"), max_tokens=3, thinking=True)
    assert output.pieces[0] == ["tok0", " tok1", " tok2", " tok3", " tok4", " tok5", " tok6"]
    assert [b["type"] for b in output.content] == ["text"]
    assert text(output) == "tok0 tok1 tok2 tok3 tok4 tok5 tok6"
    assert output.usage["output_tokens"] == 7
    assert split_text(text(output)) == output.pieces[0]


def test_remembers_facts_from_the_history() -> None:
    output = run(msg("user", "My name is Ada Lovelace and I like maths."), msg("assistant", "Nice to meet you."), msg("user", "What is my name?"), turn=2, in_thread=True)
    assert "Your name is Ada Lovelace." in text(output)
    assert "turn 2" in text(output)
    only = run(msg("user", "My name is Ada."), msg("assistant", "Nice to meet you."), msg("user", "What is my name? Reply with only the name, no punctuation."))
    assert text(only) == "Ada"
    color = run(msg("user", "my favourite color is teal"), msg("assistant", "ok"), msg("user", "what's my favourite color?"))
    assert "Your favourite color is teal." in text(color)
    unknown = run(msg("user", "What is my name?"))
    assert "don't know your name" in text(unknown)


def test_arithmetic_and_attachments() -> None:
    assert text(run(msg("user", "What is 2 + 3?"))).startswith("2 + 3 = 5.")
    image = {"role": "user", "content": [{"type": "image", "data": "aGk=", "mime_type": "image/png"}, {"type": "text", "text": "What is it?"}]}
    assert text(run(image)).startswith("I received 1 image.")


def test_thinking_block_comes_first() -> None:
    output = run(msg("user", "Explain the plan"), thinking=True)
    assert [b["type"] for b in output.content] == ["thinking", "text"]
    assert output.content[0]["thinking"] == "Thinking about: Explain the plan"


def test_max_tokens_cuts_words() -> None:
    output = run(msg("user", "one two three four five six seven eight"), max_tokens=4)
    assert output.stop_reason == "max_tokens"
    assert len(text(output).split()) == 4
    assert output.usage["output_tokens"] == 4


@pytest.mark.parametrize(
    ("prompt", "tools", "choice", "expected"),
    [
        ("What is the value of magic_function(3)? Use the tool.", [MAGIC], None, [("magic_function", {"input": 3})]),
        ("What is the value of magic_function(3)? Use the tool.", [MAGIC], {"type": "any"}, [("magic_function", {"input": 3})]),
        ("What is the value of magic_function_no_args()? Use the tool.", [MAGIC, NO_ARGS], None, [("magic_function_no_args", {})]),
        ("Add 5 and 7.", [ADDER], {"type": "tool", "name": "simple_calculator"}, [("simple_calculator", {"a": 5, "b": 7})]),
        ("Hello!", [MAGIC, WEATHER], {"type": "any"}, [("magic_function", {"input": 0})]),
        ("Hello!", [MAGIC, WEATHER], {"type": "tool", "name": "get_weather"}, [("get_weather", {"location": "location about Hello"})]),
        ("What is the weather in San Francisco, CA?", [MAGIC, WEATHER], None, [("get_weather", {"location": "San Francisco, CA"})]),
        (
            "Call magic_function with 1 and then simple_calculator with 2 and 3",
            [ADDER, MAGIC],
            None,
            [("magic_function", {"input": 1}), ("simple_calculator", {"a": 2, "b": 3})],
        ),
        (
            "Call magic_function with 1 and then simple_calculator with 2 and 3",
            [ADDER, MAGIC],
            {"type": "auto", "disable_parallel_tool_use": True},
            [("magic_function", {"input": 1})],
        ),
    ],
)
def test_tool_calls(prompt: str, tools: list[dict[str, Any]], choice: Any, expected: list[Any]) -> None:
    output = run(msg("user", prompt), tools=tools, tool_choice=choice, id_seed="s")
    uses = [b for b in output.content if b["type"] == "tool_use"]
    assert [(b["name"], b["input"]) for b in uses] == expected
    assert output.stop_reason == "tool_use"
    assert all(re.fullmatch(r"tool_[0-9a-f]{32}", b["id"]) for b in uses)
    assert len({b["id"] for b in uses}) == len(uses)


def test_no_tool_call_without_reason_or_with_choice_none() -> None:
    assert run(msg("user", "Hello!"), tools=[MAGIC]).stop_reason == "end_turn"
    output = run(msg("user", "magic_function(3) please"), tools=[MAGIC], tool_choice={"type": "none"})
    assert [b["type"] for b in output.content] == ["text"]


def test_unicode_strings_come_from_quotes() -> None:
    tool = {
        "name": "unicode_customer",
        "description": "Tool for creating a customer with Unicode name.",
        "inputSchema": {
            "type": "object",
            "properties": {"customer_name": {"type": "string"}, "description": {"type": "string"}},
            "required": ["customer_name", "description"],
        },
    }
    output = run(msg("user", "Create a customer named '你好啊集团' (Hello Group) - a Chinese technology company"), tools=[tool], tool_choice={"type": "any"})
    args = output.content[0]["input"]
    assert args["customer_name"] == "你好啊集团"
    assert args["description"]


def test_tool_results_are_answered_in_text() -> None:
    use = {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "magic_function", "input": {"input": 3}}]}
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "5"}]}]}
    output = run(msg("user", "magic_function(3)?"), use, result, tools=[MAGIC], tool_choice={"type": "any"})
    assert text(output) == "The result of magic_function is 5."
    assert output.stop_reason == "end_turn"
    failed = {"role": "tool", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "is_error": True, "content": [{"type": "text", "text": "boom"}]}]}
    assert "reported an error: boom" in text(run(msg("user", "x"), use, failed))


JOKE = {
    "description": "Joke to tell user.",
    "properties": {
        "setup": {"description": "question to set up a joke", "title": "Setup", "type": "string"},
        "punchline": {"description": "answer to resolve the joke", "title": "Punchline", "type": "string"},
        "rating": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
    },
    "required": ["setup", "punchline"],
    "title": "Joke",
    "type": "object",
}


@pytest.mark.parametrize("wrapped", [False, True])
def test_json_schema_answers(wrapped: bool) -> None:
    schema = {"name": "Joke", "schema": JOKE, "strict": True} if wrapped else JOKE
    output = run(msg("user", "Tell me a joke about cats."), response_format={"type": "json_schema", "json_schema": schema}, max_tokens=2)
    assert [b["type"] for b in output.content] == ["text"]
    value = json.loads(text(output))
    assert value == {"setup": "setup about cats", "punchline": "punchline about cats", "rating": 0}
    assert output.stop_reason == "end_turn"


def test_schema_filling_follows_refs_enums_arrays_and_bounds() -> None:
    schema = {
        "type": "object",
        "$defs": {"Item": {"type": "object", "properties": {"qty": {"type": "integer", "minimum": 10}}, "required": ["qty"]}},
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "minItems": 2},
            "mode": {"enum": ["fast", "slow"]},
            "flag": {"type": "boolean"},
            "numbers": {"type": "array", "items": {"type": "number"}},
            "when": {"type": "string", "format": "date"},
            "nested": {"type": "object", "properties": {"deep": {"type": "string"}}},
        },
        "required": ["items", "mode", "flag", "numbers", "when"],
    }
    value = fill_schema(schema, Values("go slow with 1, 2.5 and 3"), root=schema)
    assert value == {"items": [{"qty": 10}, {"qty": 10}], "mode": "slow", "flag": True, "numbers": [3], "when": "2024-01-01"}


def hit(n: int, text: str) -> Hit:
    return Hit(f"chunk-{n}", 0.9 - n / 10, text, "artifact_1", "proj", "Report", {"file_name": "report.txt"}, [], [], f"ID{n:02d}", n, 0)


SEARCH = {"name": "semantic_search", "type": "semantic_search_v1"}


def test_builtin_search_tool_runs_server_side() -> None:
    found = [hit(0, "Billing issues drove 38% of cases."), hit(1, "Bugs were fixed.")]
    output = run(msg("user", "What drove the billing issues?"), tools=[SEARCH], tool_search=lambda query, limit: found, id_seed="x", zylon=True)
    kinds = [b["type"] for b in output.content]
    assert kinds == ["server_tool_use", "server_tool_result", "text"]
    use, result, answer = output.content
    assert re.fullmatch(r"srvtoolu_[0-9a-f]{32}", use["id"]) and use["name"] == "semantic_search"
    assert use["input"] == {"query": "What drove the billing issues?", "artifacts": None}
    assert result["tool_use_id"] == use["id"] and result["is_error"] is False
    source, listing = result["content"]
    assert [s["id"] for s in source["sources"]] == ["chunk-0", "chunk-1"]
    assert source["sources"][0]["object"] == "context.chunk" and source["sources"][0]["metadata"]["shorter_id"] == "ID00"
    assert source["sources"][0]["document"] == {
        "object": "ingest.document",
        "artifact": "artifact_1",
        "doc_metadata": {"file_name": "report.txt", "artifact_id": "artifact_1", "collection": "proj"},
    }
    assert listing["text"].startswith("Citation identifier [ID00]\n---\nContent:\nBilling issues drove 38% of cases.\n\n===")
    assert answer["text"].startswith("According to Report: Billing issues") and "citations" not in answer
    assert output.stop_reason == "end_turn"
    without_zylon = run(msg("user", "billing?"), tools=[SEARCH], tool_search=lambda q, k: found)
    assert [b["type"] for b in without_zylon.content[1]["content"]] == ["text"]


def test_citations_are_inline_markup_with_integer_indexes() -> None:
    found = [hit(0, "Ticket volume rose 12%."), hit(1, "Bugs were fixed.")]
    cited = run(msg("user", "ticket volume?"), search=lambda q, k: found, citations=True, correlation_id="corr")
    answer = cited.content[-1]
    assert [c["index"] for c in answer["citations"]] == [0, 1] and [c["id"] for c in answer["citations"]] == ["ID00", "ID01"]
    assert answer["text"].endswith(
        "<citation id='ID00' index='0' artifact_id='artifact_1' source_id='chunk-0' correlation_id='corr'></citation> "
        "<citation id='ID01' index='1' artifact_id='artifact_1' source_id='chunk-1' correlation_id='corr'></citation>."
    )
    plain = run(msg("user", "ticket volume?"), search=lambda q, k: found)
    assert [b["type"] for b in plain.content] == ["server_tool_use", "server_tool_result", "text"] and "citations" not in plain.content[-1]
    empty = run(msg("user", "unrelated"), search=lambda q, k: [], citations=True)
    assert "found no passage" in text(empty)


def test_failing_and_unavailable_builtin_tools() -> None:
    no_context = run(msg("user", "search it"), tools=[SEARCH])
    assert no_context.content[1]["is_error"] is True and isinstance(no_context.content[1]["content"], str)
    web = run(msg("user", "look it up"), tools=[{"name": "web", "type": "web_search_v1"}])
    assert [b["type"] for b in web.content] == ["server_tool_use", "server_tool_result", "text"] and web.content[1]["is_error"] is True


def test_documents_are_converted_first() -> None:
    document = {"type": "document", "source": {"type": "base64", "media_type": "text/plain", "data": "QnVkZ2V0OiA0MmsgRVVS"}, "title": "budget.txt"}
    output = run({"role": "user", "content": [document, {"type": "text", "text": "How much?"}]}, thinking=True, id_seed="d")
    assert [b["type"] for b in output.content] == ["server_tool_use", "server_tool_result", "thinking", "text"]
    assert output.content[0]["input"] == {"type": "document", "index": 0, "name": "budget.txt"}
    assert output.content[1]["content"] == [{"type": "text", "text": "Converted document 1 of 1."}]
    assert re.fullmatch(r"sig_[0-9a-f]{32}", output.content[2]["signature"]) and output.content[2]["citations"] == []
    assert 'The document budget.txt says: "Budget: 42k EUR".' in text(output)


def test_stop_sequences_cut_the_text() -> None:
    output = run(msg("user", "one two three"), stop_sequences=["three", "two"])
    assert (output.stop_reason, output.stop_sequence) == ("stop_sequence", "two")
    assert text(output) == 'You said: "one '


def test_media_only_message_is_not_answered_with_older_text() -> None:
    image = {"role": "user", "content": [{"type": "image", "data": "https://example.com/cat.png"}]}
    output = run(msg("user", "Earlier words"), msg("assistant", "ok"), image, turn=2)
    assert text(output) == "I received 1 image. This is turn 2 of this conversation."
