"""The vector-store scenario of the benchmark harness: adding documents to a ZylonGPT
collection and searching it, through ``ZylonVectorStore`` (LangChain), ``ZylonIndex``
(LlamaIndex) and raw httpx making exactly the same calls.

* **add**: 10 documents per operation, one ``POST /api/gpt/v1/artifacts/ingest`` each,
  with the bodies the store sends (same ids every time: the server replaces them, so its
  cost stays the same);
* **search**: ``k=4`` over a collection of 200 documents with a metadata filter: ``POST
  /api/gpt/v1/primitives/search`` then ``GET /api/gpt/v1/artifacts/list`` for the
  documents' metadata (what the adapters do by default), and the search alone
  (``fetch_metadata=False``) against raw httpx's one call.

Run on its own: ``python benchmarks/run.py --only vector-store --quick``.
"""

from __future__ import annotations

from typing import Any, Callable

import httpx

COLLECTION = "bench-vector-store"
CORPUS_SIZE = 200
ADD_BATCH = 10
QUERY = "billing incidents in the north region"
FILTER = {"team": "support"}
# The raw httpx contender making the same calls as each contender (default: "raw httpx").
RAW_TWIN = {"raw httpx (search only)": "raw httpx (search only)", "ZylonVectorStore (fetch_metadata=False)": "raw httpx (search only)"}


def corpus(size: int, prefix: str = "doc") -> list[tuple[str, str, dict[str, Any]]]:
    """``(id, text, metadata)`` of ``size`` small documents on a few topics."""
    topics = ["billing incidents", "onboarding time", "token rotation", "office move", "release notes"]
    regions = ["north", "south", "east", "west"]
    docs = []
    for i in range(size):
        topic, region = topics[i % len(topics)], regions[i % len(regions)]
        text = f"Report {i}: {topic} in the {region} region changed by {i % 17} percent this quarter."
        docs.append((f"{prefix}-{i}", text, {"team": "support" if i % 2 else "sales", "n": i, "file_name": f"{prefix}-{i}.md"}))
    return docs


class RawVectorStore:
    """Raw httpx doing what the adapters do: the same bodies, the same requests."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.gpt = f"{base}/api/gpt/v1"
        self.client = httpx.Client(headers=headers)

    def close(self) -> None:
        self.client.close()

    def add(self, collection: str, docs: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
        for artifact, text, metadata in docs:
            body = {"artifact": artifact, "collection": collection, "input": {"type": "text", "value": text}, "metadata": metadata}
            self.client.post(f"{self.gpt}/artifacts/ingest", json=body).raise_for_status()
        return [d[0] for d in docs]

    def search(self, collection: str, query: str, k: int, with_metadata: bool = True) -> list[tuple[str, str, dict[str, Any]]]:
        context = {"collection": collection, "metadata_filter": [{"key": k_, "operator": "==", "value": v} for k_, v in FILTER.items()]}
        response = self.client.post(f"{self.gpt}/primitives/search", json={"type": "semantic_search", "text": query, "context_filter": context, "limit": k})
        response.raise_for_status()
        chunks = [c for c in response.json()["data"] if c.get("text")]
        stored: dict[str, dict[str, Any]] = {}
        if with_metadata and chunks:
            listed = self.client.get(f"{self.gpt}/artifacts/list", params={"collection": collection})
            listed.raise_for_status()
            stored = {d["artifact"]: d.get("doc_metadata") or {} for d in listed.json()["data"]}
        server_keys = ("artifact_id", "collection", "headers", "hash", "llm_model", "embed_model")
        out = []
        for chunk in chunks:
            artifact = chunk["document"]["artifact"]
            raw = stored.get(artifact, chunk["document"].get("doc_metadata") or {})
            out.append((artifact, chunk["text"], {k_: v for k_, v in raw.items() if k_ not in server_keys}))
        return out


def contenders(base: str, token: str, headers: dict[str, str]) -> dict[str, dict[str, Callable[[], Any]]]:
    """name → {"add": fn, "search": fn}; each search returns ``(id, text, metadata)`` s."""
    from llama_index.core.vector_stores import MetadataFilter, MetadataFilters

    from langchain_zylon import ZylonVectorStore
    from llama_index_zylon import ZylonIndex

    raw = RawVectorStore(base, headers)
    store = ZylonVectorStore(collection=COLLECTION, base_url=base, api_key=token)
    lean = ZylonVectorStore(collection=COLLECTION, base_url=base, api_key=token, fetch_metadata=False)
    index = ZylonIndex(COLLECTION, base_url=base, api_key=token)
    filters = MetadataFilters(filters=[MetadataFilter(key=k, value=v) for k, v in FILTER.items()])
    retriever = index.as_retriever(similarity_top_k=4, filters=filters)
    batch = corpus(ADD_BATCH, "added")
    documents = _lc_documents(batch)
    nodes = _li_documents(batch)

    def lc_search() -> list[tuple[str, str, dict[str, Any]]]:
        return [(d.id or "", d.page_content, d.metadata) for d in store.similarity_search(QUERY, k=4, filter=FILTER)]

    def lc_lean() -> list[tuple[str, str, dict[str, Any]]]:
        return [(d.id or "", d.page_content, d.metadata) for d in lean.similarity_search(QUERY, k=4, filter=FILTER)]

    def li_search() -> list[tuple[str, str, dict[str, Any]]]:
        return [(n.node.ref_doc_id or "", n.node.get_content(), n.node.metadata) for n in retriever.retrieve(QUERY)]

    def li_add() -> None:
        for node in nodes:
            index.insert(node)

    return {
        "raw httpx": {"add": lambda: raw.add(f"{COLLECTION}-raw", batch), "search": lambda: raw.search(COLLECTION, QUERY, 4)},
        "raw httpx (search only)": {"search": lambda: raw.search(COLLECTION, QUERY, 4, with_metadata=False)},
        "ZylonVectorStore": {
            "add": lambda: store.model_copy(update={"collection": f"{COLLECTION}-lc"}).add_documents(documents),
            "search": lc_search,
        },
        "ZylonVectorStore (fetch_metadata=False)": {"search": lc_lean},
        "ZylonIndex (LlamaIndex)": {"add": li_add, "search": li_search},
    }


def _lc_documents(docs: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    from langchain_core.documents import Document

    return [Document(id=i, page_content=text, metadata=metadata) for i, text, metadata in docs]


def _li_documents(docs: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    from llama_index.core import Document

    return [Document(doc_id=i, text=text, metadata=metadata) for i, text, metadata in docs]


def fill(base: str, token: str) -> None:
    """The searched collection: ``CORPUS_SIZE`` documents (sent once, before measuring)."""
    raw = RawVectorStore(base, {"Authorization": f"Bearer {token}", "x-org": "default"})
    try:
        raw.add(COLLECTION, corpus(CORPUS_SIZE))
    finally:
        raw.close()


def section(base: str, token: str, headers: dict[str, str], rounds: int, interleaved: Callable[..., dict[str, float]], out: Callable[[str], None]) -> None:
    """Measure and print the scenario (``interleaved``: the harness's round-robin timer)."""
    fill(base, token)
    made = contenders(base, token, headers)
    errors: dict[str, str] = {}
    for name, ops in made.items():  # every contender must find what raw httpx finds with the same calls
        if ops["search"]() != made[RAW_TWIN.get(name, "raw httpx")]["search"]():
            errors[name] = "different results from raw httpx"
    add_cpu: dict[str, float] = {}
    search_cpu: dict[str, float] = {}
    add_t = interleaved({n: o["add"] for n, o in made.items() if "add" in o and n not in errors}, rounds, 1, errors, add_cpu)
    search_t = interleaved({n: o["search"] for n, o in made.items() if n not in errors}, rounds, 10, errors, search_cpu)
    out(f"\n## Vector store: add {ADD_BATCH} documents, search k=4 over {CORPUS_SIZE}\n")
    out("Raw httpx sends the same requests as the adapters (one ingest per document; a search, then the list for the "
        "documents' metadata). Wall-clock medians, client CPU in brackets.\n")
    out(f"| contender | add {ADD_BATCH} (ms) | per document (ms) | search (ms) | vs raw httpx (add / search) |")
    out("| --- | ---: | ---: | ---: | ---: |")
    for name in made:
        if name in errors:
            out(f"| {name} | error: {errors[name]} | | | |")
            continue
        base_name = RAW_TWIN.get(name, "raw httpx")
        add = f"{add_t[name] * 1e3:.2f} ({add_cpu[name] * 1e3:.2f})" if name in add_t else ""
        per_doc = f"{add_t[name] * 1e3 / ADD_BATCH:.3f}" if name in add_t else ""
        search = f"{search_t[name] * 1e3:.3f} ({search_cpu[name] * 1e3:.3f})" if name in search_t else ""
        ratios = []
        if name in add_t and "raw httpx" in add_t:
            ratios.append(f"{add_t[name] / add_t['raw httpx']:.2f}x")
        if name in search_t and base_name in search_t:
            ratios.append(f"{search_t[name] / search_t[base_name]:.2f}x")
        out(f"| {name} | {add} | {per_doc} | {search} | {' / '.join(ratios)} |")
