"""An older server (before Zylon 1.50: threads and interactions under
/project/{id}/...) behind both adapters, over real HTTP: the emulator in legacy mode."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage

from langchain_zylon import ChatZylon, ZylonChatMessageHistory
from llama_index_zylon import Zylon
from tests.conftest import TEST_TOKEN
from zylon_core import ConfigurationError, ZylonClient
from zylon_core.emulator.testing import run_emulator


@pytest.fixture(scope="module")
def legacy() -> Iterator[Any]:
    with run_emulator(paths="legacy") as server:
        yield server


@pytest.fixture
def thread(legacy: Any) -> tuple[str, str]:
    with ZylonClient(base_url=legacy.base_url, api_token=TEST_TOKEN, paths="legacy") as client:
        project = client.projects.create("older server")["id"]
        return project, client.threads.create(project, "t").id


def _interaction_paths(server: Any) -> set[str]:
    return {r["path"].split("/interaction")[0] for r in server.requests if "/interaction" in r["path"]}


@pytest.mark.parametrize("paths", ["auto", "legacy"])
def test_chatzylon_and_its_history_on_an_older_server(legacy: Any, thread: tuple[str, str], paths: str) -> None:
    project, thread_id = thread
    config = {"base_url": legacy.base_url, "api_key": TEST_TOKEN, "paths": paths}
    llm = ChatZylon(thread_id=thread_id, project_id=project, **config)
    legacy.clear_requests()
    first = llm.invoke([HumanMessage("My name is Ada.")])
    second = "".join(chunk.text for chunk in llm.stream([HumanMessage("What is my name?")]))
    assert first.response_metadata["thread_id"] == thread_id and "Ada" in second
    assert _interaction_paths(legacy) == {f"/api/v1/app/project/{project}"}  # never the 1.50+ paths once known
    history = ZylonChatMessageHistory(thread_id, project_id=project, **config)
    assert [m.type for m in history.messages] == ["human", "ai", "human", "ai"]


def test_zylon_on_an_older_server(legacy: Any, thread: tuple[str, str]) -> None:
    project, thread_id = thread
    llm = Zylon(thread_id=thread_id, project_id=project, base_url=legacy.base_url, api_key=TEST_TOKEN, paths="legacy")
    answer = llm.chat([ChatMessage(role="user", content="My name is Ada.")])
    assert answer.message.additional_kwargs["thread_id"] == thread_id


def test_thread_work_without_the_project_id_names_the_version(legacy: Any, thread: tuple[str, str]) -> None:
    _, thread_id = thread
    llm = ChatZylon(thread_id=thread_id, base_url=legacy.base_url, api_key=TEST_TOKEN, paths="legacy")
    with pytest.raises(ConfigurationError, match="1.50"):
        llm.invoke("hi")
