"""The validate endpoints (fidelity §7): Workspace ``/chat/validate`` answering 204, and
ZylonGPT ``/messages/validate`` replaying the captured answers (``captures/validate_*``):
an invalid request is a result, not an exception; auth, transport and 5xx errors raise."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.core.mock_server import MockServer, json_response
from zylon_core import APIConnectionError, AuthenticationError, InternalServerError, NotFoundError
from zylon_core.models import ChatRequest, MessageInput, TextBlock

REQUEST = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="Hello")])])
GPT_VALIDATE = ("POST", "/api/gpt/v1/messages/validate")
WS_VALIDATE = ("POST", "/api/v1/app/chat/validate")


def captured(shared_api, name: str) -> tuple[dict, httpx.Response]:
    """A capture's request body and its recorded answer."""
    folder = shared_api / "captures"
    meta = json.loads((folder / f"{name}.meta.json").read_text())
    body = json.loads((folder / f"{name}.request.json").read_text())
    answer = httpx.Response(
        meta["status"], content=(folder / f"{name}.response.json").read_bytes(), headers={"content-type": "application/json"}
    )
    return body, answer


@pytest.mark.parametrize("name", ["validate_ok", "validate_ok_client_shape"])
def test_gpt_valid_requests(shared_api, name):
    body, answer = captured(shared_api, name)
    server = MockServer({GPT_VALIDATE: answer})
    with server.client() as client:
        result = client.messages.validate(body)
    assert (result.valid, result.errors) == (True, None)
    (sent,) = server.bodies()
    assert sent == {**body, "model": body.get("model", "default")}  # the model from the settings when the body has none


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("validate_unknown_model", ["Model 'no-such-model' not found. Available: {'default', 'mock'}"]),
        ("validate_image_unsupported", ["The message cannot be empty."]),
    ],
)
def test_gpt_valid_false_is_an_invalid_result(shared_api, name, expected):
    body, answer = captured(shared_api, name)
    with MockServer({GPT_VALIDATE: answer}).client() as client:
        result = client.messages.validate(body)
    assert (result.valid, result.errors) == (False, expected)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("validate_empty_messages", ["Value error, Messages cannot be empty"]),
        ("validate_temperature_1_5", ["temperature: Input should be less than or equal to 1"]),
        ("validate_bad_tool_choice", ["is not in the provided tools"]),
    ],
)
def test_gpt_error_envelope_is_an_invalid_result_carrying_the_explanation(shared_api, name, expected):
    body, answer = captured(shared_api, name)
    with MockServer({GPT_VALIDATE: answer}).client() as client:
        result = client.messages.validate(body)
    assert result.valid is False
    assert len(result.errors or []) == len(expected)
    for line, wanted in zip(result.errors or [], expected, strict=True):
        assert wanted in line
    assert result.model_extra is not None
    assert result.model_extra["details"] == json.loads(answer.content)  # the raw body kept


def test_workspace_204_and_empty_200_are_valid():
    server = MockServer({WS_VALIDATE: [httpx.Response(204), httpx.Response(200, content=b""), json_response(200, {"valid": True, "errors": []})]})
    with server.client() as client:
        assert [client.chat.validate(REQUEST).valid for _ in range(3)] == [True, True, True]
    assert server.bodies()[0] == REQUEST.to_json_dict()


def test_workspace_400_envelope_is_an_invalid_result():
    envelope = {"detail": [{"loc": ["body", "messages", 0, "content", 0, "thinking", "signature"], "msg": "Field required"}]}
    kotlin = {"type": "about:blank", "status": 400, "message": "invalid message schema"}
    server = MockServer({WS_VALIDATE: [json_response(400, envelope), json_response(400, kotlin), httpx.Response(400, content=b"")]})
    with server.client() as client:
        first, second, third = (client.chat.validate(REQUEST) for _ in range(3))
    assert (first.valid, first.errors) == (False, ["messages[0].content[0].thinking.signature: Field required"])
    assert (second.valid, second.errors) == (False, ["invalid message schema"])
    assert (third.valid, third.errors) == (False, ["HTTP 400 Bad Request"])


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(401, content=b""), AuthenticationError),
        (httpx.Response(404, content=b""), NotFoundError),
        (json_response(500, {"message": "boom"}), InternalServerError),
    ],
)
def test_other_errors_still_raise(answer, error):
    with MockServer({WS_VALIDATE: answer, GPT_VALIDATE: answer}).client() as client:
        with pytest.raises(error):
            client.chat.validate(REQUEST)
        with pytest.raises(error):
            client.messages.validate(REQUEST)


def test_a_transport_failure_raises():
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with MockServer({WS_VALIDATE: fail}).client() as client, pytest.raises(APIConnectionError):
        client.chat.validate(REQUEST)


def test_an_unreadable_200_is_an_error_not_a_valid_result():
    from zylon_core import APIStatusError

    with MockServer({WS_VALIDATE: json_response(200, {"ok": 1})}).client() as client, pytest.raises(APIStatusError, match="could not read"):
        client.chat.validate(REQUEST)


async def test_async_validate():
    server = MockServer({WS_VALIDATE: httpx.Response(204), GPT_VALIDATE: json_response(400, {"valid": False, "errors": ["nope"]})})
    async with server.aclient() as client:
        assert (await client.chat.validate(REQUEST)).valid is True
        result = await client.messages.validate(REQUEST)
    assert (result.valid, result.errors) == (False, ["nope"])
