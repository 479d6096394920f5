"""The deterministic answer engine: a stand-in for a model, not a model.

Same input, same output; nothing random, no clock. "Tokens" are whitespace-separated
words. The rules, in the order they are tried:

1. ``/deltas N`` (the last user text, exactly): the text ``tok0 tok1 ... tok{N-1}``,
   streamed as exactly N text deltas (benchmarks). No thinking, no ``max_tokens`` cut.
2. Tool results: if the last message carries ``tool_result`` blocks, a text answer
   quoting them (``The result of magic_function is 5.``); no new tool call. Their
   ``content`` may be a string or a block list.
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

``document`` and ``binary`` blocks of the new turn are converted first (a
``document_preprocessing`` server tool per document); their text joins the prompt and
the plain reply quotes it. ``thinking.enabled`` puts a ``thinking`` block (``Thinking
about: <text>``, with a ``signature``) before the answer. ``max_tokens`` cuts text blocks
to that many words (``stop_reason: max_tokens``), except for rules 1 and 3;
``stop_sequences`` cut the text before the first one found (``stop_reason:
stop_sequence``). Usage: ``input_tokens`` = words of the system text and every
message; ``output_tokens`` = words of the output (text, thinking, tool inputs/results).

Tool inputs and JSON answers are filled from their JSON schema with what the prompt
offers (its numbers, quoted text, places, names): see :mod:`.schema_values`.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from .schema_values import Values, fill_schema, unwrap_json_schema
from .server_tools import (
    CITATION,
    SCOPE_TOOL,
    SEARCH_TOOL_TYPES,
    builtin_summary,
    cited_answer,
    excerpt,
    preprocess_documents,
    run_builtin,
    server_tool_id,
    signature,
    tool_use_id,
)
from .state import STOP_WORDS, Hit

DELTAS = re.compile(r"^/deltas\s+(\d+)$")
WORD = re.compile(r"\S+")


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


def result_blocks(content: Any) -> list[dict[str, Any]]:
    """A tool result's content as blocks (a string is one text block)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or () if isinstance(b, dict)]


def block_words(block: dict[str, Any]) -> int:
    kind = block.get("type")
    if kind == "text":
        return count_words(CITATION.sub("", block.get("text") or ""))
    if kind == "thinking":
        return count_words(block.get("thinking") or "")
    if kind in ("tool_use", "server_tool_use"):
        return count_words(json.dumps(block.get("input") or {}, ensure_ascii=False))
    if kind in ("tool_result", "server_tool_result", "tldr"):
        return sum(block_words(b) for b in result_blocks(block.get("content")))
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
    zylon: bool = False  # system.extensions has "zylon": sources nested in tool results
    max_tokens: int | None = None
    stop_sequences: list[str] = field(default_factory=list)
    correlation_id: str | None = None
    source_key: str = "object"
    # Artifacts in scope (Workspace RAG); None when the request has no artifact scope.
    search: Callable[[str, int], list[Hit]] | None = None
    # What built-in search tools search; None when nothing was given to search.
    tool_search: Callable[[str, int], list[Hit]] | None = None
    list_files: Callable[[], list[str]] | None = None
    turn: int = 1
    in_thread: bool = False
    id_seed: str = ""


@dataclass
class EngineOutput:
    content: list[dict[str, Any]]
    stop_reason: str  # Anthropic vocabulary: end_turn, tool_use, max_tokens, stop_sequence
    usage: dict[str, int]
    pieces: dict[int, list[str]] = field(default_factory=dict)  # exact text deltas per block
    stop_sequence: str | None = None


def count_input_tokens(inp: EngineInput) -> int:
    """Words of the system text, every message and the new turn's documents."""
    messages = inp.messages
    last_user = next((m for m in reversed(messages) if m["role"] == "user"), None)
    _, documents = preprocess_documents(last_user, inp.id_seed)
    words = count_words(inp.system) + sum(block_words(b) for m in messages for b in m["content"])
    return words + sum(count_words(text) for _, text in documents)


def generate(inp: EngineInput) -> EngineOutput:
    messages = inp.messages
    last_user = next((m for m in reversed(messages) if m["role"] == "user"), None)
    prompt = text_of(last_user) if last_user is not None else ""
    last: dict[str, Any] = messages[-1] if messages else {"role": "user", "content": []}
    has_results = any(b.get("type") == "tool_result" for b in last["content"])
    converted, documents = preprocess_documents(last_user if not has_results else None, inp.id_seed)
    input_tokens = count_input_tokens(inp)

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

    content: list[dict[str, Any]] = list(converted)
    if inp.thinking:
        about = excerpt(prompt, 12) if prompt and not has_results else "the tool results"
        content.append({"type": "thinking", "thinking": f"Thinking about: {about}", "signature": signature(inp.id_seed), "citations": []})
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
        if not chosen and inp.search is not None:
            chosen = [SCOPE_TOOL]
            inp = _with_tool_search(inp, inp.search)
        if custom:
            values = Values(prompt)
            for position, tool in enumerate(custom):
                schema = tool.get("inputSchema") or tool.get("input_schema") or {}
                content.append(
                    {
                        "type": "tool_use",
                        "id": tool_use_id(inp.id_seed, position),
                        "name": tool["name"],
                        "input": fill_schema(schema, values, root=schema, top=True) or {},
                    }
                )
            stop_reason = "tool_use"
        elif chosen:
            content.extend(_builtin_answer(chosen, prompt, inp))
        else:
            content.append({"type": "text", "text": plain_reply(prompt, messages, inp, documents)})

    if can_truncate and stop_reason == "end_turn" and inp.stop_sequences:
        found = cut_at_stop_sequence(content, inp.stop_sequences)
        if found is not None:
            output_tokens = sum(block_words(b) for b in content)
            return EngineOutput(content, "stop_sequence", {"input_tokens": input_tokens, "output_tokens": output_tokens}, stop_sequence=found)
    if can_truncate and stop_reason == "end_turn" and inp.max_tokens is not None:
        if truncate(content, inp.max_tokens):
            stop_reason = "max_tokens"
    output_tokens = sum(block_words(b) for b in content)
    return EngineOutput(content, stop_reason, {"input_tokens": input_tokens, "output_tokens": output_tokens})


def _with_tool_search(inp: EngineInput, search: Callable[[str, int], list[Hit]]) -> EngineInput:
    return replace(inp, tool_search=search)


def _builtin_answer(chosen: list[dict[str, Any]], prompt: str, inp: EngineInput) -> list[dict[str, Any]]:
    """Run the chosen built-in tools, then answer from what they found."""
    blocks: list[dict[str, Any]] = []
    hits: list[Hit] = []
    failed = []
    for position, tool in enumerate(chosen):
        ran, found = run_builtin(tool, prompt, inp, server_tool_id(inp.id_seed, position))
        blocks.extend(ran)
        if ran[-1].get("is_error"):
            failed.append(str(ran[-1]["content"]))
        hits.extend(h for h in found if h.chunk_id not in {x.chunk_id for x in hits})
    if hits:
        blocks.append(cited_answer(hits, inp, ""))
    elif any(t.get("type") in SEARCH_TOOL_TYPES for t in chosen):
        reason = f" ({failed[0]})" if failed else ""
        text = f"I found no passage about that in the documents in scope{reason}. " + plain_reply(prompt, inp.messages, inp, [])
        blocks.append({"type": "text", "text": text})
    else:
        blocks.append({"type": "text", "text": builtin_summary(chosen, inp)})
    return blocks


# -- pieces of answers --------------------------------------------------------------------------


def cut_at_stop_sequence(content: list[dict[str, Any]], sequences: list[str]) -> str | None:
    """Cut the first text block holding a stop sequence before it (later blocks go)."""
    for position, block in enumerate(content):
        if block.get("type") != "text":
            continue
        text = block.get("text") or ""
        found = [(text.find(s), s) for s in sequences if s and s in text]
        if found:
            where, sequence = min(found)
            block["text"] = text[:where]
            del content[position + 1 :]
            return sequence
    return None


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
            block.pop("citations", None)
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
            text = "\n".join(b.get("text", "") for b in result_blocks(block.get("content")) if b.get("type") == "text")
            text = text.strip() or "empty"
            if block.get("is_error"):
                sentences.append(f"The tool {name} reported an error: {text}")
            else:
                sentences.append(f"The result of {name} is {text}.")
    return " ".join(sentences)


_ATTACHMENT_NAMES = {"image": "image", "audio": "audio clip"}


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


def plain_reply(prompt: str, messages: list[dict[str, Any]], inp: EngineInput, documents: list[tuple[str, str]]) -> str:
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
        elif not attachments and not documents:
            parts.append("I received your message.")
    for name, text in documents:
        parts.append(f'The document {name} says: "{excerpt(text, 40)}".')
    if inp.in_thread:
        parts.append(f"This is turn {inp.turn} of this thread.")
    elif inp.turn > 1:
        parts.append(f"This is turn {inp.turn} of this conversation.")
    return " ".join(parts)


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
