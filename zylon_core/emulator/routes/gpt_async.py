"""ZylonGPT async messages (async-messages.mdx, ``captures/async_*``).

* ``POST /messages/async[?message_id=<your id>]`` with a ``/messages`` body →
  ``{"message_id", "status": "pending", "message": "Request initiated successfully"}``
  (a UUID unless you chose the id). The emulator answers at once, so the message is
  ``completed`` by the time anyone asks (``failed`` when the request cannot run: its
  stream then holds the ``error`` event). Citations in the answer carry the async
  ``message_id`` as their ``correlation_id``, as on the real server.
* ``GET /messages/async/{id}/status`` → ``{"message_id", "status", "created_at",
  "updated_at", "completed_at", "error_message", "stream_type": "chat_completion",
  "metadata": {"message_count", "thinking_enabled"}}``.
* ``GET /messages/async/{id}/stream`` → the whole stream from ``message_start``, every
  time (its ``msg_...`` id is not the async ``message_id``).
* ``POST /messages/async/{id}/cancel`` → ``{"message": "Stream cancelled successfully",
  "message_id"}``, also when it had already finished.
* ``DELETE /messages/async/{id}/delete`` → 200 ``null``; afterwards (and for an unknown
  id) every route answers 404 ``{"detail": "Stream with message_id <id> not found"}``.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse

from ..answers import sse_response
from ..context import GPT, Context, Endpoint
from ..errors import detail
from ..state import AsyncMessage, now_micro
from ..validation import parse_chat
from .gpt import answer


def _record(ctx: Context) -> AsyncMessage:
    message_id = ctx.param("message_id")
    record = ctx.state.async_messages.get(message_id)
    if record is None:
        raise detail(404, f"Stream with message_id {message_id} not found")
    return record


async def create(ctx: Context) -> Any:
    request = parse_chat(ctx.body)
    message_id = ctx.query("message_id") or str(uuid.uuid4())
    events, message = answer(ctx, request, ctx.body, ctx.state.new_id("msg", 32), correlation=message_id)
    failure = None if message is not None else str(events[-1]["error"]["detail"]["explanation"])
    ctx.state.async_messages[message_id] = AsyncMessage(
        message_id=message_id,
        events=events,
        created_at=now_micro(),
        message_count=len(request.messages),
        thinking=request.thinking_enabled,
        status="completed" if failure is None else "failed",
        error_message=failure,
    )
    return {"message_id": message_id, "status": "pending", "message": "Request initiated successfully"}


async def status(ctx: Context) -> Any:
    return _record(ctx).status_json()


async def stream(ctx: Context) -> Any:
    return sse_response(ctx.options, _record(ctx).events)


async def cancel(ctx: Context) -> Any:
    record = _record(ctx)
    record.cancelled = True
    return {"message": "Stream cancelled successfully", "message_id": record.message_id}


async def delete(ctx: Context) -> Any:
    record = _record(ctx)
    del ctx.state.async_messages[record.message_id]
    return JSONResponse(None)


_ONE = f"{GPT}/messages/async/{{message_id}}"
ROUTES = [
    Endpoint(f"{GPT}/messages/async", ["POST"], create, "gpt"),
    Endpoint(f"{_ONE}/status", ["GET"], status, "gpt"),
    Endpoint(f"{_ONE}/stream", ["GET"], stream, "gpt"),
    Endpoint(f"{_ONE}/cancel", ["POST"], cancel, "gpt"),
    Endpoint(f"{_ONE}/delete", ["DELETE"], delete, "gpt"),
]
