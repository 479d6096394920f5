"""Chat with ZylonGPT directly (``api="gpt"``), from LangChain and LlamaIndex.

    python examples/zylongpt.py

With ``ZYLON_BASE_URL`` and ``ZYLON_API_TOKEN`` (a Gateway token: ZylonGPT refuses a
Workspace token) set it talks to that Zylon instance; without them it starts the local
Zylon emulator (a deterministic stand-in, not a model) on 127.0.0.1.

1. LangChain ``ChatZylon(api="gpt")``: the models ZylonGPT serves, a turn with the model
   named, a stream, the tokens of a conversation counted by the server, the model
   profile read from the models list.
2. A background message: submitted (the call returns at once with its id), then
   resumed from the id alone, as another process would, from the start of its stream.
3. LlamaIndex ``Zylon(api="gpt")``: chat, ``metadata.context_window`` from the model's
   card, and a background message resumed with ``resume_chat``.
"""

from __future__ import annotations

from langchain_core.messages import HumanMessage, SystemMessage

from langchain_zylon import ChatZylon
from zylon_core import ZylonClient
from zylon_core.emulator.instance import zylon_instance


def langchain_chat() -> None:
    with ZylonClient() as zylon:  # ZYLON_BASE_URL / ZYLON_API_TOKEN, as the chat models read them
        models = [model.id for model in zylon.models.list().data]
    print(f"[ZylonGPT] models: {', '.join(models)}")
    llm = ChatZylon(api="gpt", model="default")
    answer = llm.invoke([SystemMessage("Answer in one sentence."), HumanMessage("What is a private AI platform?")])
    print(f"[ChatZylon api=gpt] answer: {answer.text}")
    print(f"  model asked: {answer.response_metadata['model_name']}, usage: {answer.usage_metadata}")
    other = llm.invoke("Say hello.", model=models[-1])  # per call: another of the server's models
    print(f"  with model={models[-1]!r}: {other.text}")
    print("  stream: ", end="")
    for chunk in llm.stream("Give me three words about privacy."):
        print(chunk.text, end="", flush=True)
    print()
    conversation = [SystemMessage("Be terse."), HumanMessage("How many tokens is this question?")]
    print(f"  tokens counted by the server: {llm.get_num_tokens_from_messages(conversation)}")
    profile = llm.load_profile()
    print(f"  profile: context window {profile.get('max_input_tokens')}, output {profile.get('max_output_tokens')}, reasoning {profile.get('reasoning_output')}")


def langchain_background() -> None:
    message_id = ChatZylon(api="gpt").submit("Summarise the quarterly report in one line.")
    print(f"\n[background] submitted: {message_id}")
    # Later, anywhere (another process, after a restart): the id is all it takes.
    later = ChatZylon(api="gpt")
    print(f"  status: {later.background_status(message_id).status}")
    print("  resumed: ", end="")
    for chunk in later.resume(message_id):
        print(chunk.text, end="", flush=True)
    print()
    later.delete_background(message_id)


def llama_index() -> None:
    from llama_index.core.base.llms.types import ChatMessage

    from llama_index_zylon import Zylon

    llm = Zylon(api="gpt")
    print(f"\n[Zylon api=gpt] context window from the model's card: {llm.metadata.context_window}")
    print(f"  chat: {llm.chat([ChatMessage(role='user', content='Name one benefit of on-premise AI.')]).message.content}")
    message_id = llm.submit([ChatMessage(role="user", content="Draft a two-line release note.")])
    answer = ""
    for response in llm.resume_chat(message_id):  # each holds the message so far
        answer = response.message.content or ""
    print(f"  background {message_id}: {answer}")
    llm.delete_background(message_id)


def main() -> None:
    with zylon_instance():
        langchain_chat()
        langchain_background()
        llama_index()


if __name__ == "__main__":
    main()
