"""LangChain's standard unit suite for ChatZylon (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_zylon import ChatZylon
from tests.langchain.capabilities import ChatZylonCapabilities

UNIT_BASE_URL = "http://zylon.invalid"


class TestChatZylonUnit(ChatZylonCapabilities, ChatModelUnitTests):

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"base_url": UNIT_BASE_URL, "api_key": "test-token", "model": "default"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {
                "ZYLON_BASE_URL": "https://zylon.example.com/",
                "ZYLON_API_TOKEN": "env-token",
                "ZYLON_ORG": "acme",
                "ZYLON_MODEL": "private-gpt",
            },
            {},
            {
                "base_url": "https://zylon.example.com",
                "api_token": "env-token",
                "org": "acme",
                "model": "private-gpt",
            },
        )

    @pytest.mark.xfail(
        reason=(
            "langchain-core's load(allowed_objects='all') admits only the classes listed in "
            "langchain_core.load.mapping, which a third-party package cannot join; the dump "
            "matches the snapshot, and test_chat_model_unit.py round-trips ChatZylon with "
            "allowed_objects=[ChatZylon]"
        ),
        raises=ValueError,
        strict=True,
    )
    def test_serdes(self, model: ChatZylon, snapshot: Any) -> None:
        super().test_serdes(model, snapshot)
