"""LangChain's standard integration suite for ``ChatZylon(api="gpt")``, against the
emulator's ZylonGPT ``/api/gpt/v1/messages``.

On this route ``model`` is a real request parameter: a per-call ``model=`` picks another
of the server's models (an unknown one is the server's 400), and
``response_metadata["model_name"]`` is the model asked for. So the suite's
``*_with_model_override`` tests, expected to fail on the Workspace routes
(``test_standard_integration.py``), pass here: the emulator serves two models and the
override names the second. The sample media are served offline, as in
``test_standard_integration.py``.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_zylon import ChatZylon
from tests.conftest import TEST_TOKEN
from tests.langchain.capabilities import ChatZylonCapabilities
from tests.langchain.test_standard_integration import offline_media  # noqa: F401  (autouse: the suite's media, offline)

OVERRIDE = "private-gpt-large"


@pytest.fixture(scope="module")
def gpt_emulator() -> Iterator[Any]:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(model_ids=("emulator", OVERRIDE)) as server:
        yield server


class TestChatZylonGPTStandard(ChatZylonCapabilities, ChatModelIntegrationTests):
    """The whole suite on the ZylonGPT route (model overrides included)."""

    @pytest.fixture(autouse=True)
    def _gpt_env(self, gpt_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ZYLON_BASE_URL", gpt_emulator.base_url)
        monkeypatch.setenv("ZYLON_API_TOKEN", TEST_TOKEN)
        monkeypatch.delenv("ZYLON_ORG", raising=False)
        monkeypatch.delenv("ZYLON_MODEL", raising=False)

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "emulator", "api": "gpt"}

    @property
    def model_override_value(self) -> str:
        return OVERRIDE

    def test_a_model_override_reaches_the_server(self, model: ChatZylon, gpt_emulator: Any) -> None:
        """Not a label only: the suite's override is the model the request names."""
        gpt_emulator.clear_requests()
        result = model.invoke("Hello", model=OVERRIDE)
        chunks = list(model.stream("Hello", model=OVERRIDE))
        assert result.response_metadata["model_name"] == OVERRIDE == chunks[-1].response_metadata["model_name"]
        assert result.response_metadata["model"] == "private-gpt"  # what the server reports for every model
        assert [(r["path"], r["json"]["model"]) for r in gpt_emulator.requests] == [("/api/gpt/v1/messages", OVERRIDE)] * 2
        gpt_emulator.clear_requests()
        model.invoke("Hello")
        assert gpt_emulator.requests[-1]["json"]["model"] == "emulator"
