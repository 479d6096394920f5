"""The benchmark harness imports, its pure helpers work and every contender gives the same
answer (no timing assertions: benchmarks/run.py is run by hand, see benchmarks/README.md)."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("zylon_bench_run", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_text_deltas_reads_only_text_deltas(run: ModuleType) -> None:
    lines = [
        "event: message_start",
        'data: {"type": "message_start", "message": {}}',
        "",
        'data: {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "a"}}',
        'data: {"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": "t"}}',
        'data: {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "b"}}',
    ]
    assert list(run.text_deltas(lines)) == ["a", "b"]
    assert run.reply_text({"content": [{"type": "text", "text": "x"}, {"type": "thinking", "thinking": "y"}, {"type": "text", "text": "z"}]}) == "xz"


def test_chunk_text_and_describe(run: ModuleType) -> None:
    from langchain_core.messages import AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk

    class Response:
        delta = "d"

    assert run.chunk_text("s") == "s"
    assert run.chunk_text(Response()) == "d"
    assert run.chunk_text(AIMessageChunk(content="c")) == "c"
    assert run.chunk_text(ChatGenerationChunk(message=AIMessageChunk(content="g"))) == "g"
    assert run.chunk_text(AIMessageChunk(content=[{"type": "text", "text": "x"}])) == ""
    text = run.describe(ValueError("bad | thing\nhere" + "x" * 300))
    assert text.startswith("ValueError: bad / thing here") and len(text) <= 160


def test_interleaved_reports_errors_instead_of_dropping(run: ModuleType) -> None:
    calls = {"n": 0}

    def flaky() -> None:
        calls["n"] += 1
        if calls["n"] > 3:
            raise RuntimeError("broke")

    def broken() -> None:
        raise TypeError("Cannot instantiate typing.Union")

    errors: dict[str, str] = {}
    medians = run.interleaved({"ok": lambda: None, "broken": broken, "flaky": flaky}, rounds=3, per_round=2, errors=errors)
    assert set(medians) == {"ok"}
    assert errors == {"broken": "TypeError: Cannot instantiate typing.Union", "flaky": "RuntimeError: broke"}


def test_concurrency_reports_errors(run: ModuleType) -> None:
    async def ok() -> None:
        await asyncio.sleep(0)

    async def broken() -> None:
        raise ValueError("nope")

    errors: dict[str, str] = {}
    rates = asyncio.run(run.concurrency({"ok": ok, "broken": broken}, rounds=2, n=5, errors=errors))
    assert set(rates) == {"ok"} and rates["ok"] > 0
    assert errors == {"broken": "ValueError: nope"}


def test_every_contender_gives_the_same_answer(run: ModuleType, emulator: Any) -> None:
    probe = run.Raw(emulator.base_url)
    reply = probe.call("/deltas 5")
    pieces = list(probe.stream("/deltas 5"))
    assert reply == "".join(pieces) == "tok0 tok1 tok2 tok3 tok4" and len(pieces) == 5
    contenders = run.build_contenders(emulator.base_url, reply, pieces)
    assert set(contenders) >= {
        "raw httpx", "LangChain floor", "LlamaIndex floor", "ChatZylon", "Zylon (LlamaIndex)",
        "ChatAnthropic (/api/gpt)", "LlamaIndex Anthropic (/api/gpt)", "ChatZylon (api=gpt)", "Zylon (LlamaIndex, api=gpt)",
    }
    for name, contender in contenders.items():
        if contender.error:  # a peer that is not installed is reported, never dropped
            assert "Anthropic" in name and contender.error.startswith("setup: ")
            continue
        if "Anthropic" in name:
            continue  # the peers' own compatibility is theirs; the harness reports their errors
        answer = contender.call("/deltas 5")
        text = getattr(answer, "content", None)
        text = text if isinstance(text, str) else getattr(getattr(answer, "message", None), "content", answer)
        assert text == reply, name
        streamed = "".join(run.chunk_text(c) for c in contender.stream("/deltas 5"))
        assert streamed == reply, name
    bare = contenders["ChatZylon"].bare_stream
    assert "".join(run.chunk_text(c) for c in bare("/deltas 5")) == reply


def test_peak_stream_memory_counts_text(run: ModuleType) -> None:
    peak, size = run.peak_stream_memory(lambda prompt: iter(["ab", "cde"]), "p")
    assert size == 5 and peak >= 0
