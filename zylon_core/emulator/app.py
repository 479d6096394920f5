"""The emulator's ASGI app (Starlette): Workspace and ZylonGPT routes over one state.

Workspace routes live under ``/api/v1/app`` and need ``Authorization: Bearer <token>``
and ``x-org``; ZylonGPT routes live under ``/api/gpt/v1`` and need a bearer token or
``x-api-key`` (so Anthropic clients can call ``/messages``), no ``x-org``. A missing
header is a 401 naming it; an invalid body a 400 naming every bad field; an unknown id
a 404; cancelling a finished interaction a 409. Every request is recorded (without its
``authorization``/``x-api-key`` headers) in ``state.requests``.

Interactions: without ``pgpt.stream`` (and without the ``always_processing`` option)
the answer is computed at once and the interaction is created ``Completed``. Otherwise
it is created ``Processing`` with its answer pending, and ``GET /interaction/{id}/stream``
delivers it; the interaction becomes ``Completed`` just before the stream's last
events are written. ``POST /interaction/{id}/cancel`` on a ``Processing`` interaction
answers 204 once the interaction is stored ``Completed`` with ``stop_reason:
"cancelled"``: a running stream stops at its next event (closing the open block, then
``message_delta`` with that stop reason and ``message_stop``) and the partial answer it
wrote is stored; with no stream running, what earlier streams wrote (often nothing) is
stored. A stream of a finished interaction replays its answer.

Artifacts: a ``Document`` is created from JSON (``raw_content``) or multipart (the file
in ``fileData``, its content type kept in ``props.content_type``); an ``InlineText``
from ``props.content``. Its text is chunked into the collection named after the project
id once ``ingest_status`` is ``Done``: at once, or after ``ingest_reads`` reads of the
artifact (it is ``Processing`` until then). A ``Document`` with no text fails ingestion
(``state``/``ingest_status`` ``Error``, ``error: NoValidNodes``). Deleting an artifact
removes its chunks. Chunk search, Workspace search and the built-in search tools then
rank those chunks deterministically (see :mod:`.state`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import math
import re
import time
from datetime import datetime, timezone
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from . import engine as engine_module
from .engine import EngineInput, EngineOutput, generate, normalize_messages
from .options import EmulatorOptions
from .sse import Stream, build_events, closing_events, encode_all
from .state import Artifact, EmulatorState, Hit, InteractionRecord, Project, Thread, now_iso, terms, cosine, term_vector
from .errors import ApiError, error, invalid, not_found
from .schemas import (
    ChatRequest,
    CreateArtifactBody,
    CreateInteractionDTO,
    CreateProjectBody,
    CreateThreadDTO,
    DeleteIngestedBody,
    EmbeddingsBody,
    IngestBody,
    ProjectChatDTO,
    SemanticSearch,
    UpdateArtifactBody,
    UpdateProjectBody,
    UpdateThreadDTO,
)
from .validation import check_chat, parse_body, parse_chat, validation_report

logger = logging.getLogger("zylon_core.emulator")

WORKSPACE = "/api/v1/app"
GPT = "/api/gpt/v1"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_BATCH = 256  # events per write when there is no stream_delay
_SEARCH_TYPES = ("Project", "Artifact", "Thread", "Interaction", "ArtifactContent")


class Context:
    """One request: the Starlette request, its decoded JSON body and raw bytes."""

    def __init__(self, request: Request, body: Any, raw: bytes) -> None:
        self.request = request
        self.body = body
        self.raw = raw

    def param(self, name: str) -> str:
        return self.request.path_params[name]

    def query(self, name: str, default: str | None = None) -> str | None:
        return self.request.query_params.get(name, default)


Handler = Callable[[Context], Awaitable[Any]]


def _stamp() -> int:
    return int(time.time())


def _deadline(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def hashed_embedding(text: str, dim: int) -> list[float]:
    """A deterministic unit vector: signed hashing of the text's content words."""
    words = terms(text) or re.findall(r"\w+", text.lower())
    vector = [0.0] * dim
    for word in words:
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "little") % dim] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [round(v / norm, 6) for v in vector] if norm else vector


class Emulator:
    """The routes' logic over one :class:`EmulatorState`."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.options = options
        self.state = EmulatorState(chunk_words=options.chunk_words)

    # -- plumbing ------------------------------------------------------------------------------

    def wrap(self, handler: Handler, area: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            body: Any = None
            bad_json = False
            if raw and "multipart/form-data" not in request.headers.get("content-type", ""):
                try:
                    body = json.loads(raw)
                except ValueError:
                    bad_json = True
            self.record(request, body)
            try:
                self.authenticate(request, area)
                if bad_json:
                    raise ApiError(400, "request body is not valid JSON", [error("", "not valid JSON")])
                result = await handler(Context(request, body, raw))
            except ApiError as exc:
                return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
            except Exception as exc:  # a bug in the emulator: say so, do not hang
                logger.exception("emulator error on %s %s", request.method, request.url.path)
                return JSONResponse({"message": f"emulator error: {type(exc).__name__}: {exc}"}, status_code=500)
            if isinstance(result, Response):
                return result
            return JSONResponse(result)

        return endpoint

    def record(self, request: Request, body: Any) -> None:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("authorization", "x-api-key")}
        self.state.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "headers": headers,
                "json": body,
            }
        )

    def authenticate(self, request: Request, area: str) -> None:
        if area == "open":
            return
        problems = []
        authorization = request.headers.get("authorization", "")
        bearer = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        token = bearer or (request.headers.get("x-api-key", "").strip() if area == "gpt" else "")
        if not token:
            wanted = "Authorization: Bearer <token>" + (" (or x-api-key)" if area == "gpt" else "")
            problems.append(error("header.Authorization", f"missing {wanted} header"))
        elif self.options.token is not None and token != self.options.token:
            problems.append(error("header.Authorization", "invalid API token"))
        if area == "workspace" and not request.headers.get("x-org", "").strip():
            problems.append(error("header.x-org", "missing x-org header (the organization slug or id, e.g. 'default')"))
        if problems:
            raise ApiError(401, "unauthorized: " + "; ".join(p["message"] for p in problems), problems)

    def page(self, ctx: Context, items: list[Any], render: Callable[[Any], Any]) -> dict[str, Any]:
        numbers = {}
        for name, default in (("page", 1), ("page_size", 20)):
            raw = ctx.query(name)
            try:
                value = int(float(raw)) if raw is not None else default
            except ValueError:
                raise invalid([error(name, f"must be a positive integer, got {raw!r}")]) from None
            if value < 1 or (name == "page_size" and value > self.options.max_page_size):
                limit = f" and <= {self.options.max_page_size}" if name == "page_size" else ""
                raise invalid([error(name, f"must be >= 1{limit}, got {value}")])
            numbers[name] = value
        size, number = numbers["page_size"], numbers["page"]
        start = (number - 1) * size
        return {
            "data": [render(item) for item in items[start : start + size]],
            "has_next_page": start + size < len(items),
            "has_previous_page": number > 1 and len(items) > 0,
            "total_count": len(items),
        }

    def styled(self, stop_reason: str) -> str:
        if self.options.stop_reason_style == "workspace" and stop_reason not in ("error", "cancelled"):
            return "stop"
        return stop_reason

    # -- lookups -----------------------------------------------------------------------------------

    def project(self, project_id: str) -> Project:
        project = self.state.projects.get(project_id)
        if project is None:
            raise not_found("project", project_id)
        return project

    def thread(self, thread_id: str) -> Thread:
        thread = self.state.threads.get(thread_id)
        if thread is None:
            raise not_found("thread", thread_id)
        return thread

    def interaction(self, interaction_id: str) -> InteractionRecord:
        record = self.state.interactions.get(interaction_id)
        if record is None:
            raise not_found("interaction", interaction_id)
        return record

    def artifact(self, project_id: str, artifact_id: str) -> Artifact:
        artifact = self.state.artifacts.get(artifact_id)
        if artifact is None or artifact.project_id != project_id:
            raise not_found("artifact", artifact_id)
        return artifact

    # -- the engine, scoped --------------------------------------------------------------------

    def workspace_scope(
        self, project_id: str | None, artifact_ids: list[str] | None, all_artifacts: bool | None, field: str
    ) -> tuple[Any, Any, Any]:
        """(search, tool_search, list_files) for a Workspace request."""
        if project_id is None:
            return None, None, None
        state = self.state
        if artifact_ids:
            for position, artifact_id in enumerate(artifact_ids):
                if artifact_id not in state.artifacts or state.artifacts[artifact_id].project_id != project_id:
                    raise ApiError(
                        404,
                        f"artifact {artifact_id!r} not found in project {project_id!r}",
                        [error(f"{field}[{position}]", "no such artifact in this project")],
                    )
        ids = list(artifact_ids) if artifact_ids else None

        def project_search(query: str, limit: int) -> list[Hit]:
            return state.search(query, collections=[project_id], limit=limit, positive_only=True)

        def scoped_search(query: str, limit: int) -> list[Hit]:
            return state.search(query, collections=[project_id], artifacts=ids, limit=limit, positive_only=True)

        def list_files() -> list[str]:
            return [str(a.data.get("name")) for a in state.project_artifacts(project_id) if a.data.get("type") not in ("Folder",)]

        search = scoped_search if (ids or all_artifacts) else None
        return search, (search or project_search), list_files

    def engine_input(
        self,
        request: ChatRequest,
        history: list[dict[str, Any]],
        *,
        seed: str,
        scope: tuple[Any, Any, Any] = (None, None, None),
        in_thread: bool = False,
        turn: int | None = None,
    ) -> EngineInput:
        wire = request.wire()
        new = wire.get("messages") or []
        system_parts = [request.system.text] if request.system and request.system.text else []
        for message in new:
            if message.get("role") == "system":
                system_parts.append(engine_module.text_of(normalize_messages([message])[0]))
        messages = normalize_messages(history + [m for m in new if m.get("role") != "system"])
        if turn is None:
            turn = max(1, sum(1 for m in messages if m["role"] == "user" and any(b.get("type") != "tool_result" for b in m["content"])))
        citations = request.system.citations if request.system else None
        search, tool_search, list_files = scope
        return EngineInput(
            messages=messages,
            system=" ".join(p for p in system_parts if p),
            tools=wire.get("tools") or [],
            tool_choice=wire.get("tool_choice"),
            response_format=wire.get("response_format"),
            thinking=bool(request.thinking and request.thinking.enabled),
            citations=bool(citations and citations.enabled),
            max_tokens=request.max_tokens,
            search=search,
            tool_search=tool_search,
            list_files=list_files,
            turn=turn,
            in_thread=in_thread,
            id_seed=seed,
        )

    def workspace_message(self, message_id: str, output: EngineOutput) -> dict[str, Any]:
        return {
            "id": message_id,
            "role": "assistant",
            "created": _stamp(),
            "model": self.options.model_name or "default",
            "stop_reason": self.styled(output.stop_reason),
            "content": output.content,
            "usage": output.usage,
        }

    @staticmethod
    def envelope(message: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if k not in ("content", "usage", "stop_reason")}

    def message_events(self, message: dict[str, Any], shape: str, pieces: dict[int, list[str]] | None = None) -> Stream:
        envelope = self.envelope(message)
        if "stop_sequence" in message:
            envelope["stop_reason"] = None
        return build_events(
            envelope,
            message.get("content") or [],
            message.get("stop_reason"),
            message.get("usage"),
            shape=shape,
            pieces=pieces,
            ping=self.options.ping,
        )

    def sse(self, events: list[dict[str, Any]]) -> StreamingResponse:
        delay = self.options.stream_delay

        async def body() -> Any:
            if delay <= 0:
                for start in range(0, len(events), _BATCH):
                    yield encode_all(events[start : start + _BATCH])
                return
            for position, event in enumerate(events):
                yield encode_all([event])
                if position + 1 < len(events):
                    await asyncio.sleep(delay)

        return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)

    # -- Workspace: chat -------------------------------------------------------------------------

    async def chat(self, ctx: Context) -> Any:
        request = parse_chat(ctx.body)
        return self.answer_chat(request, (None, None, None))

    def answer_chat(self, request: ChatRequest, scope: tuple[Any, Any, Any]) -> Any:
        message_id = self.state.new_id("msg")
        output = generate(self.engine_input(request, [], seed=message_id, scope=scope))
        message = self.workspace_message(message_id, output)
        if request.stream:
            return self.sse(self.message_events(message, self.options.stream_shape, output.pieces).events)
        return message

    async def chat_validate(self, ctx: Context) -> Any:
        return validation_report(ctx.body, parse_chat)

    async def project_chat(self, ctx: Context) -> Any:
        project = self.project(ctx.param("project_id"))
        dto = parse_body(ProjectChatDTO, ctx.body, chat_at="pgpt")
        errors = check_chat(dto.pgpt, "pgpt")
        if errors:
            raise invalid(errors)
        scope = self.workspace_scope(project.id, dto.artifact_ids, dto.all_artifacts, "artifact_ids")
        return self.answer_chat(dto.pgpt, scope)

    # -- Workspace: projects -------------------------------------------------------------------

    async def create_project(self, ctx: Context) -> Any:
        body = parse_body(CreateProjectBody, ctx.body)
        project_id = self.state.new_id("proj")
        data: dict[str, Any] = {"id": project_id, "name": body.name}
        if body.goal is not None:
            data["goal"] = body.goal
        if body.deadline is not None:
            data["deadline"] = _deadline(body.deadline)
        data.update(
            visibility=body.visibility or "Private",
            member_count=1,
            default_member_role="Editor",
            default_role_enabled=True,
            is_pinned=False,
        )
        self.state.projects[project_id] = Project(project_id, data)
        return data

    async def list_projects(self, ctx: Context) -> Any:
        return self.page(ctx, list(self.state.projects.values()), lambda p: p.data)

    async def get_project(self, ctx: Context) -> Any:
        return self.project(ctx.param("project_id")).data

    async def update_project(self, ctx: Context) -> Any:
        project = self.project(ctx.param("project_id"))
        body = parse_body(UpdateProjectBody, ctx.body)
        for key, value in body.model_dump(exclude_unset=True).items():
            project.data[key] = _deadline(value) if key == "deadline" else value
        return project.data

    async def delete_project(self, ctx: Context) -> Any:
        project = self.project(ctx.param("project_id"))
        self.state.delete_project(project.id)
        return project.data

    # -- Workspace: threads -------------------------------------------------------------------------

    async def create_thread(self, ctx: Context) -> Any:
        project = self.project(ctx.param("project_id"))
        dto = parse_body(CreateThreadDTO, ctx.body)
        thread = Thread(self.state.new_id("thread"), project.id, dto.name, dto.visibility, now_iso())
        self.state.threads[thread.id] = thread
        return thread.to_json()

    async def list_threads(self, ctx: Context) -> Any:
        project = self.project(ctx.param("project_id"))
        threads = [t for t in self.state.threads.values() if t.project_id == project.id]
        if (ctx.query("page_order") or "ASC").upper() == "DESC":
            threads.reverse()
        return self.page(ctx, threads, lambda t: t.to_json())

    async def get_thread(self, ctx: Context) -> Any:
        return self.thread(ctx.param("thread_id")).to_json()

    async def update_thread(self, ctx: Context) -> Any:
        thread = self.thread(ctx.param("thread_id"))
        dto = parse_body(UpdateThreadDTO, ctx.body)
        if dto.name is not None:
            thread.name = dto.name
        if dto.visibility is not None:
            thread.visibility = dto.visibility
        return thread.to_json()

    async def delete_thread(self, ctx: Context) -> Any:
        thread = self.thread(ctx.param("thread_id"))
        self.state.delete_thread(thread.id)
        return thread.to_json(state="Deleted")

    # -- Workspace: interactions ----------------------------------------------------------------

    async def create_interaction(self, ctx: Context) -> Any:
        thread = self.thread(ctx.param("thread_id"))
        dto = parse_body(CreateInteractionDTO, ctx.body, chat_at="pgpt")
        if dto.pgpt is None:
            raise invalid([error("pgpt", "required: the chat request of this turn")])
        errors = check_chat(dto.pgpt, "pgpt")
        if dto.thread_id is not None and dto.thread_id != thread.id:
            errors.append(error("thread_id", f"{dto.thread_id!r} does not match the thread in the path ({thread.id!r})"))
        if errors:
            raise invalid(errors)
        scope = self.workspace_scope(thread.project_id, dto.artifact_ids, dto.all_artifacts, "artifact_ids")
        record_id = self.state.new_id("inter")
        message_id = self.state.new_id("msg")
        history = self.state.thread_history(thread.id)
        request = dto.pgpt
        output = generate(
            self.engine_input(
                request, history, seed=message_id, scope=scope, in_thread=True, turn=len(thread.interactions) + 1
            )
        )
        wire_messages = request.wire().get("messages") or []
        turn_messages = [m for m in wire_messages if m.get("role") != "system"] or wire_messages
        user_input = normalize_messages([turn_messages[-1]])[0]
        record = InteractionRecord(
            id=record_id,
            thread_id=thread.id,
            project_id=thread.project_id,
            created_at=now_iso(),
            messages=normalize_messages(wire_messages),
            user_input=user_input,
            artifact_ids=dto.artifact_ids,
            all_artifacts=dto.all_artifacts,
        )
        message = self.workspace_message(message_id, output)
        if request.stream or self.options.always_processing:
            record.pending_output = message
            record.pending_pieces = output.pieces
        else:
            record.state = "Completed"
            record.assistant_output = message
        self.state.interactions[record.id] = record
        thread.interactions.append(record.id)
        return JSONResponse(record.to_json(), status_code=201)

    async def list_interactions(self, ctx: Context) -> Any:
        thread = self.thread(ctx.param("thread_id"))
        records = [self.state.interactions[i] for i in thread.interactions if i in self.state.interactions]
        return self.page(ctx, records, lambda r: r.to_json())

    async def get_interaction(self, ctx: Context) -> Any:
        return self.interaction(ctx.param("interaction_id")).to_json()

    async def delete_interaction(self, ctx: Context) -> Any:
        record = self.interaction(ctx.param("interaction_id"))
        record.cancel_requested = True  # a running stream stops
        self.state.delete_interaction(record.id)
        return record.to_json()

    async def cancel_interaction(self, ctx: Context) -> Any:
        record = self.interaction(ctx.param("interaction_id"))
        if record.state != "Processing":
            raise ApiError(409, f"interaction {record.id!r} is already {record.state}: nothing to cancel")
        record.cancel_requested = True
        if record.streams > 0:
            # A running stream stops at its next event and stores the partial answer.
            # Wait for it, so that once this answers the interaction reads Completed; a
            # stream whose client went away may never get there: then finish it here.
            deadline = time.monotonic() + self.options.stream_delay + 0.5
            while record.state == "Processing" and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
        if record.state == "Processing":
            self.finish_cancelled(record, self.pending_stream(record), record.sent_count)
        return Response(status_code=204)

    def pending_stream(self, record: InteractionRecord) -> Stream:
        """The stream of the answer a ``Processing`` interaction has pending (the same every
        time, so several streams and a cancel agree on what event N carries)."""
        return self.message_events(record.pending_output or {}, self.options.stream_shape, record.pending_pieces)

    def finish_cancelled(self, record: InteractionRecord, stream: Stream, sent: int) -> None:
        """Store what the first ``sent`` events of ``stream`` delivered as the cancelled answer."""
        if record.state != "Processing":
            return
        pending = record.pending_output or {}
        content = stream.content_sent(sent)
        usage = dict(pending.get("usage") or {})
        usage["output_tokens"] = sum(engine_module.block_words(b) for b in content if b.get("type") != "source")
        record.assistant_output = {
            **self.envelope(pending),
            "stop_reason": "cancelled",
            "content": content,
            "usage": usage,
        }
        record.pending_output = None
        record.state = "Completed"

    def finish_completed(self, record: InteractionRecord) -> None:
        if record.state == "Processing" and record.pending_output is not None:
            record.assistant_output = record.pending_output
            record.pending_output = None
            record.state = "Completed"

    async def stream_interaction(self, ctx: Context) -> Any:
        record = self.interaction(ctx.param("interaction_id"))
        shape = self.options.stream_shape
        if record.state != "Processing":
            return self.sse(self.message_events(record.assistant_output or {"id": record.id, "content": []}, shape).events)
        stream = self.pending_stream(record)
        events = stream.events
        delay = self.options.stream_delay

        async def body() -> Any:
            record.streams += 1
            sent: list[dict[str, Any]] = []
            try:
                position = 0
                while position < len(events):
                    if record.cancel_requested:
                        tail = closing_events(sent, "cancelled", shape)
                        self.finish_cancelled(record, stream, len(sent))
                        yield encode_all(tail)
                        return
                    step = events[position : position + (1 if delay > 0 else _BATCH)]
                    position += len(step)
                    if position >= len(events):
                        self.finish_completed(record)  # before the client can read message_stop
                    sent.extend(step)
                    record.sent_count = max(record.sent_count, len(sent))
                    yield encode_all(step)
                    if delay > 0 and position < len(events):
                        await asyncio.sleep(delay)
            finally:
                record.streams -= 1

        return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)

    # -- Workspace: artifacts -------------------------------------------------------------------------

    def artifact_body(self, ctx: Context) -> tuple[dict[str, Any], str | None]:
        """The create body (JSON, or multipart with a ``fileData`` file) and file text."""
        content_type = ctx.request.headers.get("content-type", "")
        if "multipart/form-data" not in content_type:
            return ctx.body, None
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + ctx.raw
        )
        fields: dict[str, Any] = {}
        file_text: str | None = None
        file_name: str | None = None
        file_type: str | None = None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if name == "fileData":
                file_text = payload.decode("utf-8", errors="replace")
                file_name = part.get_filename()
                file_type = part.get_content_type() if part.get("content-type") else None
            elif name:
                text = payload.decode("utf-8", errors="replace")
                if name in ("props", "private_props") or text[:1] in ("{", "["):
                    try:
                        fields[name] = json.loads(text)
                        continue
                    except ValueError:
                        pass
                fields[name] = {"true": True, "false": False}.get(text, text)
        fields.setdefault("props", {})
        fields.setdefault("type", "Document")
        if file_name:
            fields["props"].setdefault("file_name", file_name)
            fields.setdefault("name", file_name)
        if file_type and file_type != "application/octet-stream":
            fields["props"].setdefault("content_type", file_type)
        return fields, file_text

    def artifact_text(self, body: CreateArtifactBody, file_text: str | None) -> str | None:
        if body.type == "InlineText":
            content = body.props.get("content")
            if not isinstance(content, str):
                raise invalid([error("props.content", "required (a string) for an InlineText artifact")])
            return content
        if body.type == "Document":
            return file_text if file_text is not None else body.raw_content
        return None

    async def create_artifact(self, ctx: Context) -> Any:
        project = self.project(ctx.param("project_id"))
        data, file_text = self.artifact_body(ctx)
        body = parse_body(CreateArtifactBody, data)
        text = self.artifact_text(body, file_text)
        artifact_id = self.state.new_id("artifact")
        stamp = now_iso()
        props = dict(body.props)
        states = {
            "Folder": ("Published", "NotApplicable"),
            "Link": ("Published", "NotApplicable"),
            "SmartDoc": ("Draft", "NotApplicable"),
            "SqlDatabase": ("Published", "NotApplicable"),
            "McpServer": ("Published", "NotApplicable"),
            "Analysis": ("Processing", "NotApplicable"),
            "Summary": ("Processing", "Processing"),
            "Composition": ("Processing", "Processing"),
            "BulkQA": ("Processing", "Processing"),
            "ReadAndExtract": ("Processing", "Processing"),
        }
        state, ingest_status = states.get(body.type, ("Published", "Done"))
        failure: str | None = None
        if body.type == "Document" and not (text or "").strip():
            # Nothing to index: ingestion fails, as on a server that finds no text.
            state, ingest_status, failure = "Error", "Error", "NoValidNodes"
        elif body.type in ("Document", "InlineText") and self.options.ingest_reads > 0:
            state, ingest_status = "Processing", "Processing"
        if body.type == "Document":
            props.setdefault("file_name", body.name)
            props.setdefault("content_type", "text/plain")
            props["content_length"] = len((text or "").encode())
        if body.type == "Link":
            original_id = props.get("original_artifact_id")
            original = self.state.artifacts.get(str(original_id))
            if original is None:
                raise ApiError(404, f"artifact {original_id!r} not found", [error("props.original_artifact_id", "no such artifact")])
            props.update(
                source_artifact_id=original.id,
                original_artifact_type=original.data.get("type"),
                original_project_id=original.project_id,
            )
        dto: dict[str, Any] = {
            "id": artifact_id,
            "project_id": project.id,
            "name": body.name,
            "parent_id": body.parent_id,
            "type": body.type,
            "source": body.source or "User",
            "state": state,
            "ingest_status": ingest_status,
            "has_content": text is not None,
            "props": props,
            "keep_file_after_ingestion": True if body.keep_file_after_ingestion is None else body.keep_file_after_ingestion,
            "ws_auto_select": bool(body.ws_auto_select),
            "created_at": stamp,
            "updated_at": stamp,
        }
        for key in ("description", "external_url", "integration_id"):
            if getattr(body, key) is not None:
                dto[key] = getattr(body, key)
        if failure is not None:
            dto["error"] = failure
            dto["has_content"] = False
        if body.type == "Folder":
            dto["child_count"] = 0
        parent = self.state.artifacts.get(body.parent_id or "")
        if parent is not None and "child_count" in parent.data:
            parent.data["child_count"] += 1
        artifact = Artifact(artifact_id, project.id, dto, text, body.private_props, reads_left=self.options.ingest_reads)
        self.state.artifacts[artifact_id] = artifact
        if artifact.searchable:
            self.ingest_artifact(artifact)
        return dto

    def ingest_artifact(self, artifact: Artifact) -> None:
        name = str(artifact.data.get("props", {}).get("file_name") or artifact.data.get("name"))
        metadata = {"file_name": name, "title": artifact.data.get("name")}
        self.state.ingest(artifact.project_id, artifact.id, artifact.content or "", metadata, name=str(artifact.data.get("name")))

    def read_artifact(self, artifact: Artifact) -> dict[str, Any]:
        """The artifact's DTO as one read sees it; a pending ingestion advances (option
        ``ingest_reads``) and, once its reads are used up, completes."""
        data = artifact.data
        if data.get("ingest_status") == "Processing" and data.get("type") in ("Document", "InlineText"):
            if artifact.reads_left > 0:
                artifact.reads_left -= 1
            else:
                data.update(state="Published", ingest_status="Done", updated_at=now_iso())
                self.ingest_artifact(artifact)
        return data

    async def list_artifacts(self, ctx: Context) -> Any:
        project = self.project(ctx.param("project_id"))
        items = self.state.project_artifacts(project.id)
        wanted_states = (ctx.query("state") or "Published,Processing").split(",")
        items = [a for a in items if a.data["state"] in wanted_states]
        for name in ("type", "ingest_status"):
            if ctx.query(name):
                allowed = ctx.query(name, "").split(",")
                items = [a for a in items if a.data.get(name) in allowed]
        parent = ctx.query("parent_id")
        if parent:
            items = [a for a in items if a.data.get("parent_id") == parent]
        elif (ctx.query("filter_by_parent") or "").lower() == "true":
            items = [a for a in items if a.data.get("parent_id")]
        text = (ctx.query("filter_by_text") or "").lower()
        if text:
            items = [a for a in items if text in str(a.data.get("name", "")).lower()]
        return self.page(ctx, items, lambda a: dict(self.read_artifact(a)))

    async def get_artifact(self, ctx: Context) -> Any:
        artifact = self.artifact(ctx.param("project_id"), ctx.param("artifact_id"))
        data = self.read_artifact(artifact)
        if (ctx.query("include_content") or "").lower() == "true":
            return {**data, "content": artifact.content}
        return data

    async def update_artifact(self, ctx: Context) -> Any:
        artifact = self.artifact(ctx.param("project_id"), ctx.param("artifact_id"))
        body = parse_body(UpdateArtifactBody, ctx.body)
        data = artifact.data
        for key in ("name", "description", "external_url", "ws_auto_select"):
            if getattr(body, key) is not None:
                data[key] = getattr(body, key)
        if body.reset_parent_id:
            data["parent_id"] = None
        elif body.parent_id is not None:
            data["parent_id"] = body.parent_id
        if body.props is not None:
            data["props"] = {**data.get("props", {}), **body.props}
        if body.private_props is not None:
            artifact.private_props = body.private_props
        text = body.plain_text_content if body.plain_text_content is not None else body.content
        if text is not None and data["type"] in ("Document", "InlineText"):
            artifact.content = text
            data["has_content"] = True
            data["ingest_status"] = "Done"
            if data["type"] == "Document":
                data["props"]["content_length"] = len(text.encode())
            else:
                data["props"]["content"] = text
            self.ingest_artifact(artifact)
        data["updated_at"] = now_iso()
        return data

    async def delete_artifact(self, ctx: Context) -> Any:
        artifact = self.artifact(ctx.param("project_id"), ctx.param("artifact_id"))
        self.state.artifacts.pop(artifact.id, None)
        self.state.remove_document(artifact.project_id, artifact.id)
        return {**artifact.data, "state": "Deleted"}

    async def parsed_content(self, ctx: Context) -> Any:
        artifact = self.artifact(ctx.param("project_id"), ctx.param("artifact_id"))
        return PlainTextResponse(artifact.content or "")

    async def private_props(self, ctx: Context) -> Any:
        return self.artifact(ctx.param("project_id"), ctx.param("artifact_id")).private_props or {}

    # -- Workspace: search ------------------------------------------------------------------------

    async def search(self, ctx: Context) -> Any:
        query = (ctx.query("q") or "").strip()
        kinds = [k for k in (ctx.query("type") or "").split(",") if k] or list(_SEARCH_TYPES)
        unknown = [k for k in kinds if k not in _SEARCH_TYPES]
        if unknown:
            raise invalid([error("type", f"unknown search type {unknown[0]!r}; expected one of: {', '.join(_SEARCH_TYPES)}")])
        raw_limit = ctx.query("limit") or "10"
        try:
            limit = int(float(raw_limit))
        except ValueError:
            raise invalid([error("limit", f"must be a number, got {raw_limit!r}")]) from None
        if not query:
            return []
        vector = term_vector(query)

        def rank(text: str) -> float:
            score = cosine(vector, term_vector(text))
            if query.lower() in text.lower():
                score = max(score, 0.5)
            return score

        def project_name(project_id: str) -> str:
            project = self.state.projects.get(project_id)
            return str(project.data.get("name")) if project else ""

        results: list[tuple[float, int, dict[str, Any]]] = []

        def add(score: float, item: dict[str, Any]) -> None:
            if score > 0:
                results.append((score, len(results), {**item, "rank": round(score, 4)}))

        if "Project" in kinds:
            for project in self.state.projects.values():
                text = f"{project.data.get('name', '')} {project.data.get('goal', '')}"
                add(rank(text), {"id": project.id, "type": "Project", "match": project.data.get("name"), "metadata": {"entity": project.data}})
        for artifact in self.state.artifacts.values():
            meta = {
                "name": artifact.data.get("name"),
                "type": artifact.data.get("type"),
                "project_id": artifact.project_id,
                "project_name": project_name(artifact.project_id),
            }
            if "Artifact" in kinds:
                add(rank(str(artifact.data.get("name"))), {"id": artifact.id, "type": "Artifact", "match": artifact.data.get("name"), "metadata": meta})
            if "ArtifactContent" in kinds and artifact.searchable:
                document = self.state.collections.get(artifact.project_id, {}).get(artifact.id)
                for chunk in document.chunks if document else ():
                    add(rank(chunk.text), {"id": chunk.id, "type": "ArtifactContent", "match": chunk.text, "metadata": meta})
        for thread in self.state.threads.values():
            name = project_name(thread.project_id)
            if "Thread" in kinds:
                add(rank(thread.name), {"id": thread.id, "type": "Thread", "match": thread.name, "metadata": {"name": thread.name, "project_id": thread.project_id, "project_name": name}})
            if "Interaction" in kinds:
                for interaction_id in thread.interactions:
                    record = self.state.interactions.get(interaction_id)
                    if record is None:
                        continue
                    text = engine_module.text_of(record.user_input)
                    meta = {"content": text, "thread_id": thread.id, "project_id": thread.project_id, "project_name": name, "thread_name": thread.name}
                    add(rank(text), {"id": record.id, "type": "Interaction", "match": text, "metadata": meta})
        results.sort(key=lambda item: (-item[0], item[1]))
        return [item for _, _, item in results[: max(limit, 0)]]

    # -- ZylonGPT --------------------------------------------------------------------------------

    @staticmethod
    def anthropic_compatible(body: Any) -> Any:
        """Accept Anthropic's string/list ``system`` by moving it into ``system.text``."""
        if isinstance(body, dict):
            system = body.get("system")
            if isinstance(system, str):
                body = {**body, "system": {"text": system}}
            elif isinstance(system, list) and all(isinstance(b, dict) and b.get("type") == "text" for b in system):
                body = {**body, "system": {"text": "\n".join(str(b.get("text", "")) for b in system)}}
        return body

    def gpt_scope(self, request: ChatRequest) -> tuple[Any, Any, Any]:
        filters: list[dict[str, Any]] = []
        for item in list(request.tool_context or []) + [c for t in request.tools or () for c in (t.context or [])]:
            if isinstance(item, dict) and item.get("type") == "ingested_artifact" and isinstance(item.get("context_filter"), dict):
                filters.append(item["context_filter"])
        state = self.state

        def all_search(query: str, limit: int) -> list[Hit]:
            return state.search(query, limit=limit, positive_only=True)

        if not filters:
            return None, all_search, None

        def scoped(query: str, limit: int) -> list[Hit]:
            hits: list[Hit] = []
            for f in filters:
                collection = f.get("collection") or "pgpt_collection"
                hits.extend(state.search(query, collections=[collection], artifacts=f.get("artifacts"), limit=limit, positive_only=True))
            hits.sort(key=lambda h: -h.score)
            return hits[:limit]

        return scoped, scoped, None

    def parse_messages_body(self, data: Any) -> ChatRequest:
        return parse_chat(self.anthropic_compatible(data))

    async def messages(self, ctx: Context) -> Any:
        request = self.parse_messages_body(ctx.body)
        message_id = self.state.new_id("msg")
        output = generate(self.engine_input(request, [], seed=message_id, scope=self.gpt_scope(request)))
        message = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "content": output.content,
            "model": self.options.model_name or "private-gpt",
            "stop_reason": output.stop_reason,
            "stop_sequence": None,
            "usage": output.usage,
        }
        if request.stream:
            return self.sse(self.message_events(message, "full", output.pieces).events)
        return message

    async def messages_validate(self, ctx: Context) -> Any:
        report = validation_report(ctx.body, self.parse_messages_body)
        if report["valid"]:
            return report
        return JSONResponse({**report, "message": "invalid request body: " + "; ".join(report["errors"][:5])}, status_code=400)

    async def embeddings(self, ctx: Context) -> Any:
        body = parse_body(EmbeddingsBody, ctx.body)
        inputs = [body.input] if isinstance(body.input, str) else list(body.input)
        dim = self.options.embedding_dim
        return {
            "object": "list",
            "model": self.options.model_name or "private-gpt",
            "data": [
                {"index": index, "object": "embedding", "embedding": hashed_embedding(text, dim)}
                for index, text in enumerate(inputs)
            ],
        }

    async def chunk_search(self, ctx: Context) -> Any:
        body = parse_body(SemanticSearch, ctx.body)
        errors = []
        if body.limit is not None and body.limit < 1:
            errors.append(error("limit", "must be >= 1"))
        if body.score_threshold is not None and not 0 <= body.score_threshold <= 1:
            errors.append(error("score_threshold", "must be between 0 and 1"))
        if errors:
            raise invalid(errors)
        collection = body.context_filter.collection or "pgpt_collection"
        hits = self.state.search(
            body.text,
            collections=[collection],
            artifacts=body.context_filter.artifacts,
            limit=body.limit or 10,
            score_threshold=body.score_threshold or 0.0,
            expand=bool(body.expand),
        )
        return {
            "object": "list",
            "model": self.options.model_name or "private-gpt",
            "data": [
                {
                    "object": "context.chunk",
                    "id": hit.chunk_id,
                    "score": hit.score,
                    "document": {"object": "ingest.document", "artifact": hit.artifact_id, "doc_metadata": hit.doc_metadata},
                    "text": hit.text,
                    "content_type": "text/plain",
                    "previous_texts": hit.previous if body.expand else None,
                    "next_texts": hit.next if body.expand else None,
                }
                for hit in hits
            ],
        }

    async def ingest(self, ctx: Context) -> Any:
        body = parse_body(IngestBody, ctx.body)
        if body.input.type == "file":
            try:
                text = base64.b64decode(body.input.value, validate=True).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                raise invalid([error("input.value", "a file input must be base64")]) from None
        elif body.input.type == "uri":
            text = f"Content of {body.input.value} (the emulator does not download URIs)."
        else:
            text = body.input.value
        document = self.state.ingest(body.collection, body.artifact, text, body.metadata or {})
        return self.ingest_response([document])

    def ingest_response(self, documents: list[Any]) -> dict[str, Any]:
        return {
            "object": "list",
            "model": self.options.model_name or "private-gpt",
            "data": [{"object": "ingest.document", "artifact": d.artifact, "doc_metadata": d.metadata} for d in documents],
        }

    async def list_ingested(self, ctx: Context) -> Any:
        collection = ctx.query("collection") or "pgpt_collection"
        return self.ingest_response(list(self.state.collections.get(collection, {}).values()))

    async def delete_ingested(self, ctx: Context) -> Any:
        body = parse_body(DeleteIngestedBody, ctx.body)
        if not self.state.remove_document(body.collection, body.artifact):
            raise not_found("artifact", body.artifact)
        return Response(status_code=200)

    async def artifact_content(self, ctx: Context) -> Any:
        data = ctx.body if isinstance(ctx.body, dict) else {}
        filters = data.get("context_filter")
        if not isinstance(filters, dict):
            raise invalid([error("context_filter", "required")])
        collection = filters.get("collection") or "pgpt_collection"
        wanted = filters.get("artifacts")
        docs = self.state.collections.get(collection, {})
        return {
            "data": [
                {"artifact_id": artifact, "content": document.text}
                for artifact, document in docs.items()
                if wanted is None or artifact in wanted
            ]
        }

    async def health(self, ctx: Context) -> Any:
        return {"status": "ok", "emulator": True}

    # -- routing ---------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        w, g = WORKSPACE, GPT
        table: list[tuple[str, list[str], Handler, str]] = [
            ("/api/health", ["GET"], self.health, "open"),
            (f"{w}/chat", ["POST"], self.chat, "workspace"),
            (f"{w}/chat/validate", ["POST"], self.chat_validate, "workspace"),
            (f"{w}/project", ["POST"], self.create_project, "workspace"),
            (f"{w}/project", ["GET"], self.list_projects, "workspace"),
            (f"{w}/project/{{project_id}}", ["GET"], self.get_project, "workspace"),
            (f"{w}/project/{{project_id}}", ["PUT", "PATCH"], self.update_project, "workspace"),
            (f"{w}/project/{{project_id}}", ["DELETE"], self.delete_project, "workspace"),
            (f"{w}/project/{{project_id}}/chat", ["POST"], self.project_chat, "workspace"),
            (f"{w}/project/{{project_id}}/thread", ["POST"], self.create_thread, "workspace"),
            (f"{w}/project/{{project_id}}/thread", ["GET"], self.list_threads, "workspace"),
            (f"{w}/thread/{{thread_id}}", ["GET"], self.get_thread, "workspace"),
            (f"{w}/thread/{{thread_id}}", ["PUT"], self.update_thread, "workspace"),
            (f"{w}/thread/{{thread_id}}", ["DELETE"], self.delete_thread, "workspace"),
            (f"{w}/thread/{{thread_id}}/interaction", ["POST"], self.create_interaction, "workspace"),
            (f"{w}/thread/{{thread_id}}/interaction", ["GET"], self.list_interactions, "workspace"),
            (f"{w}/interaction/{{interaction_id}}", ["GET"], self.get_interaction, "workspace"),
            (f"{w}/interaction/{{interaction_id}}", ["DELETE"], self.delete_interaction, "workspace"),
            (f"{w}/interaction/{{interaction_id}}/cancel", ["POST"], self.cancel_interaction, "workspace"),
            (f"{w}/interaction/{{interaction_id}}/stream", ["GET"], self.stream_interaction, "workspace"),
            (f"{w}/project/{{project_id}}/artifact", ["POST"], self.create_artifact, "workspace"),
            (f"{w}/project/{{project_id}}/artifact", ["GET"], self.list_artifacts, "workspace"),
            (f"{w}/project/{{project_id}}/artifact/{{artifact_id}}", ["GET"], self.get_artifact, "workspace"),
            (f"{w}/project/{{project_id}}/artifact/{{artifact_id}}", ["PUT"], self.update_artifact, "workspace"),
            (f"{w}/project/{{project_id}}/artifact/{{artifact_id}}", ["DELETE"], self.delete_artifact, "workspace"),
            (f"{w}/project/{{project_id}}/artifact/{{artifact_id}}/parsed-content", ["GET"], self.parsed_content, "workspace"),
            (f"{w}/project/{{project_id}}/artifact/{{artifact_id}}/private", ["GET"], self.private_props, "workspace"),
            (f"{w}/search", ["GET"], self.search, "workspace"),
            (f"{g}/messages", ["POST"], self.messages, "gpt"),
            (f"{g}/messages/validate", ["POST"], self.messages_validate, "gpt"),
            (f"{g}/embeddings", ["POST"], self.embeddings, "gpt"),
            (f"{g}/primitives/search", ["POST"], self.chunk_search, "gpt"),
            (f"{g}/artifacts/ingest", ["POST"], self.ingest, "gpt"),
            (f"{g}/artifacts/list", ["GET"], self.list_ingested, "gpt"),
            (f"{g}/artifacts/delete", ["POST"], self.delete_ingested, "gpt"),
            (f"{g}/artifacts/content", ["POST"], self.artifact_content, "gpt"),
        ]
        # Starlette matches a path before its method: group handlers per path.
        grouped: dict[str, dict[str, Callable[[Request], Awaitable[Response]]]] = {}
        for path, methods, handler, area in table:
            wrapped = self.wrap(handler, area)
            for method in methods:
                grouped.setdefault(path, {})[method] = wrapped
        routes = []
        for path, by_method in grouped.items():
            routes.append(Route(path, _dispatch(by_method), methods=list(by_method)))
        return routes


def _dispatch(by_method: dict[str, Callable[[Request], Awaitable[Response]]]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        handler = by_method.get(request.method) or by_method["GET"]  # HEAD of a GET route
        return await handler(request)

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
    elif status == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    else:
        message = getattr(exc, "detail", None) or "error"
    return JSONResponse({"message": message}, status_code=status)


def create_app(options: EmulatorOptions | None = None, **overrides: Any) -> Starlette:
    """The emulator as an ASGI app; ``app.state.emulator`` holds its :class:`Emulator`."""
    emulator = Emulator(EmulatorOptions.build(options, **overrides))
    app = Starlette(routes=emulator.routes(), exception_handlers={404: _http_error, 405: _http_error})
    app.state.emulator = emulator
    return app
