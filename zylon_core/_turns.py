"""One conversational turn, routed the way the contract says.

* ``api="gpt"``: ZylonGPT's ``POST /api/gpt/v1/messages`` (a Gateway token; the caller
  keeps the history, ``model`` is sent); background messages (``/messages/async``) are
  submitted with :func:`submit_plan` and read back with :func:`resume_plan`;
* ``thread_id`` set: ``POST /thread/{id}/interaction``; a ``Processing`` interaction is
  followed through ``GET /interaction/{id}/stream`` until it completes;
* else ``project_id`` set: ``POST /project/{id}/chat``, whose answer may be a message,
  an interaction (followed like a thread's) or a stream (read as it arrives when the
  caller streams, whole otherwise);
* else ``POST /chat``.

:func:`turn_plan` holds every decision (which call, what an answer means, when to
cancel) as a plan (:mod:`._plans`), so the clients' one sync and one async driver only
do the I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping

from ._api import Endpoints
from ._call import Call
from ._checks import check_path_id, check_sampling, check_user_content
from ._gpt_models import model_info
from ._operations import on_thread_route
from ._plans import Emit, Follow, Plan
from ._readers import ProjectChatAnswer, read_project_answer
from ._streaming import StreamAccumulator, StreamDelta, apply_stop_sequences, normalize_stop_reason
from .errors import APIError, ConfigurationError, InteractionFailedError, NotFoundError
from .models import (
    BackgroundMessage,
    ChatRequest,
    CreateInteractionDTO,
    Interaction,
    MessageInput,
    MessageOutput,
    ProjectChatDTO,
    TextBlock,
)

AGENTS = ("Default", "ProjectDeepResearch")

Api = Literal["workspace", "gpt"]
APIS: tuple[Api, ...] = ("workspace", "gpt")

ROUTE_FIELDS = ("thread_id", "project_id", "artifact_ids", "all_artifacts", "agent")


def check_api(api: Any) -> Api:
    """``"workspace"`` or ``"gpt"``; anything else is a ``ConfigurationError``."""
    if api not in APIS:
        raise ConfigurationError(f"api must be 'workspace' (the Workspace chat routes) or 'gpt' (ZylonGPT /api/gpt/v1/messages), got {api!r}")
    return api


@dataclass(frozen=True)
class Route:
    """Where a turn goes. Build with :meth:`create` (or :meth:`for_call`) to get the checks.

    Rejected, before any request (``ConfigurationError``, a ``ValueError``):

    * ids that are empty or could leave their URL path segment (``/``, ``?``, ``#``...);
    * ``agent`` other than ``"Default"`` without a ``thread_id`` (only interactions
      take an agent); ``artifact_ids`` / ``all_artifacts`` without a project or thread;
    * ``all_artifacts=True`` together with a non-empty ``artifact_ids`` (both cannot
      hold); ``artifact_ids`` given as one string instead of a list;
    * in :meth:`for_call`, a per-call ``project_id`` while the call goes to a thread;
    * with ``api="gpt"``, any of ``thread_id``, ``project_id``, ``artifact_ids``,
      ``all_artifacts``, ``agent``: they belong to the Workspace (ZylonGPT has no
      threads or projects; its built-in tools are scoped by ``tool_context``).
    """

    thread_id: str | None = None
    project_id: str | None = None
    artifact_ids: tuple[str, ...] | None = None
    all_artifacts: bool | None = None
    agent: str | None = None
    api: Api = "workspace"

    @classmethod
    def create(
        cls,
        *,
        thread_id: str | None = None,
        project_id: str | None = None,
        artifact_ids: Iterable[str] | None = None,
        all_artifacts: bool | None = None,
        agent: str | None = None,
        api: Api = "workspace",
    ) -> "Route":
        if check_api(api) == "gpt":
            given: dict[str, Any] = {"thread_id": thread_id, "project_id": project_id, "artifact_ids": artifact_ids}
            given.update(all_artifacts=all_artifacts, agent=agent)
            named = [name for name, value in given.items() if value is not None]
            if named:
                raise ConfigurationError(
                    f"{', '.join(named)} {'belongs' if len(named) == 1 else 'belong'} to the Workspace API "
                    "(threads, projects and their artifacts); "
                    "api='gpt' sends the turn to ZylonGPT's /api/gpt/v1/messages, which has none of them: "
                    "use api='workspace' for them, or scope ZylonGPT's built-in tools with tool_context"
                )
            return cls(api="gpt")
        if thread_id is not None:
            check_path_id("thread_id", thread_id)
        if project_id is not None:
            check_path_id("project_id", project_id)
        if agent is not None and agent not in AGENTS:
            raise ConfigurationError(f"agent must be one of {', '.join(AGENTS)}; got {agent!r}")
        if isinstance(artifact_ids, (str, bytes)):
            raise ConfigurationError(f"artifact_ids must be a list of ids, got the string {artifact_ids!r}")
        ids = tuple(artifact_ids) if artifact_ids is not None else None
        if ids is not None and not all(isinstance(i, str) and i for i in ids):
            raise ConfigurationError(f"artifact_ids must be non-empty strings, got {list(ids)!r}")
        if ids and all_artifacts:
            raise ConfigurationError(
                "all_artifacts=True and artifact_ids contradict each other: pass the ids to use, "
                "or all_artifacts=True without ids"
            )
        if thread_id is None and project_id is None:
            if ids or all_artifacts:
                raise ConfigurationError(
                    "artifact_ids / all_artifacts need a project_id or thread_id: one-shot chat "
                    "(no project) has no artifacts to use"
                )
            if agent not in (None, "Default"):
                raise ConfigurationError(f"agent={agent!r} needs a thread_id (only interactions take an agent)")
        return cls(thread_id, project_id, ids, all_artifacts, agent)

    @classmethod
    def for_call(cls, configured: Mapping[str, Any], per_call: Mapping[str, Any]) -> "Route":
        """The route of one call: per-call values win over the configured ones (the API,
        ``configured["api"]``, is not chosen per call).

        A per-call ``project_id`` (other than the configured one) while the call goes
        to a thread is an error: a thread belongs to one project and the interaction
        would silently ignore it, answering from another context than the caller asked
        for. Pass ``thread_id=None`` with it to chat in that project instead.
        """
        values = {name: per_call[name] if name in per_call else configured.get(name) for name in ROUTE_FIELDS}
        project = per_call.get("project_id")
        if values["thread_id"] is not None and project is not None and project != configured.get("project_id"):
            raise ConfigurationError(
                f"project_id={project!r} was passed for this call, but the call goes to thread "
                f"{values['thread_id']!r}, which Zylon answers within its own project (project_id would be "
                "ignored); pass thread_id=None to chat in that project, or leave project_id out"
            )
        return cls.create(**values, api=configured.get("api") or "workspace")

    @property
    def kind(self) -> str:
        if self.api == "gpt":
            return "gpt"
        return "thread" if self.thread_id else "project" if self.project_id else "chat"


@dataclass
class TurnResult:
    message: MessageOutput
    route: Route
    interaction: Interaction | None = None

    @property
    def interaction_id(self) -> str | None:
        return self.interaction.id if self.interaction else None

    @property
    def thread_id(self) -> str | None:
        """The thread the turn went to (None outside thread mode, even if the server
        filed a project chat's interaction under a thread)."""
        if self.route.thread_id is None:
            return None
        if self.interaction is not None and self.interaction.thread_id:
            return self.interaction.thread_id
        return self.route.thread_id

    @property
    def stop_reason(self) -> str | None:
        return normalize_stop_reason(self.message.stop_reason)


def new_turn_messages(messages: list[MessageInput]) -> list[MessageInput]:
    """In thread mode the server holds the history: send only what follows the last
    assistant message (the new user message, or the tool results answering its calls)."""
    for position in range(len(messages) - 1, -1, -1):
        if messages[position].role == "assistant":
            return messages[position + 1 :]
    return messages


def as_one_user_message(messages: list[MessageInput]) -> list[MessageInput]:
    """The user side of a thread turn (user text, media, tool results) as ONE ``user``
    message: an interaction stores a single ``user_input``, so a turn sent as several
    messages would keep only part of itself in the thread's history."""
    if len(messages) < 2 or any(m.role not in ("user", "tool") for m in messages):
        return messages
    content: list[Any] = []
    for message in messages:
        if isinstance(message.content, str):
            content.extend([TextBlock(text=message.content)] if message.content else [])
        else:
            content.extend(message.content)
    return [MessageInput(role="user", content=content)]


def check_message(message: MessageOutput) -> MessageOutput:
    """A message the server marked as failed is an error, not a short answer."""
    reason = normalize_stop_reason(message.stop_reason)
    if reason in ("error", "cancelled"):
        details = "; ".join(f"{e.type}: {e.message}" for e in message.errors or ()) or "no details"
        raise APIError(f"Zylon answer ended with stop_reason={message.stop_reason!r}: {details}")
    return message


def deltas_from_message(message: MessageOutput) -> list[StreamDelta]:
    """The deltas a stream of an already complete message would have produced."""
    deltas: list[StreamDelta] = []
    for index, block in enumerate(message.content):
        wire = block.to_json_dict()
        if block.type == "text":
            deltas.append(StreamDelta("text", index, text=block.text, citations=wire.get("citations")))
        elif block.type == "thinking":
            signature = wire.get("signature")
            deltas.append(StreamDelta("thinking", index, text=block.thinking, block={"signature": signature} if signature else None))
        elif block.type in ("tool_use", "server_tool_use"):
            # The same kinds a stream gives: a server tool is never mistaken for a client call.
            json_kind = "input_json" if block.type == "tool_use" else "server_input_json"
            deltas.append(StreamDelta(block.type, index, block={**wire, "input": {}}))
            deltas.append(StreamDelta(json_kind, index, text=json.dumps(wire.get("input") or {}), block=wire))
        elif block.type == "source":
            deltas.append(StreamDelta("source", index, block=wire))
        else:
            deltas.append(StreamDelta("block", index, block=wire))
    return deltas


def prepare_request(route: Route, request: ChatRequest, *, stream: bool) -> ChatRequest:
    """The request as sent: ``stream`` set, and in a thread only the new turn, as one
    user message. Out-of-range sampling, an empty user message and an empty thread turn
    are a ``ValueError``."""
    check_sampling({name: getattr(request, name, None) for name in ("temperature", "top_p", "min_p", "top_k", "max_tokens")})
    check_user_content(request.messages)
    update: dict[str, Any] = {"stream": True} if stream else {}
    if route.thread_id:
        turn = as_one_user_message(new_turn_messages(request.messages))
        if not turn:
            raise ValueError(
                "nothing new to send to the thread: the last message is the assistant's; "
                "add a user message (or tool results answering its tool calls)"
            )
        update["messages"] = turn
    return request.model_copy(update=update) if update else request


def turn_plan(
    api: Endpoints,
    route: Route,
    request: ChatRequest,
    *,
    stream: bool,
    stop: Iterable[str] = (),
    accumulator: StreamAccumulator | None = None,
) -> Plan[TurnResult]:
    """One turn, routed; returns its :class:`TurnResult`. With ``stream`` the answer is
    followed as events (its deltas go to the consumer).

    An interaction (a thread's, or the documented shape of a project chat's answer)
    that comes back ``Processing`` is always followed through its stream, and cancelled
    on the server if the caller stops reading (or the stream fails) before it finished;
    ``Completed`` without an answer is read once more (``GET /interaction/{id}``) and is
    an ``APIError`` if it still has none; ``Error`` is an ``InteractionFailedError``. A
    thread call answered 404 may be sent once on the pre-1.50 path layout (see
    :func:`._operations.on_thread_route`). On ZylonGPT (``route.api == "gpt"``) a turn
    asking for an ``effort`` its model's card does not list is a ``ValueError`` (the
    card is read once per client, see :func:`._gpt_models.model_info`). ``accumulator``:
    the one to read the answer's events with (made with ``stop`` when not given)."""
    request = prepare_request(route, request, stream=stream)
    stops = tuple(stop)
    if accumulator is None:
        accumulator = StreamAccumulator(stops)

    if route.thread_id:
        thread_id, project_id = route.thread_id, route.project_id
        dto = _interaction_dto(route, request)
        interaction: Interaction = yield from on_thread_route(
            api, project_id, lambda legacy: api.interaction_create(thread_id, dto, project_id, legacy=legacy)
        )
        interaction, message = yield from _interaction_answer(api, route, interaction, accumulator, stream, stops)
        return TurnResult(check_message(message), route, interaction)

    if not route.project_id:  # one-shot: the Workspace's /chat, or ZylonGPT's /messages
        if route.api == "gpt":
            yield from _check_effort(api, request)
            call = api.messages(request)
        else:
            call = api.chat(request)
        if stream:
            yield Follow(call, accumulator)
            return TurnResult(check_message(accumulator.finish()), route)
        message = yield call
        return TurnResult(check_message(apply_stop_sequences(message, stops)), route)

    project_call = _project_call(api, route, request)
    if stream:
        # Streamed as it arrives when the server streams; a JSON answer (an interaction,
        # a whole message) is read instead and handled below. One request either way.
        answer = yield Follow(project_call, accumulator, otherwise=read_project_answer)
        if answer is None:
            return TurnResult(check_message(accumulator.finish()), route)
    else:
        answer = yield project_call
    if isinstance(answer, Interaction):
        interaction, message = yield from _interaction_answer(api, route, answer, accumulator, stream, stops)
        return TurnResult(check_message(message), route, interaction)
    if isinstance(answer, list):  # the events of a stream, read whole
        for event in answer:
            delta = accumulator.feed(event)
            if stream and delta is not None:
                yield Emit(delta)
            if accumulator.done:
                break
        tail = accumulator.flush()
        if stream and tail is not None:
            yield Emit(tail)
        return TurnResult(check_message(accumulator.finish()), route)
    message = apply_stop_sequences(answer, stops)
    if stream:
        for delta in deltas_from_message(message):
            yield Emit(delta)
    return TurnResult(check_message(message), route)


def _failed(interaction: Interaction) -> InteractionFailedError:
    output = interaction.assistant_output
    details = "; ".join(f"{e.type}: {e.message}" for e in (output.errors or ())) if output else ""
    return InteractionFailedError(
        f"Zylon interaction {interaction.id} failed" + (f": {details}" if details else ""), interaction=interaction
    )


def _interaction_answer(
    api: Endpoints,
    route: Route,
    interaction: Interaction,
    accumulator: StreamAccumulator,
    stream: bool,
    stops: tuple[str, ...],
) -> Plan[tuple[Interaction, MessageOutput]]:
    """The answer of an interaction however it came back (see :func:`turn_plan`)."""
    project_id = route.project_id
    if interaction.state == "Error":
        raise _failed(interaction)
    if interaction.state == "Processing":
        try:
            yield Follow(api.interaction_stream(interaction.id, project_id), accumulator)
        except BaseException:
            if not accumulator.stopped:  # we leave it unfinished: tell the server to stop
                try:
                    yield api.interaction_cancel(interaction.id, project_id)
                except APIError:
                    pass
            raise
        return interaction, accumulator.finish()
    if interaction.assistant_output is None:
        try:
            fetched: Interaction = yield api.interaction_get(interaction.id, project_id)
        except NotFoundError as exc:
            raise APIError(
                f"Zylon answered interaction {interaction.id} as {interaction.state} without an answer "
                f"(assistant_output), and reading it back found no such interaction: {exc.message}"
            ) from exc
        if fetched.state != "Completed":
            return (yield from _interaction_answer(api, route, fetched, accumulator, stream, stops))
        if fetched.assistant_output is None:
            raise APIError(
                f"Zylon answered interaction {interaction.id} as Completed without an answer (assistant_output), "
                "also when read back with GET /interaction/{id}"
            )
        interaction = fetched
    assert interaction.assistant_output is not None
    message = apply_stop_sequences(interaction.assistant_output, stops)
    if stream:  # the server finished it already: its deltas, as a stream would give them
        for delta in deltas_from_message(message):
            yield Emit(delta)
    return interaction, message


def _project_call(api: Endpoints, route: Route, request: ChatRequest) -> Call[ProjectChatAnswer]:
    assert route.project_id is not None
    project = ProjectChatDTO(pgpt=request)
    if route.artifact_ids is not None:
        project.artifact_ids = list(route.artifact_ids)
    if route.all_artifacts is not None:
        project.all_artifacts = route.all_artifacts
    return api.project_chat(route.project_id, project)


def _interaction_dto(route: Route, request: ChatRequest) -> CreateInteractionDTO:
    dto = CreateInteractionDTO(thread_id=route.thread_id, pgpt=request)
    if route.artifact_ids is not None:
        dto.artifact_ids = list(route.artifact_ids)
    if route.all_artifacts is not None:
        dto.all_artifacts = route.all_artifacts
    if route.agent is not None:
        dto.agent = route.agent  # type: ignore[assignment]
    return dto


# -- ZylonGPT -------------------------------------------------------------------------------


def _check_effort(api: Endpoints, request: ChatRequest) -> Plan[None]:
    """An ``output_config.effort`` the model's card does not list is a ``ValueError``
    before the turn is sent (nothing is checked when the card is unknown)."""
    effort = request.output_config.effort if request.output_config else None
    if effort is None:
        return
    card = yield from model_info(api, request.model, quiet=True)
    if card is not None and effort not in card.effort_levels:
        levels = ", ".join(card.effort_levels) or "none"
        raise ValueError(f"model {card.id!r} does not take effort={effort!r} (its levels: {levels}); leave effort unset or pick one of them")


def submit_plan(api: Endpoints, route: Route, request: ChatRequest, message_id: str | None = None) -> Plan[BackgroundMessage]:
    """``POST /api/gpt/v1/messages/async``: the turn, run by the server in the
    background; its ``message_id`` (``message_id`` if given) is what
    :func:`resume_plan` takes, from this process or another. ``api="gpt"`` routes only
    (``ConfigurationError`` otherwise)."""
    if route.api != "gpt":
        raise ConfigurationError("background messages are ZylonGPT's (/api/gpt/v1/messages/async): they need api='gpt'")
    request = prepare_request(route, request, stream=False)
    yield from _check_effort(api, request)
    created: BackgroundMessage = yield api.background_create(request, message_id)
    return created


def resume_plan(
    api: Endpoints, message_id: str, *, stop: Iterable[str] = (), accumulator: StreamAccumulator | None = None
) -> Plan[TurnResult]:
    """A background message's answer, read through ``GET .../async/{id}/stream`` by the
    same accumulator as any stream. The server replays the whole stream from its first
    event (also once finished), so resuming always gives the complete answer; a stream
    ending in an ``error`` event raises ``ServerStreamError``; an unknown or deleted id
    is a ``NotFoundError``. ``stop``: stop sequences the client applies (``accumulator``:
    as in :func:`turn_plan`)."""
    if accumulator is None:
        accumulator = StreamAccumulator(tuple(stop))
    yield Follow(api.background_stream(message_id), accumulator)
    return TurnResult(check_message(accumulator.finish()), Route(api="gpt"))
