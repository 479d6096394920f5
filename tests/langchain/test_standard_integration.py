"""LangChain's standard integration suite for ChatZylon, against the local emulator.

``TestChatZylonStandard`` talks to the session emulator. ``TestChatZylonCassettes`` runs
the same suite replayed from ``cassettes/langchain/`` (see RECORDED_AGAINST.md there).

Both declare what a Zylon instance supports as the real servers in the reference
material do (``capabilities.py``): files, which the server converts itself, but not
images or audio, which the captured models refuse with a 400 (as the emulator does by
default; ``test_integration.py`` checks the caller gets that explanation).
``TestChatZylonWithMediaModel`` runs the suite's image and audio tests against an
emulator whose model takes them (``image_input=True, audio_input=True``), the case of
an instance with such a model.

The suite fetches sample media (an image, a PDF, a WAV) from the internet; here
``httpx.get`` is pointed at small files made in memory, so the tests run offline and the
cassettes stay small. Everything else is the suite as published.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import httpx
import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_zylon import ChatZylon
from tests.conftest import TEST_TOKEN
from tests.langchain.capabilities import ChatZylonCapabilities, ChatZylonWithMediaModel


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\x00\xff\x00" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _wav() -> bytes:
    samples = b"\x00\x00" * 800
    return b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(samples)) + samples


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"4 0 obj<</Title(Dummy PDF file)>>endobj\ntrailer<</Root 1 0 R/Info 4 0 R>>\n%%EOF\n"
)
MEDIA = {".png": _png(), ".pdf": PDF, ".wav": _wav()}


def _fake_get(url: str, *args: Any, **kwargs: Any) -> httpx.Response:
    for suffix, content in MEDIA.items():
        if url.endswith(suffix):
            return httpx.Response(200, content=content, request=httpx.Request("GET", url))
    raise AssertionError(f"the standard suite fetched an unexpected URL: {url}")


@pytest.fixture(autouse=True)
def offline_media(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpx, "get", _fake_get)
    monkeypatch.setenv("LANGCHAIN_TESTS_USER_AGENT", "zylon-integrations-tests")


MODEL_OVERRIDE_REASON = (
    "Zylon's Workspace chat endpoints take no model parameter: the instance's configured model "
    "answers and reports its own name, so a per-call model= only relabels tracing (ls_model_name)"
)


class ZylonSuite(ChatZylonCapabilities, ChatModelIntegrationTests):
    """What ChatZylon supports, for the standard suite."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "default"}

    @property
    def model_override_value(self) -> str:
        return "private-gpt-large"

    @pytest.mark.xfail(reason=MODEL_OVERRIDE_REASON, strict=True)
    def test_invoke_with_model_override(self, model: ChatZylon) -> None:
        super().test_invoke_with_model_override(model)

    @pytest.mark.xfail(reason=MODEL_OVERRIDE_REASON, strict=True)
    async def test_ainvoke_with_model_override(self, model: ChatZylon) -> None:
        await super().test_ainvoke_with_model_override(model)

    @pytest.mark.xfail(reason=MODEL_OVERRIDE_REASON, strict=True)
    def test_stream_with_model_override(self, model: ChatZylon) -> None:
        super().test_stream_with_model_override(model)

    @pytest.mark.xfail(reason=MODEL_OVERRIDE_REASON, strict=True)
    async def test_astream_with_model_override(self, model: ChatZylon) -> None:
        await super().test_astream_with_model_override(model)


class TestChatZylonStandard(ZylonSuite):
    """Against the session emulator (``ZYLON_BASE_URL`` etc. point at it)."""

    @pytest.fixture(autouse=True)
    def _emulator_env(self, zylon_env: Any) -> None:
        return None


@pytest.mark.vcr
class TestChatZylonCassettes(ZylonSuite):
    """The same suite replayed from ``cassettes/langchain/`` (no server). Re-record with
    ``pytest tests/langchain --record-mode=rewrite`` (against ``ZYLON_BASE_URL`` if set,
    else the emulator) and update ``cassettes/langchain/RECORDED_AGAINST.md``."""

    @property
    def enable_vcr_tests(self) -> bool:
        return True

    @pytest.fixture(autouse=True)
    def _cassette_env(self, cassette_env: str) -> None:
        return None


class _MediaSuite(ChatZylonWithMediaModel, ChatModelIntegrationTests):
    """The suite's view of an instance whose model takes images and audio (not collected:
    only its media tests run, below)."""


@pytest.fixture(scope="module")
def media_emulator() -> Any:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(image_input=True, audio_input=True) as server:
        yield server


class TestChatZylonWithMediaModel:
    """The standard suite's image and audio tests, against a model that takes them."""

    suite = _MediaSuite()

    @pytest.fixture
    def model(self, media_emulator: Any) -> ChatZylon:
        media_emulator.clear_requests()
        return ChatZylon(base_url=media_emulator.base_url, api_key=TEST_TOKEN, model="default")

    def sent_types(self, server: Any) -> list[str]:
        return [b["type"] for r in server.requests for m in r["json"]["messages"] for b in m["content"]]

    def test_image_inputs(self, model: ChatZylon, media_emulator: Any) -> None:
        self.suite.test_image_inputs(model)
        assert "image" in self.sent_types(media_emulator)

    def test_image_tool_message(self, model: ChatZylon, media_emulator: Any) -> None:
        self.suite.test_image_tool_message(model)
        results = [b for r in media_emulator.requests for m in r["json"]["messages"] for b in m["content"] if b["type"] == "tool_result"]
        assert results and all(inner["type"] == "image" for b in results for inner in b["content"])

    def test_audio_inputs(self, model: ChatZylon, media_emulator: Any) -> None:
        self.suite.test_audio_inputs(model)
        assert "audio" in self.sent_types(media_emulator)

    def test_anthropic_inputs(self, model: ChatZylon, media_emulator: Any) -> None:
        self.suite.test_anthropic_inputs(model)
        assert "image" in self.sent_types(media_emulator)
