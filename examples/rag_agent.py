"""RAG over a Zylon project: upload documents, then ask with citations, let an agent
search them, and run a LlamaIndex query engine over them.

    python examples/rag_agent.py

With ``ZYLON_BASE_URL`` (and ``ZYLON_API_TOKEN``) set it talks to that Zylon instance
(it creates a project, and deletes it at the end); without it, it starts the local Zylon
emulator (a deterministic stand-in, not a model) on 127.0.0.1 for the run.

1. A new project gets three documents (``ZylonProjectLoader.add_documents``) and one
   file (``add_files``); both wait until Zylon has ingested them.
2. ``ChatZylon(project_id=..., all_artifacts=True, citations=True)`` answers from them
   and names its sources.
3. An agent (``langchain.agents.create_agent``) calls a ``ZylonRetriever`` as a tool.
4. A LlamaIndex ``RetrieverQueryEngine`` over ``llama_index_zylon.ZylonRetriever`` and
   the ``Zylon`` LLM.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.prompts import PromptTemplate
from langchain_core.tools import create_retriever_tool

from langchain_zylon import ChatZylon, ZylonProjectLoader, ZylonRetriever
from zylon_core import ZylonClient
from zylon_core.emulator.instance import zylon_instance

DOCUMENTS = [
    Document(
        page_content=(
            "Q1 support summary. Billing issues drove 38% of all support cases in Q1, "
            "mostly duplicate charges after the plan migration.\n\n"
            "Priority bugs were resolved within 48 hours on average."
        ),
        metadata={"title": "Q1 support summary"},
    ),
    Document(
        page_content=(
            "Onboarding guide. New customers finish onboarding in 3 days on average. "
            "The onboarding checklist covers single sign-on, data import and user roles."
        ),
        metadata={"title": "Onboarding guide"},
    ),
    Document(
        page_content=(
            "Security policy. Customer data never leaves the private Zylon instance. "
            "Access tokens are rotated every 90 days."
        ),
        metadata={"title": "Security policy"},
    ),
]
RELEASE_NOTES = "# Release notes 2.4\n\nThe billing dashboard now shows refunds. Duplicate charges are detected automatically.\n"


def describe_source(source: dict[str, Any]) -> str:
    document = source.get("document") or {}
    name = (document.get("doc_metadata") or {}).get("file_name") or document.get("artifact") or source.get("url")
    text = " ".join(str(source.get("text") or "").split())
    return f"{name}: {text[:80]}{'...' if len(text) > 80 else ''}"


def upload(project_id: str) -> list[str]:
    project = ZylonProjectLoader(project_id=project_id)
    ids = project.add_documents(DOCUMENTS)
    with tempfile.TemporaryDirectory() as folder:
        notes = Path(folder) / "release-notes-2.4.md"
        notes.write_text(RELEASE_NOTES, encoding="utf-8")
        ids += project.add_files([notes])
    print(f"Uploaded and ingested {len(ids)} documents: {', '.join(ids)}")
    return ids


def cited_answer(project_id: str) -> None:
    llm = ChatZylon(project_id=project_id, all_artifacts=True, citations=True)
    question = "What drove most support cases in Q1?"
    answer = llm.invoke(question)
    print(f"\n[ChatZylon, all_artifacts + citations]\nUser: {question}\nAnswer: {answer.text}")
    for number, source in enumerate(answer.response_metadata.get("sources") or [], start=1):
        print(f"  [{number}] {describe_source(source)}")


def langgraph_agent(project_id: str) -> None:
    retriever = ZylonRetriever(collection=project_id, k=2)
    search = create_retriever_tool(
        retriever,
        "search_project_documents",
        "Search the project's documents (support summaries, onboarding guide, security policy, release notes).",
        document_prompt=PromptTemplate.from_template("[{source}] {page_content}"),
        response_format="content_and_artifact",
    )
    agent = create_agent(ChatZylon(temperature=0), [search])
    question = "How long does onboarding take? Use the search_project_documents tool."
    print(f"\n[LangChain agent with a ZylonRetriever tool]\nUser: {question}")
    result = agent.invoke({"messages": [("user", question)]})
    for message in result["messages"][1:]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"Agent calls: {call['name']}({call['args']})")
        elif isinstance(message, ToolMessage):
            for doc in message.artifact or []:
                print(f"  retrieved {doc.metadata['source']} (score {doc.metadata['score']:.2f}): {doc.page_content[:60]}...")
        elif isinstance(message, AIMessage):
            print(f"Agent answers: {message.text}")


def llama_index_query_engine(project_id: str) -> None:
    from llama_index.core.query_engine import RetrieverQueryEngine

    from llama_index_zylon import Zylon
    from llama_index_zylon import ZylonRetriever as LlamaZylonRetriever

    engine = RetrieverQueryEngine.from_args(LlamaZylonRetriever(project_id=project_id, k=2), llm=Zylon())
    question = "How are duplicate charges handled?"
    response = engine.query(question)
    print(f"\n[LlamaIndex RetrieverQueryEngine over ZylonRetriever]\nUser: {question}\nAnswer: {response.response}")
    for node in response.source_nodes:
        print(f"  source {node.metadata.get('source')} (score {node.score:.2f}): {node.get_content()[:60]}...")


def main() -> None:
    with zylon_instance():
        client = ZylonClient()
        project_id = client.projects.create("RAG example (zylon-integrations)")["id"]
        print(f"Created project {project_id}")
        try:
            upload(project_id)
            cited_answer(project_id)
            langgraph_agent(project_id)
            llama_index_query_engine(project_id)
        finally:
            client.projects.delete(project_id)
            client.close()
            print(f"\nDeleted project {project_id}")


if __name__ == "__main__":
    main()
