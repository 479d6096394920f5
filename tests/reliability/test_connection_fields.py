"""Connection fields changed after construction take effect, or raise.

``obj.base_url = ...`` and ``obj.model_copy(update={...})`` of ``base_url``,
``api_token``, ``org``, ``timeout`` (and ``deadline``) are used by the next request of
every configured class of both adapters; a value that cannot work raises the
``ConfigurationError`` the constructor would have; the original of a copy keeps
working on its own settings. Two loopback proxies in front of the emulator record
which one each request reached, and with which headers.
"""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

import pytest

from tests.reliability.fault_server import FaultServer, forward, hang
from tests.reliability.support import TOKEN
from tests.reliability.test_lifecycle import CLASSES, ids  # noqa: F401 - the module fixture
from zylon_core import APITimeoutError, ConfigurationError

OTHER_TOKEN = "sk-reliability-other-0c7d51e9b2"
# ZylonIndex (a LlamaIndex managed index, not a pydantic model) takes its connection
# settings as constructor arguments only: it has no fields to change.
FIELD_CLASSES = {name: value for name, value in CLASSES.items() if name != "ZylonIndex"}


@pytest.fixture
def first(emulator) -> Iterator[FaultServer]:
    with FaultServer(default=forward(emulator.base_url)) as server:
        yield server


@pytest.fixture
def second(emulator) -> Iterator[FaultServer]:
    with FaultServer(default=forward(emulator.base_url)) as server:
        yield server


def seen(server: FaultServer) -> list[tuple[str, str]]:
    """(token, org) of each request the server got."""
    return [(r[2].get("authorization", "").removeprefix("Bearer "), r[2].get("x-org", "")) for r in server.requests]


@pytest.mark.parametrize("name", FIELD_CLASSES)
def test_assigning_base_url_takes_effect(first, second, ids, name):  # noqa: F811
    make, call, _ = CLASSES[name]
    obj = make(first.base_url, ids)
    call(obj)
    obj.base_url = second.base_url + "/api/v1"  # any documented form: normalised as at construction
    call(obj)
    assert first.requests and second.requests
    assert obj.base_url == second.base_url
    before = len(first.requests)
    call(obj)
    assert len(first.requests) == before


@pytest.mark.parametrize("name", FIELD_CLASSES)
def test_a_copy_with_other_settings_uses_them_and_the_original_keeps_its_own(first, second, ids, name):  # noqa: F811
    make, call, _ = CLASSES[name]
    original = make(first.base_url, ids)
    call(original)
    copy = original.model_copy(update={"base_url": second.base_url, "api_token": OTHER_TOKEN, "org": "acme"})
    call(copy)
    call(original)
    assert set(seen(second)) == {(OTHER_TOKEN, "acme")}
    assert set(seen(first)) == {(TOKEN, "default")}
    assert repr(copy).count(OTHER_TOKEN) == 0 and copy.api_token.get_secret_value() == OTHER_TOKEN


@pytest.mark.parametrize("field", ["api_token", "org"])
@pytest.mark.parametrize("name", ["ChatZylon", "Zylon", "ZylonEmbedding", "ZylonChatStore"])
def test_assigning_the_token_or_org_takes_effect(first, ids, name, field):  # noqa: F811
    make, call, _ = CLASSES[name]
    obj = make(first.base_url, ids)
    call(obj)
    setattr(obj, field, OTHER_TOKEN if field == "api_token" else "acme")
    call(obj)
    expected = (OTHER_TOKEN, "default") if field == "api_token" else (TOKEN, "acme")
    assert seen(first)[0] == (TOKEN, "default") and seen(first)[-1] == expected


@pytest.mark.parametrize("change", ["assign", "model_copy"])
@pytest.mark.parametrize("name", ["ChatZylon", "Zylon"])
def test_a_changed_timeout_takes_effect(first, ids, name, change):  # noqa: F811
    make, call, acall = CLASSES[name]
    obj = make(first.base_url, ids)
    call(obj)
    with FaultServer() as slow:
        slow.play(hang(3), hang(3))
        if change == "assign":
            obj.base_url, obj.timeout = slow.base_url, 0.2
            target = obj
        else:
            target = obj.model_copy(update={"base_url": slow.base_url, "timeout": 0.2})
        with pytest.raises(APITimeoutError):
            call(target)
        with pytest.raises(APITimeoutError):
            asyncio.run(acall(target))
    if change == "model_copy":
        call(obj)  # the original still has its own base URL and timeout
        assert obj.timeout == 60.0


@pytest.mark.bad_input
@pytest.mark.parametrize(
    "field, value, words",
    [
        ("base_url", "ftp://zylon.example.com", "must start with http"),
        ("base_url", "https://zylon.example.com/?x=1", "must not have a query"),
        ("api_token", "", "Zylon API token is not set"),
        ("api_token", "tok\nen", "control or whitespace"),
        ("timeout", -1, "timeout must be a finite number"),
        ("timeout", float("nan"), "timeout must be a finite number"),
        ("deadline", 0, "deadline must be a number of seconds > 0"),
    ],
)
@pytest.mark.parametrize("change", ["assign", "model_copy"])
@pytest.mark.parametrize("name", ["ChatZylon", "Zylon", "ZylonEmbeddings", "ZylonProjectReader"])
def test_a_changed_field_that_cannot_work_raises_before_any_request(first, ids, name, change, field, value, words):  # noqa: F811
    make, call, _ = CLASSES[name]
    obj = make(first.base_url, ids)
    if change == "assign":
        setattr(obj, field, value)
        target: Any = obj
    else:
        target = obj.model_copy(update={field: value})
    with pytest.raises(ConfigurationError, match=words) as caught:
        call(target)
    assert first.requests == []
    if field == "api_token":
        assert "tok" not in str(caught.value).replace("token", "")  # never echoed
    if change == "model_copy":
        call(obj)  # the original is untouched
        assert len(first.requests) >= 1
