"""Thread memory: Zylon keeps the conversation, in LangChain and in LlamaIndex.

A Zylon thread stores every turn it runs. A chat model in thread mode sends only the
new message; the history classes read the whole conversation back, in this process or
in any later one that knows the thread id.

Run it against your instance (it creates a project, and deletes it at the end)::

    export ZYLON_BASE_URL=https://zylon.example.com ZYLON_API_TOKEN=...
    python examples/thread_memory.py

Without ``ZYLON_BASE_URL`` it starts the local Zylon emulator (a deterministic
stand-in, not a model) and runs against that.
"""

from __future__ import annotations

from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.memory import ChatMemoryBuffer

from langchain_zylon import ChatZylon, ZylonChatMessageHistory
from llama_index_zylon import Zylon, ZylonChatStore
from zylon_core import ZylonClient
from zylon_core.emulator.instance import zylon_instance


def langchain_conversation(project_id: str) -> None:
    history = ZylonChatMessageHistory.create(project_id, "LangChain memory example")
    print(f"\n[LangChain] thread {history.thread_id}")
    llm = ChatZylon(thread_id=history.thread_id)
    for question in ("My name is Ada.", "What is my name?"):
        answer = llm.invoke(question)  # only this message is sent: the thread holds the rest
        print(f"You: {question}\nZylon: {answer.text}")
    # Any process that knows the thread id reads the same conversation back.
    for message in ZylonChatMessageHistory(history.thread_id).messages:
        print(f"  stored {type(message).__name__}: {message.text}")


def llama_index_conversation(project_id: str) -> None:
    store = ZylonChatStore(project_id=project_id)
    thread_id = store.create_thread("LlamaIndex memory example")
    print(f"\n[LlamaIndex] thread {thread_id}")
    memory = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key=thread_id)
    engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id), memory=memory)
    for question in ("my city is Paris", "What is my city?"):
        print(f"You: {question}\nZylon: {engine.chat(question)}")
    for message in store.get_messages(thread_id):
        print(f"  stored {message.role.value}: {message.content}")


def main() -> None:
    with zylon_instance(), ZylonClient() as client:
        project_id = client.projects.create("Thread memory example (zylon-integrations)")["id"]
        try:
            langchain_conversation(project_id)
            llama_index_conversation(project_id)
        finally:
            client.projects.delete(project_id)
            print(f"\nDeleted project {project_id}")


if __name__ == "__main__":
    main()
