"""Server-side vector search over one ZylonGPT collection, from LangChain and LlamaIndex.

    python examples/vector_store.py

With ``ZYLON_BASE_URL`` and ``ZYLON_API_TOKEN`` (a Gateway token) set it talks to that Zylon
instance (it fills a new collection, and empties it at the end); without them it starts
the local Zylon emulator (a deterministic stand-in, not a model) on 127.0.0.1.

1. LangChain ``ZylonVectorStore``: add documents with ids and metadata (Zylon embeds them
   on the server), search with a metadata filter, read and delete by id.
2. LlamaIndex ``ZylonIndex`` over the same collection: add a document, retrieve with
   ``MetadataFilters``, answer with a query engine and the ``Zylon`` LLM.
3. The built-in ``semantic_search`` tool over the collection, bound to ``ChatZylon``: the
   server searches and answers.
"""

from __future__ import annotations

import uuid

from langchain_core.documents import Document

from langchain_zylon import ChatZylon, ZylonVectorStore
from langchain_zylon.tools import semantic_search
from zylon_core.emulator.instance import zylon_instance

REPORTS = [
    Document(
        "Q3 revenue grew 20%, driven by new enterprise customers in Europe.",
        metadata={"team": "sales", "year": 2024, "file_name": "q3-sales.md"},
        id="q3-sales",
    ),
    Document(
        "Support cases fell 15% after the billing fix shipped in August.",
        metadata={"team": "support", "year": 2024, "file_name": "support-august.md"},
        id="support-august",
    ),
    Document(
        "The 2025 plan raises revenue targets and opens an office in Lyon.",
        metadata={"team": "sales", "year": 2025, "file_name": "plan-2025.md"},
        id="plan-2025",
    ),
]


def langchain_store(collection: str) -> ZylonVectorStore:
    store = ZylonVectorStore(collection=collection)
    ids = store.add_documents(REPORTS)
    print(f"[LangChain ZylonVectorStore] added {len(ids)} documents: {', '.join(ids)}")
    question = "How did revenue grow?"
    for doc, score in store.similarity_search_with_score(question, k=2, filter={"year": {"$gte": 2025}}):
        print(f"  {question!r} with year >= 2025 -> {doc.id} (score {score:.2f}): {doc.page_content}")
    for doc in store.similarity_search(question, k=1, filter={"team": "sales", "year": 2024}):
        print(f"  {question!r} with team == sales, year == 2024 -> {doc.id} {doc.metadata}")
    (fetched,) = store.get_by_ids(["support-august"])
    print(f"  get_by_ids -> {fetched.id}: {fetched.page_content.strip()}")
    return store


def llama_index(collection: str) -> None:
    from llama_index.core import Document as LlamaDocument
    from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

    from llama_index_zylon import Zylon, ZylonIndex

    index = ZylonIndex(collection)
    index.insert(LlamaDocument(text="Access tokens are rotated every 90 days.", metadata={"team": "security", "year": 2025}, doc_id="tokens"))
    print(f"\n[LlamaIndex ZylonIndex] documents in the collection: {', '.join(sorted(index.ref_doc_info))}")
    recent = MetadataFilters(filters=[MetadataFilter(key="year", value=2025, operator=FilterOperator.GTE)])
    for hit in index.as_retriever(similarity_top_k=2, filters=recent).retrieve("How often are access tokens rotated?"):
        print(f"  retrieved {hit.node.ref_doc_id} (score {hit.score:.2f}): {hit.node.get_content()}")
    response = index.as_query_engine(llm=Zylon(), similarity_top_k=1).query("How often are access tokens rotated?")
    print(f"  query engine answer: {str(response).strip()[:160]}")
    print(f"  from: {', '.join(str(n.node.ref_doc_id) for n in response.source_nodes)}")
    index.delete_ref_doc("tokens")


def builtin_search(collection: str) -> None:
    llm = ChatZylon().bind_tools([semantic_search(collection, filter={"team": "support"})])
    answer = llm.invoke("What happened to support cases?")
    print(f"\n[ChatZylon with the built-in semantic_search tool]\n  answer: {answer.text}")


def main() -> None:
    with zylon_instance():
        collection = f"vector-store-example-{uuid.uuid4().hex[:8]}"
        print(f"Collection: {collection}")
        store = langchain_store(collection)
        try:
            llama_index(collection)
            builtin_search(collection)
        finally:
            store.delete()  # every document of the collection
            print(f"\nEmptied collection {collection}")


if __name__ == "__main__":
    main()
