"""Thread memory: Zylon keeps the conversation, for a LangGraph agent and for LlamaIndex.

A Zylon thread stores every turn it runs. A chat model in thread mode sends only the
new message; the thread's history reads the whole conversation back, in this process
or in any later one that knows the thread id.

* LangChain / LangGraph: an agent from ``langchain.agents.create_agent`` with a
  checkpointer, whose model calls run in the Zylon thread named by the LangGraph
  ``thread_id`` (the ``ZylonThread`` middleware below): one id for both threads.
* LlamaIndex: ``Memory`` over ``ZylonMemoryStore``, whose ``session_id`` is the thread id.

Run it against your instance (it creates a project, and deletes it at the end)::

    export ZYLON_BASE_URL=https://zylon.example.com ZYLON_API_TOKEN=...
    python examples/thread_memory.py

Without ``ZYLON_BASE_URL`` it starts the local Zylon emulator (a deterministic
stand-in, not a model) and runs against that.
"""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langgraph.checkpoint.memory import InMemorySaver
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.memory import Memory

from langchain_zylon import ChatZylon, ZylonChatMessageHistory
from langchain_zylon.middleware import ZylonThreadMiddleware
from llama_index_zylon import Zylon, ZylonMemoryStore
from zylon_core import ZylonClient
from zylon_core.emulator.instance import zylon_instance


def langgraph_conversation(project_id: str) -> None:
    history = ZylonChatMessageHistory.create(project_id, "LangGraph memory example")  # a new Zylon thread
    config: Any = {"configurable": {"thread_id": history.thread_id}}  # ... and the LangGraph thread
    print(f"\n[LangGraph] thread {history.thread_id}")
    agent = create_agent(ChatZylon(), system_prompt="Be brief.", middleware=[ZylonThreadMiddleware()], checkpointer=InMemorySaver())
    for question in ("My name is Ada.", "What is my name?"):
        answer = agent.invoke({"messages": [("user", question)]}, config)["messages"][-1]
        print(f"You: {question}\nZylon: {answer.text}")  # only the new message was sent
    print(f"  the checkpoint holds {len(agent.get_state(config).values['messages'])} messages (the graph's state)")
    # Any process that knows the thread id reads the same conversation back from Zylon.
    for message in ZylonChatMessageHistory(history.thread_id).messages:
        print(f"  stored {type(message).__name__}: {message.text}")
    # A graph whose checkpoint is gone (a new process, a new saver) still has Zylon's memory.
    fresh = create_agent(ChatZylon(), middleware=[ZylonThreadMiddleware()], checkpointer=InMemorySaver())
    answer = fresh.invoke({"messages": [("user", "Who am I?")]}, config)["messages"][-1]
    print(f"With a new checkpointer, same thread id:\nYou: Who am I?\nZylon: {answer.text}")


def llama_index_conversation(project_id: str) -> None:
    store = ZylonMemoryStore(project_id=project_id)
    thread_id = store.create_thread("LlamaIndex memory example")
    print(f"\n[LlamaIndex] thread {thread_id}")
    memory = Memory.from_defaults(session_id=thread_id, chat_store=store)
    engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id), memory=memory)
    for question in ("my city is Paris", "What is my city?"):
        print(f"You: {question}\nZylon: {engine.chat(question)}")
    for message in memory.get_all():
        print(f"  stored {message.role.value}: {message.content}")


def main() -> None:
    with zylon_instance(), ZylonClient() as client:
        project_id = client.projects.create("Thread memory example (zylon-integrations)")["id"]
        try:
            langgraph_conversation(project_id)
            llama_index_conversation(project_id)
        finally:
            client.projects.delete(project_id)
            print(f"\nDeleted project {project_id}")


if __name__ == "__main__":
    main()
