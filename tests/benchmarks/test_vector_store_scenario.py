"""The benchmark's vector-store scenario (benchmarks/vector_store.py): raw httpx sends the
same requests as the adapters and every contender finds the same chunks with the same
metadata; the section runs and reports no error (no timing assertions)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from langchain_core.documents import Document

from langchain_zylon import ZylonVectorStore
from tests.conftest import TEST_TOKEN

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
HEADERS = {"Authorization": f"Bearer {TEST_TOKEN}", "x-org": "default"}


def _load(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"zylon_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def vs() -> ModuleType:
    return _load("vector_store")


def test_raw_httpx_sends_what_the_store_sends(vs: ModuleType, emulator: Any) -> None:
    docs = vs.corpus(3, "same")
    emulator.clear_requests()
    raw = vs.RawVectorStore(emulator.base_url, HEADERS)
    raw.add("bench-same-raw", docs)
    raw.close()
    store = ZylonVectorStore(collection="bench-same-raw", base_url=emulator.base_url, api_key=TEST_TOKEN)
    store.add_documents([Document(id=i, page_content=t, metadata=m) for i, t, m in docs])
    bodies = [r["json"] for r in emulator.requests]
    assert len(bodies) == 6 and bodies[:3] == bodies[3:]
    store.delete()


def test_every_contender_finds_the_same_chunks(vs: ModuleType, emulator: Any) -> None:
    vs.fill(emulator.base_url, TEST_TOKEN)
    made = vs.contenders(emulator.base_url, TEST_TOKEN, HEADERS)
    assert set(made) == {"raw httpx", "raw httpx (search only)", "ZylonVectorStore", "ZylonVectorStore (fetch_metadata=False)", "ZylonIndex (LlamaIndex)"}
    full = made["raw httpx"]["search"]()
    assert len(full) == 4 and all(m["team"] == "support" for _, _, m in full)
    for name, ops in made.items():
        assert ops["search"]() == made[vs.RAW_TWIN.get(name, "raw httpx")]["search"](), name
    lean = made["raw httpx (search only)"]["search"]()
    assert [(i, t) for i, t, _ in lean] == [(i, t) for i, t, _ in full] and all(set(m) == {"file_name"} for _, _, m in lean)
    for ops in made.values():  # the add operations run too (ingest again: the same ids)
        if "add" in ops:
            assert ops["add"]() in (None, [d[0] for d in vs.corpus(vs.ADD_BATCH, "added")])


def test_the_section_runs_without_errors(vs: ModuleType, emulator: Any) -> None:
    run = _load("run")
    lines: list[str] = []
    vs.section(emulator.base_url, TEST_TOKEN, HEADERS, 1, run.interleaved, lines.append)
    rows = [line for line in lines if line.startswith("| ") and not line.startswith(("| contender", "| ---"))]
    assert [row.split(" | ")[0][2:] for row in rows] == list(vs.contenders(emulator.base_url, TEST_TOKEN, HEADERS))
    assert not any("error" in row for row in rows), rows
