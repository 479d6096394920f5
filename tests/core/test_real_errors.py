"""Error bodies (fidelity.md section 12): every captured error response through the
client's error parser, every other documented body shape, redaction that keeps messages
readable, and exceptions that survive pickling."""

from __future__ import annotations

import ast
import json
import pickle

import httpx
import pytest

import zylon_core.errors as errors_module
from tests.conftest import SHARED_API
from tests.core.real_captures import error_names, error_of, load, status
from zylon_core import ServerStreamError, StreamAccumulator, decode_event
from zylon_core.errors import (
    REDACTED,
    APIStatusError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    ZylonError,
    error_from_response,
    parse_error_body,
    redact,
)

ERRORS = error_names()


def test_every_error_capture_is_in_the_table(shared_api):
    assert len(ERRORS) == 46


def explanations(body) -> list[str]:
    """What the server said, read straight from the capture (not through the parser)."""
    if "valid" in body:
        return body["errors"]
    if "error" not in body:
        return [body["detail"]]
    explanation = body["error"]["detail"]["explanation"]
    if isinstance(explanation, str):
        return [explanation]
    # Items for union branches that do not apply are noise: a str branch, a wrong type literal.
    real = [i for i in explanation if i["type"] not in ("string_type", "literal_error") or len(explanation) == 1]
    return [i["msg"] for i in real[:1]] or [explanation[0]["msg"]]


def item_inputs(body) -> list[str]:
    """The request values the server echoed back in its items."""
    detail = (body.get("error") or {}).get("detail") or {}
    items = detail.get("explanation") if isinstance(detail.get("explanation"), list) else []
    found = []
    for item in items:
        value = item.get("input")
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) >= 5 and text not in item["msg"]:
            found.append(text)
    return found


@pytest.mark.parametrize("name", ERRORS)
def test_every_error_response_reads_as_the_servers_explanation(name, shared_api):
    body = load(name)
    error = error_of(name)
    text = str(error)
    assert text.startswith(f"{status(name)}: ")
    for explanation in explanations(body):
        assert explanation in text
    assert "Invalid Request Error" not in text and "Api Error" not in text
    for echoed in item_inputs(body):
        assert echoed not in text  # request values stay in .details, out of the message
    if "error" in body:
        assert error.error_type == body["error"]["type"] and error.code == body["error"]["detail"]["code"]
        assert error.request_id == body["request_id"]
    expected_class = {400: BadRequestError, 404: NotFoundError, 500: InternalServerError}[status(name)]
    assert type(error) is expected_class and error.body == body


@pytest.mark.parametrize(
    "name, message",
    [
        ("err_temperature_1_5", "temperature: Input should be less than or equal to 1"),
        ("err_unknown_model", "Model 'no-such-model' not found. Available: {'default', 'mock'}"),
        ("client_C_thinking_history_no_signature", "failed: messages[1].content[0].thinking.signature: Field required"),
        ("async_status_unknown", "Stream with message_id does_not_exist not found"),
        ("B_msg_tool_auto", "'ChoiceDeltaToolCall' object has no attribute 'tool_id'"),
        ("embeddings_wrong_type", "input: Input should be a valid string; input: Input should be a valid list"),
        ("err_unknown_block_type", "failed: messages[0].content[0]: Input tag 'video' found using 'type' does not match"),
        ("search_score_threshold_out_of_range", "failed: score_threshold: Input should be less than or equal to 1"),
        ("search_semantic_missing_context_filter", "failed: context_filter: Field required"),
        ("artifacts_list_default", "failed: query.collection: Field required"),
        ("err_malformed_json", "failed: body[14]: JSON decode error"),
        ("validate_unknown_model", "Model 'no-such-model' not found"),
        ("msg_image_anthropic", "The LLM does not support images, but the message contains image blocks."),
    ],
)
def test_named_explanations(name, message, shared_api):
    text = str(error_of(name))
    assert message in text
    # Union-branch noise is left out: no "valid string" for a list-of-blocks problem.
    if name in ("client_C_thinking_history_no_signature", "err_unknown_block_type"):
        assert "Input should be a valid string" not in text and ";" not in text
    if name.startswith("search_"):
        assert "keywords" not in text and "Keyword" not in text


def test_the_items_stay_in_details_with_their_inputs(shared_api):
    error = error_of("client_C_thinking_history_no_signature")
    assert error.details == load("client_C_thinking_history_no_signature")["error"]["detail"]["explanation"]
    assert error.details[1]["input"]["type"] == "thinking"


def test_stream_error_events_are_read_by_the_same_parser(shared_api):
    text = (SHARED_API / "examples" / "async-messages.04.stream.sse").read_text()
    error = json.loads(text.split("event: error\ndata: ")[1].split("\n\n")[0])
    accumulator = StreamAccumulator()
    accumulator.feed({"type": "message_start", "message": {"id": "m", "content": []}})
    with pytest.raises(ServerStreamError) as caught:
        accumulator.feed(decode_event("error", json.dumps(error)))
    assert error["exception"]["message"].splitlines()[0] in str(caught.value)  # only exception.message explains
    assert caught.value.error_type == "api_error" and caught.value.code is None


# -- every other documented body shape --------------------------------------------------------


@pytest.mark.parametrize(
    "body, message, kind",
    [
        ({"detail": [{"loc": ["body", "messages", 0, "content"], "msg": "field required", "type": "value_error.missing"}]}, "messages[0].content: field required", None),
        ({"detail": "Invalid input format"}, "Invalid input format", None),
        ({"errors": [{"message": "name is too long"}, {"message": "scope is unknown"}]}, "name is too long; scope is unknown", None),
        ({"message": ["title must be a string", "limit must be > 1"]}, "title must be a string; limit must be > 1", None),
        ({"error": "invalid_grant", "error_description": "The token has expired"}, "The token has expired", "invalid_grant"),
        ({"type": "BadRequest", "status": 400, "message": "At least one valid scope must be specified"}, "At least one valid scope must be specified", "BadRequest"),
        ({"valid": False, "errors": ["The message cannot be empty."]}, "The message cannot be empty.", None),
        ({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "Overloaded", "overloaded_error"),
        ({"title": "Not Found", "status": 404}, "Not Found", None),
        ([{"loc": "('query', 'limit')", "msg": "Input should be greater than 1"}], "query.limit: Input should be greater than 1", None),
        ("upstream timed out\n  after 30 s", "upstream timed out after 30 s", None),
    ],
)
def test_every_documented_body_shape(body, message, kind):
    info = parse_error_body(body)
    assert info.message == message and info.error_type == kind


def test_kotlin_body_through_a_response():
    response = httpx.Response(404, json={"type": "NotFound", "status": 404, "message": "Thread t1 not found"}, request=httpx.Request("GET", "https://z/api/v1/app/thread/t1"))
    error = error_from_response(response)
    assert isinstance(error, NotFoundError) and str(error) == "404: GET /api/v1/app/thread/t1 failed: Thread t1 not found"
    assert error.error_type == "NotFound"


def test_an_html_error_page_is_cut_to_a_short_excerpt():
    page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head><body><h1>Bad Gateway</h1>" + "<p>The proxy could not reach the upstream server.</p>" * 40 + "</body></html>"
    response = httpx.Response(502, text=page, headers={"content-type": "text/html"}, request=httpx.Request("POST", "https://z/api/v1/app/chat"))
    error = error_from_response(response)
    text = str(error)
    assert "502 Bad Gateway" in text and "The proxy could not reach the upstream server." in text
    assert "<" not in text and "color:red" not in text and len(error.message) < 400 and text.endswith(" ...")


def test_an_item_loc_held_in_a_tuple_string_with_odd_quotes():
    info = parse_error_body({"detail": [{"loc": "('body', \"it's\", 2, 'list[str]')", "msg": "bad"}, {"loc": "('body', 'x' 'broken", "msg": "odd"}]})
    assert info.message == "it's[2]: bad; x: odd"  # what can be read of a broken one


# -- redaction ---------------------------------------------------------------------------------


def status_error(message: str, body=None, details=None) -> APIStatusError:
    response = httpx.Response(401, request=httpx.Request("GET", "https://z/api/v1/app/me"))
    return APIStatusError(message, response=response, body=body, details=details)


def test_a_short_token_is_redacted_only_where_it_stands_alone():
    error = redact(status_error("a bad token: x; area x-ray", body={"t": "x"}), "x")
    assert error.message == f"a bad token: {REDACTED}; area x-ray"  # not every letter x
    assert error.body == {"t": REDACTED}


def test_a_long_token_is_redacted_anywhere_and_in_nested_bodies():
    token = "ztk_9f8e7d6c5b4a3210"
    error = redact(status_error(f"Bearer{token}!", body={"a": [f"x{token}y", {token: 1}]}, details=[{"input": token}]), token)
    assert token not in repr(error.args) + repr(error.body) + repr(error.details)
    assert error.message == f"Bearer{REDACTED}!" and error.body == {"a": [f"x{REDACTED}y", {REDACTED: 1}]}


def test_a_token_cut_in_half_by_an_excerpt_does_not_leak():
    token = "ztk_" + "a1b2c3d4" * 8
    page = "<html><body>" + "word " * 55 + "token" + token + " more words " * 50 + "</body></html>"
    response = httpx.Response(500, text=page, request=httpx.Request("POST", "https://z/api/v1/app/chat"))
    error = redact(error_from_response(response), token)
    assert all(token[:k] not in str(error) for k in range(8, len(token) + 1))
    # Also when the excerpt itself has to cut through a token (no blank to cut at).
    long_word = "x" * 290 + token
    cut = redact(status_error(errors_module.text_excerpt(long_word)), token)
    assert all(token[:k] not in str(cut) for k in range(8, len(token) + 1)) and REDACTED in str(cut)


# -- pickling ----------------------------------------------------------------------------------


def all_error_classes() -> list[type[ZylonError]]:
    found = [v for v in vars(errors_module).values() if isinstance(v, type) and issubclass(v, ZylonError)]
    assert len(found) >= 22
    return sorted(found, key=lambda c: c.__name__)


def build(cls: type[ZylonError]) -> ZylonError:
    response = httpx.Response(400, json={"detail": "x"}, request=httpx.Request("POST", "https://z/api/gpt/v1/messages"))
    if issubclass(cls, APIStatusError):
        return cls("bad", response=response, body={"detail": "x"}, details=[1], code="C", error_type="t", request_id="r")
    if cls is ServerStreamError:
        return cls("stream broke", error_type="api_error", body={"type": "error"}, code="API_ERROR", request_id="r1", details=[2])
    if cls.__name__ == "UnsavedMessagesError":
        return cls("t1", ["m1", "m2"])
    if cls.__name__ in ("ConfigurationError", "ThreadRewriteError", "ZylonError"):
        return cls("bad setting")
    if cls.__name__ == "IngestionTimeoutError":
        return cls("slow", pending=["a1"])
    if cls.__name__ == "IngestionError":
        return cls("failed", artifact={"id": "a1"})
    if cls.__name__ == "InteractionFailedError":
        return cls("failed", interaction={"id": "i1"})
    return cls("went wrong", request=response.request)  # type: ignore[call-arg]


@pytest.mark.parametrize("cls", all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_class_pickles(cls):
    error = build(cls)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls and str(back) == str(error) and back.args == error.args
    state = {k: v for k, v in vars(error).items() if k not in ("response", "request")}
    assert {k: v for k, v in vars(back).items() if k not in ("response", "request")} == state
    if isinstance(error, APIStatusError):
        assert back.response.status_code == 400 and back.response.json() == {"detail": "x"}
        assert back.request is not None and back.request.url == error.request.url


def test_a_loc_string_is_parsed_as_a_tuple_not_as_characters():
    loc = "('body', 'messages', 1, 'content', 'list[tagged-union[TextBlock,ThinkingBlock]]', 0, 'thinking', 'signature')"
    assert ast.literal_eval(loc)[1] == "messages"
    assert parse_error_body({"detail": [{"loc": loc, "msg": "Field required"}]}).message == "messages[1].content[0].thinking.signature: Field required"


@pytest.mark.parametrize(
    "name, lines",
    [
        ("client_C_thinking_history_no_signature", ("messages[1].content[0].thinking.signature: Field required",)),
        ("embeddings_wrong_type", ("input: Input should be a valid string", "input: Input should be a valid list")),
        ("err_unknown_model", ("Model 'no-such-model' not found. Available: {'default', 'mock'}",)),
        ("validate_image_unsupported", ("The message cannot be empty.",)),
    ],
)
def test_the_explanation_one_item_per_line(name, lines, shared_api):
    # What a validate result's ``errors`` hold for a 400 envelope.
    assert parse_error_body(load(name)).lines == lines


@pytest.mark.parametrize(
    "token, message, expected",
    [
        ("ztk_9f8e7d6c5b4a3210", "redirected to https://z/login?next=%2Fchat&t={} (302)", "redirected to https://z/login?next=/chat&t={} (302)"),
        ("q", "the token {} was revoked (%2Fme)", "the token {} was revoked (/me)"),  # short: only where it stands alone
    ],
)
def test_a_token_percent_encoded_by_the_server_is_redacted(token, message, expected):
    encoded = "".join(f"%{ord(c):02X}" for c in token)
    error = redact(status_error(message.format(encoded), body={"l": encoded}), token)
    assert error.message == expected.format(REDACTED)
    assert error.body == {"l": REDACTED}
