"""The deterministic answer engine: a stand-in for a model, not a model.

Same input, same output; nothing random, no clock. "Tokens" are whitespace-separated
words. The rules, in the order they are tried:

1. ``/deltas N`` (the last user text, exactly): the text ``tok0 tok1 ... tok{N-1}``,
   streamed as exactly N text deltas (benchmarks). No thinking, no ``max_tokens`` cut.
2. Tool results: if the last message carries ``tool_result`` blocks, a text answer
   quoting them (``The result of magic_function is 5.``); no new tool call.
3. ``response_format`` ``json_schema`` (the raw schema, or ``{name, schema}``): one text
   block holding JSON generated from the schema (see :mod:`.schema_values`).
4. Tools (unless ``tool_choice`` is ``none``): ``{type: tool, name}`` forces that tool;
   otherwise the tools the last user text names (``magic_function`` or
   ``magic function``), in the order named, several unless
   ``disable_parallel_tool_use``; else for ``any`` the tool whose name/description
   best matches the text (first on a tie); else for ``auto`` a custom tool whose name
   shares a word with the text, or the best match if the text says "use the tool" /
   "call"; else a built-in tool if one is offered. Custom tools answer with
   ``tool_use`` blocks (``stop_reason: tool_use``). Built-in tools (``type``
   ``*_v1``) run here: ``tool_use`` + ``tool_result`` (search types search the
   artifacts in scope, or the whole project), then a text answer and a ``source``
   block; ``stop_reason: end_turn``.
5. Artifacts in scope (``artifact_ids`` / ``all_artifacts``, or a ZylonGPT
   ``tool_context``): the answer quotes the best matching chunk; with
   ``system.citations.enabled`` the text block gets ``citations`` and a ``source``
   block with ``context.chunk`` sources follows.
6. Plain reply, built from the conversation (history included):
   * "my <thing> is <value>" said earlier, then "what is my <thing>?" (or "who am I?")
     → ``Your <thing> is <value>.`` (just ``<value>`` if the question says "only");
   * ``what is 2 + 3`` → ``2 + 3 = 5.``;
   * otherwise ``You said: "<last user text, at most 40 words>".``;
   * prefixed with ``I received 1 image.`` (etc.) for media/file blocks;
   * followed by ``This is turn N of this thread.`` in a thread (``... of this
     conversation.`` when a one-shot request carries several user turns).

``thinking.enabled`` puts a ``thinking`` block first (``Thinking about: <text>``).
``max_tokens`` cuts text blocks to that many words (``stop_reason: max_tokens``),
except for rules 1 and 3. Usage: ``input_tokens`` = words of the system text and every
message; ``output_tokens`` = words of the output (text, thinking, tool inputs/results).

Tool inputs and JSON answers are filled from their JSON schema with what the prompt
offers (its numbers, quoted text, places, names): see :mod:`.schema_values`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .schema_values import Values, fill_schema, unwrap_json_schema
from .state import STOP_WORDS, Hit

DELTAS = re.compile(r"^/deltas\s+(\d+)$")
WORD = re.compile(r"\S+")
SEARCH_TOOL_TYPES = ("semantic_search_v1", "file_semantic_search_v1")


def count_words(text: str) -> int:
    return len(text.split())


def normalize_messages(messages: list[Any]) -> list[dict[str, Any]]:
    """``{"role", "content": [block dicts]}``, a string content becoming one text block."""
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        out.append({"role": message.get("role", "user"), "content": list(content or [])})
    return out


def text_of(message: dict[str, Any]) -> str:
    return " ".join(b.get("text", "") for b in message["content"] if b.get("type") == "text").strip()


def block_words(block: dict[str, Any]) -> int:
    kind = block.get("type")
    if kind == "text":
        return count_words(block.get("text") or "")
    if kind == "thinking":
        return count_words(block.get("thinking") or "")
    if kind == "tool_use":
        return count_words(json.dumps(block.get("input") or {}, ensure_ascii=False))
    if kind in ("tool_result", "tldr"):
        return sum(block_words(b) for b in block.get("content") or () if isinstance(b, dict))
    if kind == "file":
        return count_words(block.get("content") or "") if len(block.get("content") or "") < 100_000 else 0
    return 0


@dataclass
class EngineInput:
    messages: list[dict[str, Any]]  # history + the new turn, normalized
    system: str = ""
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    thinking: bool = False
    citations: bool = False
    max_tokens: int | None = None
    # Artifacts in scope (RAG); None when the request has no artifact scope.
    search: Callable[[str, int], list[Hit]] | None = None
    # What built-in search tools search; None when there is nothing to search.
    tool_search: Callable[[str, int], list[Hit]] | None = None
    list_files: Callable[[], list[str]] | None = None
    turn: int = 1
    in_thread: bool = False
    id_seed: str = ""


@dataclass
class EngineOutput:
    content: list[dict[str, Any]]
    stop_reason: str  # Anthropic vocabulary: end_turn, tool_use, max_tokens
    usage: dict[str, int]
    pieces: dict[int, list[str]] = field(default_factory=dict)  # exact text deltas per block


def generate(inp: EngineInput) -> EngineOutput:
    messages = inp.messages
    last_user = next((m for m in reversed(messages) if m["role"] == "user"), None)
    prompt = text_of(last_user) if last_user is not None else ""
    input_tokens = count_words(inp.system) + sum(block_words(b) for m in messages for b in m["content"])
    last = messages[-1] if messages else {"role": "user", "content": []}
    has_results = any(b.get("type") == "tool_result" for b in last["content"])

    fast = DELTAS.match(prompt) if not has_results else None
    if fast:
        count = int(fast.group(1))
        pieces = [f"tok{i}" if i == 0 else f" tok{i}" for i in range(count)]
        return EngineOutput(
            [{"type": "text", "text": "".join(pieces)}],
            "end_turn",
            {"input_tokens": input_tokens, "output_tokens": count},
            {0: pieces},
        )

    content: list[dict[str, Any]] = []
    if inp.thinking:
        about = excerpt(prompt, 12) if prompt and not has_results else "the tool results"
        content.append({"type": "thinking", "thinking": f"Thinking about: {about}"})
    stop_reason = "end_turn"
    can_truncate = True

    if has_results:
        content.append({"type": "text", "text": answer_tool_results(messages)})
    elif inp.response_format and inp.response_format.get("type") == "json_schema":
        schema = unwrap_json_schema(inp.response_format.get("json_schema") or {})
        value = fill_schema(schema, Values(prompt), root=schema)
        content.append({"type": "text", "text": json.dumps(value, ensure_ascii=False)})
        can_truncate = False
    else:
        chosen = choose_tools(inp.tools, inp.tool_choice, prompt)
        custom = [t for t in chosen if not t.get("type")]
        if custom:
            values = Values(prompt)
            for position, tool in enumerate(custom):
                schema = tool.get("inputSchema") or {}
                content.append(
                    {
                        "type": "tool_use",
                        "id": tool_id(inp.id_seed, position),
                        "name": tool["name"],
                        "input": fill_schema(schema, values, root=schema, top=True) or {},
                    }
                )
            stop_reason = "tool_use"
        elif chosen:
            hits: list[Hit] = []
            for position, tool in enumerate(chosen):
                blocks, found = run_builtin(tool, prompt, inp, tool_id(inp.id_seed, position))
                content.extend(blocks)
                hits.extend(h for h in found if h.chunk_id not in {x.chunk_id for x in hits})
            if any(t.get("type") in SEARCH_TOOL_TYPES for t in chosen):
                content.extend(rag_blocks(hits, prompt, inp, sources=True))
            else:
                content.append({"type": "text", "text": builtin_summary(chosen, inp)})
        elif inp.search is not None:
            hits = inp.search(prompt, 3)
            content.extend(rag_blocks(hits, prompt, inp, sources=inp.citations))
        else:
            content.append({"type": "text", "text": plain_reply(prompt, messages, inp)})

    if can_truncate and stop_reason == "end_turn" and inp.max_tokens is not None:
        if truncate(content, inp.max_tokens):
            stop_reason = "max_tokens"
    output_tokens = sum(block_words(b) for b in content if b.get("type") != "source")
    return EngineOutput(content, stop_reason, {"input_tokens": input_tokens, "output_tokens": output_tokens})


# -- pieces of answers --------------------------------------------------------------------------


def excerpt(text: str, max_words: int) -> str:
    words = text.split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")


def tool_id(seed: str, position: int) -> str:
    return "toolu_" + hashlib.sha1(f"{seed}:{position}".encode()).hexdigest()[:24]


def truncate(content: list[dict[str, Any]], budget: int) -> bool:
    """Cut text blocks to ``budget`` words in total; True if anything was cut."""
    cut = False
    for block in content:
        if block.get("type") != "text":
            continue
        text = block.get("text") or ""
        matches = list(WORD.finditer(text))
        if len(matches) > budget:
            block["text"] = text[: matches[budget - 1].end()] if budget > 0 else ""
            cut = True
            budget = 0
        else:
            budget -= len(matches)
    return cut


def answer_tool_results(messages: list[dict[str, Any]]) -> str:
    names: dict[str, str] = {}
    for message in messages:
        if message["role"] == "assistant":
            for block in message["content"]:
                if block.get("type") == "tool_use":
                    names[block.get("id", "")] = block.get("name", "the tool")
    start = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=-1) + 1
    sentences = []
    for message in messages[start:]:
        for block in message["content"]:
            if block.get("type") != "tool_result":
                continue
            name = names.get(block.get("tool_use_id", ""), "the tool")
            inner = block.get("content")
            if isinstance(inner, str):
                text = inner
            else:
                text = " ".join(b.get("text", "") for b in inner or () if isinstance(b, dict) and b.get("type") == "text")
            text = text.strip() or "empty"
            if block.get("is_error"):
                sentences.append(f"The tool {name} reported an error: {text}")
            else:
                sentences.append(f"The result of {name} is {text}.")
    return " ".join(sentences)


_ATTACHMENT_NAMES = {"image": "image", "audio": "audio clip", "file": "file", "binary": "binary attachment"}


def describe_attachments(message: dict[str, Any] | None) -> str:
    if message is None:
        return ""
    counts: dict[str, int] = {}
    for block in message["content"]:
        kind = block.get("type")
        if kind in _ATTACHMENT_NAMES:
            counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return ""
    parts = [f"{n} {_ATTACHMENT_NAMES[k]}{'' if n == 1 else 's'}" for k, n in counts.items()]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"I received {listed}."


_FACT = re.compile(r"\bmy\s+([a-z][a-z ]{0,40}?)\s+(?:is|are|was)\s+([^.!?,;\n]+)", re.IGNORECASE)
_QUESTION = re.compile(
    r"\b(?:what(?:'s|\s+is|\s+was|\s+are)|do\s+you\s+(?:know|remember))\s+my\s+([a-z][a-z ]{0,40}?)\s*(?:\?|$|[.,!])",
    re.IGNORECASE,
)
_WHO_AM_I = re.compile(r"\bwho\s+am\s+i\b", re.IGNORECASE)
_ARITH_ASK = re.compile(r"\b(?:what\s+is|what's|calculate|compute|how\s+much\s+is)\b", re.IGNORECASE)
_ARITH = re.compile(r"(-?\d+(?:\.\d+)?)\s*([-+*/×÷x])\s*(-?\d+(?:\.\d+)?)")


def remembered_facts(messages: list[dict[str, Any]]) -> dict[str, str]:
    facts: dict[str, str] = {}
    for message in messages:
        if message["role"] != "user":
            continue
        for match in _FACT.finditer(text_of(message)):
            attr = " ".join(match.group(1).lower().split())
            value = re.split(r"\s+(?:and|but|so|because)\s+", match.group(2).strip())[0].strip()
            if attr.endswith("name"):
                words = value.split()
                kept = words[:1] + list(itertools.takewhile(lambda w: w[:1].isupper(), words[1:]))
                value = " ".join(kept)
            if value:
                facts[attr] = value
    return facts


def memory_answer(prompt: str, messages: list[dict[str, Any]]) -> str | None:
    asked = _QUESTION.search(prompt)
    attr = " ".join(asked.group(1).lower().split()) if asked else ("name" if _WHO_AM_I.search(prompt) else None)
    if attr is None:
        return None
    value = remembered_facts(messages[:-1] if messages else messages).get(attr)
    if value is None:
        value = remembered_facts(messages).get(attr)
    if value is None:
        return f"I don't know your {attr} yet."
    if re.search(r"\bonly\b", prompt, re.IGNORECASE):
        return value
    return f"Your {attr} is {value}."


def _number(text: str) -> float:
    return float(text)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def arithmetic_answer(prompt: str) -> str | None:
    if not _ARITH_ASK.search(prompt):
        return None
    match = _ARITH.search(prompt)
    if not match:
        return None
    a, op, b = _number(match.group(1)), match.group(2), _number(match.group(3))
    if op == "+":
        result: float | None = a + b
    elif op == "-":
        result = a - b
    elif op in "*x×":
        result = a * b
    else:
        result = a / b if b else None
    shown = "undefined" if result is None else _fmt(result)
    return f"{_fmt(a)} {op} {_fmt(b)} = {shown}."


def plain_reply(prompt: str, messages: list[dict[str, Any]], inp: EngineInput) -> str:
    last_user = next((m for m in reversed(messages) if m["role"] == "user"), None)
    memory = memory_answer(prompt, messages) if prompt else None
    if memory is not None and re.search(r"\bonly\b", prompt, re.IGNORECASE) and not memory.startswith("I don't"):
        return memory  # "Reply with only the name": nothing else
    parts = []
    attachments = describe_attachments(last_user)
    if attachments:
        parts.append(attachments)
    if memory is not None:
        parts.append(memory)
    else:
        arithmetic = arithmetic_answer(prompt)
        if arithmetic is not None:
            parts.append(arithmetic)
        elif prompt:
            parts.append(f'You said: "{excerpt(prompt, 40)}".')
        elif not attachments:
            parts.append("I received your message.")
    if inp.in_thread:
        parts.append(f"This is turn {inp.turn} of this thread.")
    elif inp.turn > 1:
        parts.append(f"This is turn {inp.turn} of this conversation.")
    return " ".join(parts)


# -- retrieval ------------------------------------------------------------------------------


def file_type(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name else "txt"


def chunk_source(hit: Hit) -> dict[str, Any]:
    name = str(hit.doc_metadata.get("file_name") or hit.name)
    return {
        "type": "context.chunk",
        "id": hit.chunk_id,
        "score": hit.score,
        "text": hit.text,
        "document": {
            "object": "artifact",
            "artifact": hit.artifact_id,
            "doc_metadata": {"file_name": name, "file_type": file_type(name)},
        },
    }


def rag_blocks(hits: list[Hit], prompt: str, inp: EngineInput, *, sources: bool) -> list[dict[str, Any]]:
    if not hits:
        text = "I found no passage about that in the documents in scope. " + plain_reply(prompt, inp.messages, inp)
        return [{"type": "text", "text": text}]
    best = hits[0]
    text = f"According to {best.name}: {excerpt(best.text, 60)}"
    if len(hits) > 1:
        text += f" ({len(hits)} relevant passages found.)"
    block: dict[str, Any] = {"type": "text", "text": text}
    out = [block]
    if sources:
        block["citations"] = [
            {"id": hit.chunk_id, "index": str(n), "artifact_id": hit.artifact_id, "source_id": hit.chunk_id}
            for n, hit in enumerate(hits, start=1)
        ]
        out.append({"type": "source", "sources": [chunk_source(hit) for hit in hits]})
    return out


def run_builtin(tool: dict[str, Any], prompt: str, inp: EngineInput, use_id: str) -> tuple[list[dict[str, Any]], list[Hit]]:
    kind = tool.get("type")
    name = tool["name"]
    hits: list[Hit] = []
    if kind in SEARCH_TOOL_TYPES:
        use_input: dict[str, Any] = {"query": prompt}
        if inp.tool_search is None:
            result = "No documents are in scope to search."
        else:
            hits = inp.tool_search(prompt, 5)
            if hits:
                lines = [f"[{n}] {hit.name}: {hit.text}" for n, hit in enumerate(hits, start=1)]
                result = f"Found {len(hits)} matching passages:\n" + "\n".join(lines)
            else:
                result = "Found no matching passages."
    elif kind == "list_project_files_v1":
        use_input = {}
        files = inp.list_files() if inp.list_files is not None else []
        result = "Project files: " + (", ".join(files) if files else "none") + "."
    else:
        use_input = {"query": prompt}
        result = f"{kind} is not available in the Zylon emulator (it has no external data)."
    blocks = [
        {"type": "tool_use", "id": use_id, "name": name, "input": use_input},
        {"type": "tool_result", "tool_use_id": use_id, "content": [{"type": "text", "text": result}], "is_error": False},
    ]
    return blocks, hits


def builtin_summary(tools: list[dict[str, Any]], inp: EngineInput) -> str:
    kinds = {t.get("type") for t in tools}
    if kinds == {"list_project_files_v1"}:
        files = inp.list_files() if inp.list_files is not None else []
        return f"The project has {len(files)} file{'' if len(files) == 1 else 's'}" + (": " + ", ".join(files) + "." if files else ".")
    names = ", ".join(t["name"] for t in tools)
    return f"I could not get data from {names}: the emulator has no external data."


# -- tool choice ----------------------------------------------------------------------------------

_INTENT = re.compile(r"\b(?:use|call|invoke|run)\b[^.?!]{0,30}\b(?:tools?|functions?)\b|\bcall\b", re.IGNORECASE)
_GENERIC_NAME_WORDS = frozenset({"get", "set", "tool", "tools", "function", "fn", "do", "make", "run", "call", "v1"})


def _name_words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", name.lower()) if w and w not in _GENERIC_NAME_WORDS and w not in STOP_WORDS}


def mention_position(name: str, prompt: str) -> int | None:
    spaced = name.replace("_", " ").replace("-", " ")
    positions = []
    for form in {name, spaced}:
        match = re.search(r"(?<![\w])" + re.escape(form) + r"(?![\w])", prompt, re.IGNORECASE)
        if match:
            positions.append(match.start())
    return min(positions) if positions else None


def best_match(tools: list[dict[str, Any]], prompt: str) -> dict[str, Any]:
    words = set(re.findall(r"\w+", prompt.lower()))

    def score(tool: dict[str, Any]) -> int:
        described = _name_words(tool["name"]) | {w for w in re.findall(r"\w+", (tool.get("description") or "").lower()) if w not in STOP_WORDS}
        return len(_name_words(tool["name"]) & words) * 2 + len(described & words)

    return max(tools, key=lambda t: (score(t), -tools.index(t)))


def choose_tools(tools: list[dict[str, Any]], choice: dict[str, Any] | None, prompt: str) -> list[dict[str, Any]]:
    if not tools:
        return []
    choice = choice or {}
    kind = choice.get("type") or "auto"
    if kind == "none":
        return []
    if kind == "tool":
        return [t for t in tools if t["name"] == choice.get("name")][:1]
    parallel = not choice.get("disable_parallel_tool_use")
    named = sorted(
        ((pos, i, t) for i, t in enumerate(tools) if (pos := mention_position(t["name"], prompt)) is not None),
        key=lambda item: (item[0], item[1]),
    )
    mentioned = [t for _, _, t in named]
    # A name that is part of a longer mentioned name ("magic_function" in
    # "magic_function_no_args") does not count on its own.
    mentioned = [t for t in mentioned if not any(o is not t and t["name"] in o["name"] and mention_position(o["name"], prompt) is not None for o in mentioned)]
    if mentioned:
        custom_first = [t for t in mentioned if not t.get("type")] or mentioned
        return custom_first if parallel else custom_first[:1]
    custom = [t for t in tools if not t.get("type")]
    builtin = [t for t in tools if t.get("type")]
    if kind == "any":
        return [best_match(custom or builtin, prompt)]
    words = set(re.findall(r"\w+", prompt.lower()))
    if custom:
        related = [t for t in custom if _name_words(t["name"]) & words]
        if related:
            return [best_match(related, prompt)]
        if _INTENT.search(prompt):
            return [best_match(custom, prompt)]
    if builtin:
        searches = [t for t in builtin if t.get("type") in SEARCH_TOOL_TYPES]
        return [(searches or builtin)[0]]
    return []
