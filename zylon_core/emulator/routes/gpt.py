"""ZylonGPT (``/api/gpt/v1``) messages: ``POST /messages`` (sync, or SSE with ``stream:
true``), ``POST /messages/validate``, ``POST /messages/count_tokens``, ``GET /models``,
``GET /models/{id}`` and the legacy ``POST /complete``.

Answers have the real server's shape (``zylon-api/captures``): ``model`` is always
``"private-gpt"``, blocks carry timestamps and ``cache_control``, usage has every
Anthropic key. Bodies are validated by the server's own rules (:mod:`..gpt_schemas`);
what only fails once the request runs (an unknown ``model``, images or audio for a model
without them) is a 400 with a string explanation, or with ``stream: true`` a 200 stream
whose ``error`` event ends it (first for an unknown model, after ``message_start`` for
media), without ``message_stop``. ``/messages`` also takes Anthropic's ``system`` forms,
so Anthropic's own SDK can call it.

``/messages/validate`` answers ``{"valid": true, "errors": null}``; a body that breaks the
schema gets the 400 envelope, one that is well-formed but cannot run (unknown model, a
message left with nothing the model can read) ``400 {"valid": false, "errors": [...]}``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from ..answers import engine_input, gpt_message, gpt_scope, message_events, problem_stream, runtime_problem, sse_response
from ..context import GPT, Context, Endpoint
from ..engine import EngineInput, count_input_tokens, count_words, generate, normalize_messages, text_of
from ..errors import gpt_runtime
from ..gpt_schemas import ChatBody, CompleteBody, CountTokensBody
from ..options import EmulatorOptions
from ..validation import parse_chat, parse_gpt


def answer(ctx: Context, request: ChatBody, raw: dict[str, Any], message_id: str, correlation: str | None = None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The stream events of the answer, and the answer (None when the request failed)."""
    options = ctx.options
    problem = runtime_problem(request, options)
    if problem is not None:
        head = {"id": message_id, "type": "message", "role": "assistant", "model": options.gpt_model}
        return problem_stream(problem, head), None
    inp = engine_input(request, raw, [], seed=message_id, options=options, scope=gpt_scope(ctx.state, request))
    if correlation and not inp.correlation_id:
        inp.correlation_id = correlation
    output = generate(inp)
    message = gpt_message(options, message_id, output)
    return message_events(options, message, "full", output.pieces).events, message


async def messages(ctx: Context) -> Any:
    request = parse_chat(ctx.body)
    message_id = ctx.state.new_id("msg", 32)
    if not request.stream:
        problem = runtime_problem(request, ctx.options)
        if problem is not None:
            raise gpt_runtime(problem.explanation, exception=problem.exception)
    events, message = answer(ctx, request, ctx.body, message_id)
    if request.stream:
        return sse_response(ctx.options, events)
    return message


def _unreadable(request: ChatBody, options: EmulatorOptions) -> bool:
    """Whether a user message holds nothing the model can read (only media it cannot take)."""
    dropped = {k for k, allowed in (("image", options.image_input), ("audio", options.audio_input)) if not allowed}
    for message in request.messages:
        if message.role != "user" or isinstance(message.content, str):
            continue
        if message.content and all(getattr(b, "type", None) in dropped for b in message.content):
            return True
    return False


async def messages_validate(ctx: Context) -> Any:
    request = parse_chat(ctx.body)  # schema problems: the ordinary envelope
    problem = runtime_problem(request, ctx.options)
    errors = []
    if problem is not None and problem.exception == "ValueError":
        errors.append(problem.explanation)
    elif _unreadable(request, ctx.options):
        errors.append("The message cannot be empty.")
    if errors:
        return JSONResponse({"valid": False, "errors": errors}, status_code=400)
    return {"valid": True, "errors": None}


async def count_tokens(ctx: Context) -> Any:
    body = parse_gpt(CountTokensBody, ctx.body)
    raw = ctx.body.get("messages") or []
    system = [body.system.text] if body.system and body.system.text else []
    system += [text_of(normalize_messages([m])[0]) for m in raw if isinstance(m, dict) and m.get("role") == "system"]
    messages = normalize_messages([m for m in raw if isinstance(m, dict) and m.get("role") != "system"])
    inp = EngineInput(messages=messages, system=" ".join(system))
    tools = sum(count_words(f"{t.name} {t.description or ''}") for t in body.tools or ())
    return {"input_tokens": count_input_tokens(inp) + tools}


def model_card(model_id: str, options: EmulatorOptions) -> dict[str, Any]:
    """A model as ``/v1/models`` describes it (the captured server's card)."""
    supported = {"supported": True}
    return {
        "id": model_id,
        "created_at": "1970-01-01T00:00:00Z",
        "display_name": model_id,
        "type": "model",
        "max_tokens": 1024,
        "max_input_tokens": 8192,
        "embed_dim": None,
        "capabilities": {
            "batch": {"supported": False},
            "citations": supported,
            "code_execution": {"supported": False},
            "context_management": {
                "clear_thinking_20251015": None,
                "clear_tool_uses_20250919": None,
                "compact_20260112": None,
                "supported": False,
            },
            "effort": {"supported": True, **{level: supported for level in ("low", "medium", "high", "max", "xhigh")}},
            "image_input": {"supported": options.image_input, "maximum": 1 if options.image_input else 0},
            "audio_input": {"supported": options.audio_input, "maximum": 1 if options.audio_input else 0},
            "pdf_input": {"supported": False},
            "structured_outputs": supported,
            "thinking": {"supported": True, "types": {"adaptive": {"supported": False}, "enabled": supported}},
        },
    }


async def list_models(ctx: Context) -> Any:
    ids = ctx.options.model_ids
    return {"data": [model_card(m, ctx.options) for m in ids], "first_id": ids[0], "has_more": False, "last_id": ids[-1]}


async def get_model(ctx: Context) -> Any:
    model_id = ctx.param("model_id")
    if model_id not in ctx.options.model_ids:
        # A 400, not a 404 (cap:models_get_unknown); the alias "default" is not a model.
        raise gpt_runtime(f"Model config '{model_id}' not found. Available: {list(ctx.options.model_ids)!r}")
    return model_card(model_id, ctx.options)


async def complete(ctx: Context) -> Any:
    body = parse_gpt(CompleteBody, ctx.body)
    turns = [t.strip() for t in body.prompt.split("\n\nHuman:") if t.strip()]
    said = turns[-1].split("\n\nAssistant:")[0].strip() if turns else body.prompt
    message_id = ctx.state.new_id("compl", 32)
    output = generate(EngineInput(messages=[{"role": "user", "content": [{"type": "text", "text": said}]}], id_seed=message_id))
    text = " ".join(b["text"] for b in output.content if b.get("type") == "text")
    return {"id": message_id, "type": "completion", "completion": text, "stop_reason": "end_turn", "model": body.model or ctx.options.gpt_model}


ROUTES = [
    Endpoint(f"{GPT}/messages", ["POST"], messages, "gpt"),
    Endpoint(f"{GPT}/messages/validate", ["POST"], messages_validate, "gpt"),
    Endpoint(f"{GPT}/messages/count_tokens", ["POST"], count_tokens, "gpt"),
    Endpoint(f"{GPT}/models", ["GET"], list_models, "gpt"),
    Endpoint(f"{GPT}/models/{{model_id}}", ["GET"], get_model, "gpt"),
    Endpoint(f"{GPT}/complete", ["POST"], complete, "gpt"),
]
