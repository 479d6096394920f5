"""Workspace one-shot chat (``POST /api/v1/app/chat``) runs built-in search tools over what
their ``context`` (or the request's ``tool_context``) names, as ZylonGPT does with the
same body (the Workspace forwards it); without one the tool fails, as on ZylonGPT."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.conftest import W, ingest

QUESTION = [{"role": "user", "content": [{"type": "text", "text": "When are invoices due?"}]}]
SCOPE = [{"type": "ingested_artifact", "context_filter": {"collection": "chat-tool-context"}}]


@pytest.mark.parametrize(
    "extra",
    [
        {"tools": [{"name": "search", "type": "semantic_search_v1", "context": SCOPE}]},
        {"tools": [{"name": "search", "type": "semantic_search_v1"}], "tool_context": SCOPE},
    ],
)
def test_a_builtin_search_uses_its_context(api: httpx.Client, extra: dict[str, Any]) -> None:
    ingest(api, "chat-tool-context", "invoices", "Invoices are due within 30 days of delivery.", file_name="invoices.txt")
    response = api.post(f"{W}/chat", json={"messages": QUESTION, **extra})
    assert response.status_code == 200, response.text
    content = response.json()["content"]
    assert [b["type"] for b in content[:2]] == ["server_tool_use", "server_tool_result"]
    result = content[1]
    assert result["is_error"] is False
    assert "Invoices are due within 30 days" in result["content"][-1]["text"]
    assert "30 days" in content[-1]["text"]


def test_without_a_context_the_tool_fails(api: httpx.Client) -> None:
    response = api.post(f"{W}/chat", json={"messages": QUESTION, "tools": [{"name": "search", "type": "semantic_search_v1"}]})
    assert response.status_code == 200, response.text
    result = response.json()["content"][1]
    assert result["type"] == "server_tool_result" and result["is_error"] is True and "tool_context" in result["content"]
