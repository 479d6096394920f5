"""Benchmark harness: the adapters against raw httpx, each framework's floor, and the peers.

    pip install -e ".[all]" --group bench
    python benchmarks/run.py            # full run (~4 min on 2 cores), writes benchmarks/RESULTS.md
    python benchmarks/run.py --quick    # 3 rounds, prints only (~1 min)

A Zylon emulator runs in its own process on loopback (so its work does not share our
GIL); the ``/deltas N`` prompt makes it answer every route with the same N-delta reply,
so the server's cost is the same for every contender. Contenders are interleaved round
by round (the starting contender rotates) and medians are reported.

Contenders: raw httpx on the Workspace route the adapters use (``/api/v1/app/chat``) and
on ZylonGPT's ``/api/gpt/v1/messages`` (the peers' route); each framework's floor (a
model in that framework doing no I/O and returning the same message / deltas, see
``floors.py``); the same floors fetching their answer with raw httpx inside the call
("floor over wire"); ChatZylon and Zylon (LlamaIndex), on the Workspace route and on
ZylonGPT's (``api="gpt"``, limit: raw httpx on ``/api/gpt``); ChatAnthropic and the
LlamaIndex Anthropic LLM pointed at ``/api/gpt``. A contender that cannot be built or errors is
reported with its error, never dropped.

The limit for an adapter is raw httpx on its route plus its framework's floor. Targets:
per call and per 2,000-delta stream within 1.10x of the limit; 200 concurrent async
calls on one object within 10% of raw httpx's throughput (same client limits: httpx's
defaults on both); peak traced memory while consuming a 100,000-delta stream within 2x
the final text.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.metadata
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable, Iterator

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vector_store  # noqa: E402
from floors import langchain_floor, llama_index_floor  # noqa: E402

TOKEN = "bench-token"
PEER_MODEL = "claude-sonnet-4-5"  # the name the Anthropic peers send; the emulator lists it
HERE = Path(__file__).resolve().parent
HEADERS = {"Authorization": f"Bearer {TOKEN}", "x-org": "default"}
ADAPTERS = {
    # adapter: (raw route, floor, floor over wire, peer)
    "ChatZylon": ("raw httpx", "LangChain floor", "LangChain floor over wire", "ChatAnthropic (/api/gpt)"),
    "Zylon (LlamaIndex)": ("raw httpx", "LlamaIndex floor", "LlamaIndex floor over wire", "LlamaIndex Anthropic (/api/gpt)"),
    # The ZylonGPT route (api="gpt"): its limit is raw httpx on /api/gpt; no floor over that wire.
    "ChatZylon (api=gpt)": ("raw httpx (/api/gpt)", "LangChain floor", "", "ChatAnthropic (/api/gpt)"),
    "Zylon (LlamaIndex, api=gpt)": ("raw httpx (/api/gpt)", "LlamaIndex floor", "", "LlamaIndex Anthropic (/api/gpt)"),
}
PEER_ROUTE = "raw httpx (/api/gpt)"
# Everything after this line in RESULTS.md is hand-written analysis that a new run keeps.
NOTES_MARKER = "<!-- notes: kept by run.py -->"


# -- the server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def emulator_process() -> Iterator[str]:
    """The emulator in its own process; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "zylon_core.emulator", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            # The peers must name a model, and the emulator refuses unknown ones as a real server does.
            "--model-id", "emulator", "--model-id", PEER_MODEL,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"emulator exited: {proc.stderr.read().decode(errors='replace')[-2000:]}") from None  # type: ignore[union-attr]
                if time.monotonic() > deadline:
                    raise RuntimeError("emulator did not start within 30 s") from None
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- raw httpx -----------------------------------------------------------------------


def user_body(prompt: str, stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}]}
    if stream:
        body["stream"] = True
    return body


def text_deltas(lines: Iterable[str]) -> Iterator[str]:
    """Text deltas of an SSE stream's ``data:`` lines (Workspace and ZylonGPT shapes)."""
    for line in lines:
        if line.startswith("data:"):
            event = json.loads(line[5:])
            if event.get("type") == "content_block_delta":
                delta = event["delta"]
                if delta.get("type") == "text_delta":
                    yield delta["text"]


def reply_text(data: dict[str, Any]) -> str:
    return "".join(b.get("text", "") for b in data["content"] if b.get("type") == "text")


class Raw:
    """Raw httpx: one request, ``json.loads`` per SSE line, nothing else."""

    def __init__(self, base: str, path: str = "/api/v1/app/chat", extra: dict[str, Any] | None = None) -> None:
        self.url = f"{base}{path}"
        self.extra = extra or {}
        self.client = httpx.Client(headers=HEADERS)
        self.aclient: httpx.AsyncClient | None = None  # made inside the running loop

    def body(self, prompt: str, stream: bool = False) -> dict[str, Any]:
        return {**self.extra, **user_body(prompt, stream)}

    def call(self, prompt: str) -> str:
        response = self.client.post(self.url, json=self.body(prompt))
        response.raise_for_status()
        return reply_text(response.json())

    def stream(self, prompt: str) -> Iterator[str]:
        with self.client.stream("POST", self.url, json=self.body(prompt, True), headers={"Accept": "text/event-stream"}) as response:
            response.raise_for_status()
            yield from text_deltas(response.iter_lines())

    async def acall(self, prompt: str) -> str:
        if self.aclient is None:
            self.aclient = httpx.AsyncClient(headers=HEADERS)
        response = await self.aclient.post(self.url, json=self.body(prompt))
        response.raise_for_status()
        return reply_text(response.json())


# -- contenders ----------------------------------------------------------------------


@dataclass
class Contender:
    name: str
    call: Callable[[str], Any] | None = None
    stream: Callable[[str], Iterable[Any]] | None = None
    acall: Callable[[str], Awaitable[Any]] | None = None
    bare_stream: Callable[[str], Iterable[Any]] | None = None  # the adapter's own generator
    error: str | None = None
    errors: dict[str, str] = field(default_factory=dict)  # per measurement


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").replace("|", "/")
    return text if len(text) <= 160 else text[:157] + "..."


def build_contenders(base: str, reply: str, pieces: list[str]) -> dict[str, Contender]:
    """Every contender, built fresh; one that cannot be built carries its error."""
    contenders: dict[str, Contender] = {}

    def add(name: str, make: Callable[[], Contender]) -> None:
        try:
            contenders[name] = make()
        except Exception as exc:  # noqa: BLE001 - reported, never dropped
            contenders[name] = Contender(name, error=f"setup: {describe(exc)}")

    def lc_msgs(prompt: str) -> list[Any]:
        from langchain_core.messages import HumanMessage

        return [HumanMessage(prompt)]

    def li_msgs(prompt: str) -> list[Any]:
        from llama_index.core.base.llms.types import ChatMessage

        return [ChatMessage(role="user", content=prompt)]

    raw = Raw(base)
    gpt_raw = Raw(base, "/api/gpt/v1/messages", {"model": "default", "max_tokens": 100000})
    add("raw httpx", lambda: Contender("raw httpx", raw.call, raw.stream, raw.acall))
    add(PEER_ROUTE, lambda: Contender(PEER_ROUTE, gpt_raw.call, gpt_raw.stream, gpt_raw.acall))

    def wire() -> dict[str, Any]:
        own = Raw(base)  # its own client (pool), as every other contender has
        return {"call": own.call, "stream": own.stream, "acall": own.acall}

    def lc_floor(over_wire: bool) -> Contender:
        floor = langchain_floor(reply, pieces, **(wire() if over_wire else {}))
        return Contender("", lambda p: floor.invoke(lc_msgs(p)), lambda p: floor.stream(lc_msgs(p)), lambda p: floor.ainvoke(lc_msgs(p)))

    def li_floor(over_wire: bool) -> Contender:
        floor = llama_index_floor(reply, pieces, **(wire() if over_wire else {}))
        return Contender("", lambda p: floor.chat(li_msgs(p)), lambda p: floor.stream_chat(li_msgs(p)), lambda p: floor.achat(li_msgs(p)))

    add("LangChain floor", lambda: lc_floor(False))
    add("LlamaIndex floor", lambda: li_floor(False))
    add("LangChain floor over wire", lambda: lc_floor(True))
    add("LlamaIndex floor over wire", lambda: li_floor(True))

    def chat_zylon() -> Contender:
        from langchain_zylon import ChatZylon

        model = ChatZylon(base_url=base, api_token=TOKEN)
        return Contender(
            "",
            lambda p: model.invoke(lc_msgs(p)),
            lambda p: model.stream(lc_msgs(p)),
            lambda p: model.ainvoke(lc_msgs(p)),
            bare_stream=lambda p: model._stream(lc_msgs(p)),
        )

    def zylon() -> Contender:
        from llama_index_zylon import Zylon

        llm = Zylon(base_url=base, api_token=TOKEN)
        return Contender(
            "",
            lambda p: llm.chat(li_msgs(p)),
            lambda p: llm.stream_chat(li_msgs(p)),
            lambda p: llm.achat(li_msgs(p)),
        )

    def chat_zylon_gpt() -> Contender:
        from langchain_zylon import ChatZylon

        model = ChatZylon(base_url=base, api_token=TOKEN, api="gpt", max_tokens=100000)
        return Contender("", lambda p: model.invoke(lc_msgs(p)), lambda p: model.stream(lc_msgs(p)), lambda p: model.ainvoke(lc_msgs(p)))

    def zylon_gpt() -> Contender:
        from llama_index_zylon import Zylon

        llm = Zylon(base_url=base, api_token=TOKEN, api="gpt", max_tokens=100000)
        return Contender("", lambda p: llm.chat(li_msgs(p)), lambda p: llm.stream_chat(li_msgs(p)), lambda p: llm.achat(li_msgs(p)))

    def chat_anthropic() -> Contender:
        from langchain_anthropic import ChatAnthropic

        model = ChatAnthropic(
            model=PEER_MODEL, base_url=f"{base}/api/gpt", api_key=TOKEN,
            default_headers={"x-org": "default"}, max_tokens=100000,
        )
        return Contender(
            "",
            lambda p: model.invoke(lc_msgs(p)),
            lambda p: model.stream(lc_msgs(p)),
            lambda p: model.ainvoke(lc_msgs(p)),
        )

    def li_anthropic() -> Contender:
        from llama_index.llms.anthropic import Anthropic

        llm = Anthropic(
            model=PEER_MODEL, base_url=f"{base}/api/gpt", api_key=TOKEN,
            default_headers={"x-org": "default"}, max_tokens=100000,
        )
        return Contender(
            "",
            lambda p: llm.chat(li_msgs(p)),
            lambda p: llm.stream_chat(li_msgs(p)),
            lambda p: llm.achat(li_msgs(p)),
        )

    add("ChatZylon", chat_zylon)
    add("Zylon (LlamaIndex)", zylon)
    add("ChatZylon (api=gpt)", chat_zylon_gpt)
    add("Zylon (LlamaIndex, api=gpt)", zylon_gpt)
    add("ChatAnthropic (/api/gpt)", chat_anthropic)
    add("LlamaIndex Anthropic (/api/gpt)", li_anthropic)
    for name, contender in contenders.items():
        contender.name = name
    return contenders


# -- measurements --------------------------------------------------------------------


def consume(iterator: Iterable[Any]) -> int:
    """Read a stream to its end; the number of items."""
    count = 0
    for _ in iterator:
        count += 1
    return count


def chunk_text(chunk: Any) -> str:
    """The new text a streamed item carries (str, LlamaIndex response, LangChain chunk)."""
    if isinstance(chunk, str):
        return chunk
    if hasattr(chunk, "delta"):
        return chunk.delta or ""
    message = getattr(chunk, "message", chunk)  # a ChatGenerationChunk from a bare _stream
    content = getattr(message, "content", "")
    return content if isinstance(content, str) else ""


def interleaved(
    fns: dict[str, Callable[[], Any]],
    rounds: int,
    per_round: int,
    errors: dict[str, str],
    cpu: dict[str, float] | None = None,
) -> dict[str, float]:
    """Median seconds per call of each function, running each ``per_round`` times per
    round, the starting one rotating. A function that raises is reported in ``errors``;
    ``cpu`` receives each one's median client CPU seconds per call (``process_time``)."""
    live = {}
    for name, fn in fns.items():  # warm up connections and caches
        try:
            fn()
            fn()
            live[name] = fn
        except Exception as exc:  # noqa: BLE001
            errors[name] = describe(exc)
    samples: dict[str, list[float]] = {name: [] for name in live}
    cpu_samples: dict[str, list[float]] = {name: [] for name in live}
    names = list(live)
    for r in range(rounds):
        shift = r % max(len(names), 1)
        for name in names[shift:] + names[:shift]:
            if name in errors:
                continue
            fn = live[name]
            try:
                cpu_start = time.process_time()
                for _ in range(per_round):
                    start = time.perf_counter()
                    fn()
                    samples[name].append(time.perf_counter() - start)
                cpu_samples[name].append((time.process_time() - cpu_start) / per_round)
            except Exception as exc:  # noqa: BLE001
                errors[name] = describe(exc)
    if cpu is not None:
        cpu.update({name: statistics.median(values) for name, values in cpu_samples.items() if values and name not in errors})
    return {name: statistics.median(values) for name, values in samples.items() if values and name not in errors}


async def concurrency(
    acalls: dict[str, Callable[[], Awaitable[Any]]],
    rounds: int,
    n: int,
    errors: dict[str, str],
    spread: dict[str, tuple[float, float]] | None = None,
    cpu: dict[str, float] | None = None,
) -> dict[str, float]:
    """Median calls/s of ``n`` concurrent calls on one object, interleaved by round, in one
    event loop (so every client keeps its connection pool between bursts)."""
    live = {}
    for name, acall in acalls.items():
        try:
            await asyncio.gather(*(acall() for _ in range(n)))  # warm-up: opens the pool
            live[name] = acall
        except Exception as exc:  # noqa: BLE001
            errors[name] = describe(exc)
    rates: dict[str, list[float]] = {name: [] for name in live}
    cpu_per_call: dict[str, list[float]] = {name: [] for name in live}
    names = list(live)
    for r in range(rounds):
        shift = r % max(len(names), 1)
        for name in names[shift:] + names[:shift]:
            if name in errors:
                continue
            try:
                start, cpu_start = time.perf_counter(), time.process_time()
                await asyncio.gather(*(live[name]() for _ in range(n)))
                rates[name].append(n / (time.perf_counter() - start))
                cpu_per_call[name].append((time.process_time() - cpu_start) / n)
            except Exception as exc:  # noqa: BLE001
                errors[name] = describe(exc)
    if cpu is not None:
        cpu.update({name: statistics.median(values) for name, values in cpu_per_call.items() if values and name not in errors})
    if spread is not None:
        spread.update({name: (min(values), max(values)) for name, values in rates.items() if values and name not in errors})
    return {name: statistics.median(values) for name, values in rates.items() if values and name not in errors}


def peak_stream_memory(stream: Callable[[str], Iterable[Any]], prompt: str) -> tuple[int, int]:
    """(peak bytes traced while consuming the stream, characters of text it carried)."""
    gc.collect()
    tracemalloc.start()
    try:
        total = 0
        for chunk in stream(prompt):
            total += len(chunk_text(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, total


# -- report --------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}; {platform.platform()}; Python {platform.python_version()}"


def versions() -> str:
    names = ("httpx", "langchain-core", "llama-index-core", "pydantic", "anthropic", "langchain-anthropic", "llama-index-llms-anthropic")
    out = []
    for name in names:
        try:
            out.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def load() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def verdict(ok: bool, target: str) -> str:
    return f"{'met' if ok else 'MISSED'} ({target})"


def cell(value: float | None, error: str | None, fmt: str) -> str:
    if error:
        return f"error: {error}"
    return "n/a" if value is None else format(value, fmt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds; print, do not write RESULTS.md")
    parser.add_argument("--rounds", type=int, default=25, help="interleaved rounds (default 25; --quick: 3)")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"), help="where to write the results")
    parser.add_argument("--no-memory", action="store_true", help="skip the 100,000-delta memory section")
    parser.add_argument(
        "--only", choices=("chat", "vector-store"), default=None,
        help="run one scenario: the chat sections, or the vector store (add and search against raw httpx); prints only",
    )
    parser.add_argument(
        "--no-freeze", action="store_true",
        help="do not gc.freeze() the heap built before measuring (see the README: full collections then rescan every imported library)",
    )
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else args.rounds

    lines: list[str] = []

    def out(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    started = time.time()
    load_before = load()
    if args.only == "vector-store":
        with emulator_process() as base:
            out(f"# Vector store benchmark ({rounds} interleaved rounds, medians; load average before {load_before})")
            vector_store.section(base, TOKEN, HEADERS, rounds, interleaved, out)
        out(f"\nLoad average after: {load()}; took {time.time() - started:.0f} s.")
        return 0
    with emulator_process() as base:
        probe = Raw(base)
        call_prompt, stream_prompt, long_prompt = "/deltas 20", "/deltas 2000", "/deltas 100000"
        reply = probe.call(call_prompt)
        stream_pieces = list(probe.stream(stream_prompt))
        if len(stream_pieces) != 2000:
            raise RuntimeError(f"the emulator gave {len(stream_pieces)} deltas for {stream_prompt!r}")
        call_pieces = list(probe.stream(call_prompt))

        per_call = build_contenders(base, reply, call_pieces)
        per_stream = build_contenders(base, "".join(stream_pieces), stream_pieces)

        if not args.no_freeze:
            # This process imports both frameworks and both peers; without this every full
            # collection (which streams that retain their chunks trigger) rescans all of
            # that, and a few 200-400 ms pauses land on whichever contender is running.
            gc.collect()
            gc.freeze()

        command = " ".join(["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])])
        out("# Benchmark results\n")
        out(f"- Command: `{command}`")
        out(f"- Machine: {machine()}")
        out(f"- Packages: {versions()}")
        out(f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}; {rounds} interleaved rounds, medians; "
            f"heap before measuring {'not ' if args.no_freeze else ''}frozen (gc.freeze); load average before {load_before}")
        out("")

        call_errors: dict[str, str] = {}
        stream_errors: dict[str, str] = {}
        for name, c in per_call.items():
            if c.error:
                call_errors[name] = c.error
        for name, c in per_stream.items():
            if c.error:
                stream_errors[name] = c.error
        call_cpu: dict[str, float] = {}
        stream_cpu: dict[str, float] = {}
        call_t = interleaved(
            {n: (lambda f=c.call: f(call_prompt)) for n, c in per_call.items() if c.call and n not in call_errors},
            rounds, 20, call_errors, call_cpu,
        )
        stream_t = interleaved(
            {n: (lambda f=c.stream: consume(f(stream_prompt))) for n, c in per_stream.items() if c.stream and n not in stream_errors},
            rounds, 1, stream_errors, stream_cpu,
        )

        out("## Per call (`invoke` / `chat`, a 20-delta reply) and a 2,000-delta stream consumed end to end\n")
        out("Wall-clock medians; in brackets the client process's CPU time (server excluded).\n")
        out("| contender | per call (ms) | stream (ms) |")
        out("| --- | ---: | ---: |")
        for name in per_call:
            call_cell = cell(call_t.get(name, 0) * 1e3, call_errors.get(name), ".3f")
            stream_cell = cell(stream_t.get(name, 0) * 1e3, stream_errors.get(name), ".1f")
            if name in call_cpu:
                call_cell += f" ({call_cpu[name] * 1e3:.3f})"
            if name in stream_cpu:
                stream_cell += f" ({stream_cpu[name] * 1e3:.1f})"
            out(f"| {name} | {call_cell} | {stream_cell} |")

        out("\nLimit = raw httpx + the framework's floor (each measured on its own). "
            "\"Over wire\" = the floor fetching its answer with raw httpx inside the call.\n")
        out("| adapter | limit per call (ms) | adapter / limit | vs floor over wire | peer / limit | limit stream (ms) | adapter / limit | vs floor over wire | peer / limit |")
        out("| --- | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: |")
        for adapter, (route, floor, composite, peer) in ADAPTERS.items():
            row = [adapter]
            for times in (call_t, stream_t):
                if route in times and floor in times and adapter in times:
                    limit = times[route] + times[floor]
                    ratio = times[adapter] / limit
                    over = f"{times[adapter] / times[composite]:.2f}x" if composite in times else "n/a"
                    peer_ratio = f"{times[peer] / limit:.2f}x" if peer in times else "n/a (see above)"
                    row += [f"{limit * 1e3:.3f}" if times is call_t else f"{limit * 1e3:.1f}", f"{ratio:.2f}x, {verdict(ratio <= 1.10, '<= 1.10x')}", over, peer_ratio]
                else:
                    row += ["n/a", "n/a (an input errored)", "n/a", "n/a"]
            out("| " + " | ".join(row) + " |")

        out("\n## 200 concurrent async calls on one object\n")
        out("One event loop; each contender's client keeps its pool between bursts (httpx's default limits, "
            "100 connections / 20 kept alive, for raw httpx, the floors over wire and both adapters; the Anthropic "
            "SDK's own defaults for the peers). \"vs floor over wire\": against the framework's floor making the same "
            "raw httpx call in its async method.\n")
        conc_errors: dict[str, str] = {}
        acalls: dict[str, Callable[[], Awaitable[Any]]] = {}
        for name, c in per_call.items():
            if name == PEER_ROUTE or name.endswith(" floor"):
                continue
            if c.error:
                conc_errors[name] = c.error
            elif c.acall is not None:
                acalls[name] = lambda f=c.acall: f(call_prompt)
        spread: dict[str, tuple[float, float]] = {}
        conc_cpu: dict[str, float] = {}
        rates = asyncio.run(concurrency(acalls, max(2 * rounds, 2), 200, conc_errors, spread, conc_cpu))
        out("| contender | calls/s (median) | min - max | client CPU per call (ms) | vs raw httpx | vs floor over wire | target |")
        out("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for name in [n for n in per_call if n in acalls or n in conc_errors]:
            if name in conc_errors or name not in rates:
                out(f"| {name} | error: {conc_errors.get(name, 'not measured')} | | | | | |")
                continue
            ratio = rates[name] / rates["raw httpx"] if "raw httpx" in rates else float("nan")
            composite = ADAPTERS[name][2] if name in ADAPTERS else None
            over = f"{rates[name] / rates[composite]:.2f}" if composite in rates else ""
            target = verdict(ratio >= 0.90, ">= 0.90") if name in ADAPTERS else ""
            low, high = spread.get(name, (float("nan"), float("nan")))
            out(f"| {name} | {rates[name]:.0f} | {low:.0f} - {high:.0f} | {conc_cpu.get(name, float('nan')) * 1e3:.2f} | {ratio:.2f} | {over} | {target} |")

        if not args.no_memory:
            out("\n## Peak traced memory while consuming a 100,000-delta stream\n")
            out("tracemalloc peak while reading the stream and keeping only a running count of its text. "
                "\"Own\" = the contender's peak minus its framework floor's (what the adapter adds).\n")
            long_reply_pieces = list(probe.stream(long_prompt))
            long_floors = build_contenders(base, "".join(long_reply_pieces), long_reply_pieces)
            memory_rows: list[tuple[str, Callable[[str], Iterable[Any]] | None, str | None, str | None]] = [
                ("raw httpx", long_floors["raw httpx"].stream, None, None),
                ("LangChain floor", long_floors["LangChain floor"].stream, None, None),
                ("LlamaIndex floor", long_floors["LlamaIndex floor"].stream, None, None),
                ("ChatZylon (`stream`)", per_stream["ChatZylon"].stream, "LangChain floor", per_stream["ChatZylon"].error),
                ("ChatZylon (its `_stream` generator)", per_stream["ChatZylon"].bare_stream, None, per_stream["ChatZylon"].error),
                ("Zylon (LlamaIndex)", per_stream["Zylon (LlamaIndex)"].stream, "LlamaIndex floor", per_stream["Zylon (LlamaIndex)"].error),
                ("ChatAnthropic (/api/gpt)", per_stream["ChatAnthropic (/api/gpt)"].stream, "LangChain floor", per_stream["ChatAnthropic (/api/gpt)"].error),
                ("LlamaIndex Anthropic (/api/gpt)", per_stream["LlamaIndex Anthropic (/api/gpt)"].stream, "LlamaIndex floor", per_stream["LlamaIndex Anthropic (/api/gpt)"].error),
            ]
            peaks: dict[str, int] = {}
            out("| contender | peak (KiB) | final text (KiB) | peak / text | own (KiB) | own / text | target (<= 2x text) |")
            out("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
            for name, stream, floor, error in memory_rows:
                if error or stream is None:
                    out(f"| {name} | error: {error or 'no stream'} | | | | | |")
                    continue
                try:
                    peak, size = peak_stream_memory(stream, long_prompt)
                except Exception as exc:  # noqa: BLE001
                    out(f"| {name} | error: {describe(exc)} | | | | | |")
                    continue
                peaks[name] = peak
                ratio = peak / max(size, 1)
                own = peak - peaks[floor] if floor in peaks else peak
                own_ratio = own / max(size, 1)
                target = verdict(own_ratio <= 2.0, "own <= 2x") if name.startswith(("ChatZylon", "Zylon")) else ""
                out(f"| {name} | {peak / 1024:.0f} | {size / 1024:.0f} | {ratio:.2f}x | {own / 1024:.0f} | {own_ratio:.2f}x | {target} |")

        if args.only != "chat":
            vector_store.section(base, TOKEN, HEADERS, rounds, interleaved, out)

    out(f"\nLoad average after: {load()}; took {time.time() - started:.0f} s.")
    if not args.quick:
        path = Path(args.out)
        kept = ""
        if path.exists() and NOTES_MARKER in path.read_text():
            kept = "\n" + NOTES_MARKER + path.read_text().split(NOTES_MARKER, 1)[1]
        path.write_text("\n".join(lines) + "\n" + kept)
        print(f"\nwrote {args.out}" + (" (hand-written notes below the marker kept)" if kept else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
