"""zylon_core._memory: thread lifecycle plans on both clients, the pending-turn rules,
and the one-user-message rule of thread turns."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_TOKEN
from tests.fixtures import pages_read
from zylon_core import AsyncZylonClient, NotFoundError, ThreadRewriteError, UnsavedMessagesError, ZylonClient
from zylon_core._memory import (
    DEFAULT_THREAD_NAME,
    MessageMark,
    PendingTurn,
    clear_thread,
    delete_turns,
    latest_answer,
    project_threads,
    thread_create,
    thread_delete,
    thread_turns,
)
from zylon_core._operations import paged
from zylon_core._turns import Route, as_one_user_message, prepare_request
from zylon_core.models import ChatRequest, MessageInput, TextBlock, ToolResultBlock

# -- the pending-turn rules (pure) -------------------------------------------------------

Msg = tuple  # (role, text, thread_id, interaction_id)


def mark(message: Msg) -> MessageMark:
    role, text, thread_id, interaction_id = message
    return MessageMark(role=role, text=text, thread_id=thread_id, interaction_id=interaction_id)


def human(text: str) -> Msg:
    return ("user", text, None, None)


def answer(text: str, thread_id: str | None = "t1", interaction_id: str | None = "i1") -> Msg:
    return ("assistant", text, thread_id, interaction_id)


def pending(*messages: Msg) -> PendingTurn[Msg]:
    return PendingTurn("t1", mark, messages=list(messages))


def test_an_answer_of_this_thread_stores_the_messages_before_it() -> None:
    turn = pending()
    turn.add([human("hi"), answer("hello")])
    assert turn.snapshot() == []


def test_new_user_messages_stay_pending_until_their_answer_is_added() -> None:
    turn = pending()
    turn.add([human("first")])
    turn.add([("user", "tool result", None, None)])
    assert [m[1] for m in turn.snapshot()] == ["first", "tool result"]
    turn.add([answer("done")])
    assert turn.snapshot() == []


def test_system_messages_and_rebuilt_messages_are_no_ops() -> None:
    turn = pending(human("waiting"))
    turn.add([("system", "be brief", None, None), ("user", "stored question", "t1", "i0")])
    assert turn.snapshot() == [human("waiting")]


def test_a_foreign_answer_is_refused_and_nothing_changes() -> None:
    turn = pending(human("waiting"))
    with pytest.raises(UnsavedMessagesError) as caught:
        turn.add([human("new"), answer("from elsewhere", thread_id=None), answer("other thread", thread_id="t2")])
    assert caught.value.messages == [answer("from elsewhere", thread_id=None), answer("other thread", thread_id="t2")]
    assert isinstance(caught.value, ValueError)
    assert "from elsewhere" in str(caught.value) and "thread_id='t1'" in str(caught.value)
    assert turn.snapshot() == [human("waiting")]  # "new" was not kept either


def test_an_unmarked_answer_equal_to_the_latest_stored_one_is_recognised() -> None:
    turn = pending(human("q"))
    assert turn.needs_latest_answer([answer("A.", thread_id=None)])
    assert not turn.needs_latest_answer([answer("A.")])
    turn.add([answer(" A. ", thread_id=None)], latest_answer="A.")
    assert turn.snapshot() == []
    with pytest.raises(UnsavedMessagesError):
        turn.add([answer("B.", thread_id=None)], latest_answer="A.")


def test_replace_keeps_the_stored_turns_and_only_appends_user_messages() -> None:
    stored = [("user", "q", "t1", "i1"), ("assistant", "a", "t1", "i1")]
    turn = pending(human("old pending"))
    turn.replace(stored, [("system", "sys", None, None), human("q"), ("assistant", "a", None, None), human("next")])
    assert turn.snapshot() == [human("next")]
    turn.replace(stored, stored)
    assert turn.snapshot() == []
    with pytest.raises(ThreadRewriteError, match="differs from the stored one"):
        turn.replace(stored, [human("changed"), stored[1]])
    with pytest.raises(ThreadRewriteError, match="stores 2"):
        turn.replace(stored, [])
    with pytest.raises(UnsavedMessagesError):
        turn.replace(stored, [*stored, answer("invented", thread_id=None)])
    assert turn.snapshot() == []


def test_replace_on_an_empty_thread_with_an_empty_history_drops_pending() -> None:
    turn = pending(human("x"))
    turn.replace([], [])
    assert turn.snapshot() == []


# -- one user message per thread turn ------------------------------------------------------


def test_the_user_side_of_a_thread_turn_is_one_user_message() -> None:
    result = ToolResultBlock(tool_use_id="toolu_1", content=[TextBlock(text="42")])
    merged = as_one_user_message(
        [MessageInput(role="user", content=[result]), MessageInput(role="user", content="and now?")]
    )
    assert [m.to_json_dict() for m in merged] == [
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "42"}]},
                {"type": "text", "text": "and now?"},
            ],
        }
    ]
    single = [MessageInput(role="user", content="hi")]
    assert as_one_user_message(single) == single


def test_thread_plan_sends_one_user_message_but_other_routes_keep_theirs(client: ZylonClient) -> None:
    request = ChatRequest(
        messages=[
            MessageInput(role="user", content="a"),
            MessageInput(role="assistant", content="b"),
            MessageInput(role="user", content="c"),
            MessageInput(role="user", content="d"),
        ]
    )
    thread_request = prepare_request(Route.create(thread_id="thread_x"), request, stream=False)
    assert [m.to_json_dict() for m in thread_request.messages] == [
        {"role": "user", "content": [{"type": "text", "text": "c"}, {"type": "text", "text": "d"}]}
    ]
    assert len(prepare_request(Route.create(), request, stream=False).messages) == 4


# -- lifecycle on the emulator, sync and async ----------------------------------------------


def test_thread_lifecycle_sync(client: ZylonClient, project_id: str, emulator: Any) -> None:
    api = client.api
    created = [client.run(thread_create(api, project_id, f"t{n}")) for n in range(5)]
    default = client.run(thread_create(api, project_id))
    assert default.name == DEFAULT_THREAD_NAME and default.visibility == "Private"
    emulator.clear_requests()
    listed = client.run(project_threads(api, project_id, page_size=2))
    assert [t.id for t in listed] == [t.id for t in created] + [default.id]
    assert pages_read(emulator, f"/api/v1/app/project/{project_id}/thread") == [("page=1", 2), ("after", 2), ("after", 2)]  # the server pages by cursor
    renamed = client.threads.update(created[0].id, name="renamed")
    assert renamed.name == "renamed" == client.threads.get(created[0].id).name
    client.run(thread_delete(api, created[0].id))
    with pytest.raises(NotFoundError):
        client.threads.get(created[0].id)
    assert created[0].id not in [t.id for t in client.run(project_threads(api, project_id))]


async def test_thread_lifecycle_async_shares_the_plans(emulator: Any, project_id: str) -> None:
    async with AsyncZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        api = client.api
        first = await client.run(thread_create(api, project_id, "one", "Public"))
        second = await client.run(thread_create(api, project_id, "two"))
        assert first.visibility == "Public"
        assert [t.id for t in await client.run(project_threads(api, project_id, page_size=1))] == [first.id, second.id]
        assert (await client.threads.update(first.id, name="uno")).name == "uno"
        assert await client.run(thread_turns(api, first.id, page_size=1)) == []
        assert await client.run(latest_answer(api, first.id)) is None
        await client.run(thread_delete(api, second.id))
        with pytest.raises(NotFoundError):
            await client.threads.get(second.id)


def test_clear_deletes_every_interaction_across_pages_and_keeps_the_thread(client: ZylonClient, new_thread: Any) -> None:
    thread_id = new_thread()
    route = Route.create(thread_id=thread_id)
    for n in range(5):
        client.run_turn(route, ChatRequest(messages=[MessageInput(role="user", content=f"message {n}")]))
    api = client.api
    assert len(client.run(thread_turns(api, thread_id, page_size=2))) == 5
    assert client.run(latest_answer(api, thread_id, page_size=2)) == 'You said: "message 4". This is turn 5 of this thread.'
    deleted = client.run(clear_thread(api, thread_id, page_size=2))
    assert [t.user_input.content[0].text for t in deleted] == [f"message {n}" for n in range(5)]  # type: ignore[union-attr]
    assert client.run(thread_turns(api, thread_id)) == []
    assert client.threads.get(thread_id).id == thread_id
    # A turn deleted meanwhile (404) is not an error.
    client.run(delete_turns(api, deleted[:1]))


def test_page_size_must_be_positive(client: ZylonClient) -> None:
    with pytest.raises(ValueError):
        client.run(paged(lambda q: client.api.thread_page("p", q), page_size=0))
