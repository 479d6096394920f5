"""LlamaIndex + Zylon: chat, streaming, and a FunctionAgent that calls a Python tool.

    python examples/llama_index_chat.py

With ``ZYLON_BASE_URL`` (and ``ZYLON_API_TOKEN``) set it talks to that Zylon instance;
without it, it starts the local Zylon emulator (a deterministic stand-in, not a model)
on 127.0.0.1 for the run.
"""

from __future__ import annotations

import asyncio

from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from llama_index_zylon import Zylon
from zylon_core.emulator.instance import zylon_instance


def multiply(a: float, b: float) -> float:
    """Multiply two numbers and return the product."""
    return a * b


async def agent_demo(llm: Zylon) -> None:
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(multiply)],
        llm=llm,
        system_prompt="You are a careful assistant. Use the multiply tool for arithmetic.",
    )
    handler = agent.run("Use the multiply tool: what is 6 times 7?")
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print(f"  tool {event.tool_name}({event.tool_kwargs}) -> {event.tool_output.content}")
    result = await handler
    print(f"agent: {result.response.content}")


def main() -> None:
    with zylon_instance():
        llm = Zylon(temperature=0.2, max_tokens=256)

        # 1. chat
        response = llm.chat(
            [
                ChatMessage(role="system", content="Answer in one sentence."),
                ChatMessage(role="user", content="What is a private AI platform?"),
            ]
        )
        print(f"chat: {response.message.content}")
        usage = response.additional_kwargs.get("usage")
        if usage:
            print(f"  usage: {usage}")

        # 2. streaming
        print("stream: ", end="", flush=True)
        for chunk in llm.stream_complete("Give me three words about privacy."):
            print(chunk.delta or "", end="", flush=True)
        print()

        # 3. an agent with a real Python tool
        asyncio.run(agent_demo(llm))


if __name__ == "__main__":
    main()
