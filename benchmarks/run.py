"""Benchmark harness: the adapters against raw httpx, each framework's floor, and the peers.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python benchmarks/run.py            # writes benchmarks/RESULTS.md
    .venv/bin/python benchmarks/run.py --quick    # fewer rounds, prints only

A Zylon emulator runs in its own process on loopback (so its work does not share our
GIL); the ``/deltas N`` prompt makes it answer every route with the same N-delta reply,
so the server's cost is the same for every contender. Contenders are interleaved round
by round and medians are reported. The limit for an adapter is raw httpx on the same
route plus its framework's floor (a model in that framework that does no I/O).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floors import langchain_floor, llama_index_floor  # noqa: E402

TOKEN = "bench-token"
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def emulator_process() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zylon_core.emulator", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("emulator did not start")
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def user_body(prompt: str, stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}]}
    if stream:
        body["stream"] = True
    return body


HEADERS = {"Authorization": f"Bearer {TOKEN}", "x-org": "default"}


class Raw:
    """Raw httpx on the Workspace /chat route: the wire's own cost."""

    def __init__(self, base: str) -> None:
        self.url = f"{base}/api/v1/app/chat"
        self.client = httpx.Client(headers=HEADERS)
        self.aclient: httpx.AsyncClient | None = None

    def call(self, prompt: str) -> str:
        data = self.client.post(self.url, json=user_body(prompt)).json()
        return "".join(b.get("text", "") for b in data["content"])

    def stream(self, prompt: str) -> Iterator[str]:
        with self.client.stream("POST", self.url, json=user_body(prompt, True), headers={"Accept": "text/event-stream"}) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    if event.get("type") == "content_block_delta" and event["delta"].get("type") == "text_delta":
                        yield event["delta"]["text"]

    async def acall(self, prompt: str) -> str:
        if self.aclient is None:
            self.aclient = httpx.AsyncClient(headers=HEADERS)
        data = (await self.aclient.post(self.url, json=user_body(prompt))).json()
        return "".join(b.get("text", "") for b in data["content"])


def build_contenders(base: str, reply: str, pieces: list[str]) -> dict[str, dict[str, Callable[..., Any]]]:
    from langchain_core.messages import HumanMessage
    from llama_index.core.base.llms.types import ChatMessage

    from langchain_zylon import ChatZylon
    from llama_index_zylon import Zylon

    raw = Raw(base)
    lc_floor = langchain_floor(reply, pieces)
    li_floor = llama_index_floor(reply, pieces)
    chat_zylon = ChatZylon(base_url=base, api_token=TOKEN, max_retries=0)
    li_zylon = Zylon(base_url=base, api_token=TOKEN, max_retries=0)

    def lc_msgs(p: str) -> list[Any]:
        return [HumanMessage(p)]

    def li_msgs(p: str) -> list[Any]:
        return [ChatMessage(role="user", content=p)]

    contenders: dict[str, dict[str, Callable[..., Any]]] = {
        "raw httpx": {"call": raw.call, "stream": raw.stream, "acall": raw.acall},
        "LangChain floor": {
            "call": lambda p: lc_floor.invoke(lc_msgs(p)),
            "stream": lambda p: lc_floor.stream(lc_msgs(p)),
        },
        "LlamaIndex floor": {
            "call": lambda p: li_floor.chat(li_msgs(p)),
            "stream": lambda p: li_floor.stream_chat(li_msgs(p)),
        },
        "ChatZylon": {
            "call": lambda p: chat_zylon.invoke(lc_msgs(p)),
            "stream": lambda p: chat_zylon.stream(lc_msgs(p)),
            "acall": lambda p: chat_zylon.ainvoke(lc_msgs(p)),
        },
        "Zylon (LlamaIndex)": {
            "call": lambda p: li_zylon.chat(li_msgs(p)),
            "stream": lambda p: li_zylon.stream_chat(li_msgs(p)),
            "acall": lambda p: li_zylon.achat(li_msgs(p)),
        },
    }
    try:
        from langchain_anthropic import ChatAnthropic

        anthropic = ChatAnthropic(
            model="claude-sonnet-4-5", base_url=f"{base}/api/gpt", api_key=TOKEN, max_retries=0,
            default_headers={"x-org": "default"}, max_tokens=100000,
        )
        contenders["ChatAnthropic (/api/gpt)"] = {
            "call": lambda p: anthropic.invoke(lc_msgs(p)),
            "stream": lambda p: anthropic.stream(lc_msgs(p)),
            "acall": lambda p: anthropic.ainvoke(lc_msgs(p)),
        }
    except ImportError:
        pass
    try:
        from llama_index.llms.anthropic import Anthropic

        li_anthropic = Anthropic(
            model="claude-sonnet-4-5", base_url=f"{base}/api/gpt", api_key=TOKEN, max_retries=0,
            default_headers={"x-org": "default"}, max_tokens=100000,
        )
        contenders["LlamaIndex Anthropic (/api/gpt)"] = {
            "call": lambda p: li_anthropic.chat(li_msgs(p)),
            "stream": lambda p: li_anthropic.stream_chat(li_msgs(p)),
            "acall": lambda p: li_anthropic.achat(li_msgs(p)),
        }
    except ImportError:
        pass
    return contenders


def interleaved(contenders: dict[str, Callable[[], Any]], rounds: int, per_round: int) -> dict[str, float]:
    """Median seconds per call, running every contender once per round in turn."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for fn in contenders.values():  # warm up connections and caches
        fn()
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            fn = contenders[name]
            for _ in range(per_round):
                start = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


async def throughput(acall: Callable[[str], Any], prompt: str, concurrency: int) -> float:
    await acall(prompt)  # warm-up on this loop
    start = time.perf_counter()
    await asyncio.gather(*(acall(prompt) for _ in range(concurrency)))
    return concurrency / (time.perf_counter() - start)


def peak_stream_memory(stream: Callable[[str], Any], prompt: str) -> tuple[int, int]:
    """(peak bytes allocated while consuming, length of the final text)."""
    gc.collect()
    tracemalloc.start()
    total = 0
    for chunk in stream(prompt):
        total += len(_chunk_text(chunk))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, total


def consume(iterator: Any) -> None:
    for _ in iterator:
        pass


def _chunk_text(chunk: Any) -> str:
    if isinstance(chunk, str):
        return chunk
    if hasattr(chunk, "delta"):
        return chunk.delta or ""
    content = getattr(chunk, "content", "")
    return content if isinstance(content, str) else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds; print, do not write RESULTS.md")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds

    lines: list[str] = []

    def out(text: str = "") -> None:
        print(text)
        lines.append(text)

    with emulator_process() as base:
        raw = Raw(base)
        call_prompt, stream_prompt = "/deltas 20", "/deltas 2000"
        reply = raw.call(call_prompt)
        stream_pieces = list(raw.stream(stream_prompt))
        assert len(stream_pieces) == 2000, f"emulator gave {len(stream_pieces)} deltas"
        call_pieces = list(raw.stream(call_prompt))

        per_call = build_contenders(base, reply, call_pieces)
        per_stream = build_contenders(base, "".join(stream_pieces), stream_pieces)

        out(f"# Benchmark results\n\nCommand: `{' '.join(['python', 'benchmarks/run.py', *sys.argv[1:]])}`  ")
        out(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}  ")
        out(f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {rounds} interleaved rounds, medians.\n")

        call_t = interleaved({n: (lambda f=c["call"]: f(call_prompt)) for n, c in per_call.items()}, rounds, 20)
        stream_t = interleaved({n: (lambda f=c["stream"]: consume(f(stream_prompt))) for n, c in per_stream.items()}, rounds, 1)

        limits = {
            "ChatZylon": ("LangChain floor", "ChatAnthropic (/api/gpt)"),
            "Zylon (LlamaIndex)": ("LlamaIndex floor", "LlamaIndex Anthropic (/api/gpt)"),
        }
        out("## Per call (`invoke` / `chat`, 20-delta reply) and 2,000-delta stream\n")
        out("| contender | per call (ms) | stream (ms) |")
        out("| --- | ---: | ---: |")
        for name in per_call:
            out(f"| {name} | {call_t[name] * 1e3:.3f} | {stream_t[name] * 1e3:.1f} |")
        out("\n| adapter | limit per call (ms) | ratio | target | limit stream (ms) | ratio | target | peer/limit call | peer/limit stream |")
        out("| --- | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |")
        for adapter, (floor, peer) in limits.items():
            lc = call_t["raw httpx"] + call_t[floor]
            ls = stream_t["raw httpx"] + stream_t[floor]
            rc, rs = call_t[adapter] / lc, stream_t[adapter] / ls
            pc = f"{call_t[peer] / lc:.2f}x" if peer in call_t else "n/a"
            ps = f"{stream_t[peer] / ls:.2f}x" if peer in stream_t else "n/a"
            out(f"| {adapter} | {lc * 1e3:.3f} | {rc:.2f}x | {'met' if rc <= 1.10 else 'MISSED'} (<= 1.10x) | {ls * 1e3:.1f} | {rs:.2f}x | {'met' if rs <= 1.10 else 'MISSED'} (<= 1.10x) | {pc} | {ps} |")

        out("\n## 200 concurrent async calls on one object\n")
        out("| contender | calls/s | vs raw httpx | target |")
        out("| --- | ---: | ---: | --- |")
        rates = {}
        for name in ("raw httpx", "ChatZylon", "Zylon (LlamaIndex)"):
            acall = per_call[name]["acall"]
            rates[name] = statistics.median(asyncio.run(throughput(acall, call_prompt, 200)) for _ in range(max(rounds // 3, 1)))
        for name, rate in rates.items():
            ratio = rate / rates["raw httpx"]
            target = "" if name == "raw httpx" else ("met" if ratio >= 0.90 else "MISSED") + " (>= 0.90)"
            out(f"| {name} | {rate:.0f} | {ratio:.2f} | {target} |")

        out("\n## Peak memory while consuming a 100,000-delta stream (tracemalloc)\n")
        out("| contender | peak (KiB) | final text (KiB) | ratio | target |")
        out("| --- | ---: | ---: | ---: | --- |")
        long_prompt = "/deltas 100000"
        for name in ("ChatZylon", "Zylon (LlamaIndex)"):
            peak, size = peak_stream_memory(per_stream[name]["stream"], long_prompt)
            ratio = peak / max(size, 1)
            out(f"| {name} | {peak / 1024:.0f} | {size / 1024:.0f} | {ratio:.2f}x | {'met' if ratio <= 2.0 else 'MISSED'} (<= 2x) |")

    if not args.quick:
        Path(args.out).write_text("\n".join(lines) + "\n")
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
