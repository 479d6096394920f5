"""One conversational turn, routed the way the contract says.

* ``thread_id`` set: ``POST /thread/{id}/interaction``; a ``Processing`` interaction is
  followed through ``GET /interaction/{id}/stream`` until it completes;
* else ``project_id`` set: ``POST /project/{id}/chat``;
* else ``POST /chat``.

:class:`TurnPlan` holds every decision (which call, what an answer means, when to cancel)
so the sync and async drivers in :mod:`zylon_core.client` only do the I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .checks import check_path_id, check_sampling
from .errors import APIError, ConfigurationError, InteractionFailedError
from .models import ChatRequest, CreateInteractionDTO, Interaction, MessageInput, MessageOutput, ProjectChatDTO, TextBlock
from .resources import Chat, Interactions
from .streaming import StreamAccumulator, StreamDelta, apply_stop_sequences, normalize_stop_reason
from .transport import Call

AGENTS = ("Default", "ProjectDeepResearch")


ROUTE_FIELDS = ("thread_id", "project_id", "artifact_ids", "all_artifacts", "agent")


@dataclass(frozen=True)
class Route:
    """Where a turn goes. Build with :meth:`create` (or :meth:`for_call`) to get the checks.

    Rejected, before any request (``ConfigurationError``, a ``ValueError``):

    * ids that are empty or could leave their URL path segment (``/``, ``?``, ``#``...);
    * ``agent`` other than ``"Default"`` without a ``thread_id`` (only interactions
      take an agent); ``artifact_ids`` / ``all_artifacts`` without a project or thread;
    * ``all_artifacts=True`` together with a non-empty ``artifact_ids`` (both cannot
      hold); ``artifact_ids`` given as one string instead of a list;
    * in :meth:`for_call`, a per-call ``project_id`` while the call goes to a thread.
    """

    thread_id: str | None = None
    project_id: str | None = None
    artifact_ids: tuple[str, ...] | None = None
    all_artifacts: bool | None = None
    agent: str | None = None

    @classmethod
    def create(
        cls,
        *,
        thread_id: str | None = None,
        project_id: str | None = None,
        artifact_ids: Iterable[str] | None = None,
        all_artifacts: bool | None = None,
        agent: str | None = None,
    ) -> "Route":
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
        """The route of one call: per-call values win over the configured ones.

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
        return cls.create(**values)

    @property
    def kind(self) -> str:
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
            deltas.append(StreamDelta("thinking", index, text=block.thinking))
        elif block.type == "tool_use":
            deltas.append(StreamDelta("tool_use", index, block={**wire, "input": {}}))
            deltas.append(StreamDelta("input_json", index, text=json.dumps(block.input), block=wire))
        elif block.type == "source":
            deltas.append(StreamDelta("source", index, block=wire))
        else:
            deltas.append(StreamDelta("block", index, block=wire))
    return deltas


@dataclass
class TurnPlan:
    """The decisions of one turn; the drivers feed it answers and events."""

    chat: Chat
    interactions: Interactions
    route: Route
    request: ChatRequest
    stream: bool
    stop: tuple[str, ...] = ()
    interaction: Interaction | None = None
    accumulator: StreamAccumulator = field(init=False)

    def __post_init__(self) -> None:
        # Out-of-range sampling fails here, before any request, whichever adapter built it.
        check_sampling({name: getattr(self.request, name, None) for name in ("temperature", "top_p", "min_p", "top_k", "max_tokens")})
        self.accumulator = StreamAccumulator(self.stop)
        update: dict[str, Any] = {"stream": True} if self.stream else {}
        if self.route.thread_id:
            turn = as_one_user_message(new_turn_messages(self.request.messages))
            if not turn:
                raise ValueError(
                    "nothing new to send to the thread: the last message is the assistant's; "
                    "add a user message (or tool results answering its tool calls)"
                )
            update["messages"] = turn
        if update:
            self.request = self.request.model_copy(update=update)

    def first_call(self) -> Call[Any]:
        route, request = self.route, self.request
        if route.thread_id:
            dto = CreateInteractionDTO(thread_id=route.thread_id, pgpt=request)
            for name in ("artifact_ids", "all_artifacts", "agent"):
                value = getattr(route, name)
                if value is not None:
                    setattr(dto, name, list(value) if name == "artifact_ids" else value)
            return self.interactions.create_call(route.thread_id, dto)
        if route.project_id:
            project = ProjectChatDTO(pgpt=request)
            if route.artifact_ids is not None:
                project.artifact_ids = list(route.artifact_ids)
            if route.all_artifacts is not None:
                project.all_artifacts = route.all_artifacts
            return self.chat.create_call(request, project, route.project_id)
        return self.chat.create_call(request)

    def on_created(self, interaction: Interaction) -> Call[Any] | None:
        """After creating an interaction: the stream to follow, or None if it is done."""
        self.interaction = interaction
        if interaction.state == "Error":
            output = interaction.assistant_output
            details = "; ".join(f"{e.type}: {e.message}" for e in (output.errors or ())) if output else ""
            raise InteractionFailedError(
                f"Zylon interaction {interaction.id} failed" + (f": {details}" if details else ""),
                interaction=interaction,
            )
        if interaction.state == "Processing":
            return self.interactions.stream_call(interaction.id)
        return None

    @property
    def needs_cancel(self) -> bool:
        """An interaction we stopped following before the server finished it."""
        return self.interaction is not None and self.interaction.state == "Processing" and not self.accumulator.stopped

    def cancel_call(self) -> Call[bool]:
        assert self.interaction is not None
        return self.interactions.cancel_call(self.interaction.id)

    def result(self, answer: MessageOutput | None = None) -> TurnResult:
        """The turn's outcome: from a complete answer, or from the accumulated stream."""
        if answer is None and self.interaction is not None and self.interaction.state == "Completed":
            answer = self.interaction.assistant_output or MessageOutput()
        if answer is None:
            message = self.accumulator.finish()
        else:
            message = apply_stop_sequences(answer, self.stop)
        return TurnResult(check_message(message), self.route, self.interaction)
