"""Property: framework message → Zylon blocks → framework message is the identity, for
every shape each codec supports, in both frameworks.

A conversation is generated in the framework's own terms, encoded the way a request
sends it (``to_zylon_messages``), put on the wire and read back as the server would
store it (``MessageInput`` from JSON), then decoded the way a thread's history is
rebuilt (``from_zylon_input``). The decoded conversation must equal the original.

"Every supported shape" is the canonical form of each: the form the decoder produces.
Equivalent inputs that are not canonical are normalised on the way and so cannot come
back verbatim; these rules are the documented ones:

* LangChain merges consecutive human messages into one Zylon ``user`` message (Zylon
  wants alternating turns), so its generator never puts two in a row (LlamaIndex
  keeps them apart: its generator does);
* LangChain: a text-only answer is a string (several text blocks come back joined);
  an answer with thinking or tool calls is a block list mirroring ``tool_calls``;
  thinking is signed (unsigned thinking is not sent); a human message of one plain
  text block is a string; a file comes back as a ``file`` block (a text file as
  ``text-plain``);
* system messages go to ``system.text`` (one, at the start, round-trips as one; one
  in the middle comes back first).
"""

from __future__ import annotations

import base64
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from langchain_zylon._codec import to_zylon_messages as lc_to_zylon
from langchain_zylon._codec.history import from_zylon_input as lc_from_zylon
from llama_index_zylon._codec import to_zylon_messages as li_to_zylon
from llama_index_zylon._codec.history import from_zylon_input as li_from_zylon
from zylon_core.models import MessageInput

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20).filter(str.strip)
NAME = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8)
B64 = st.binary(min_size=1, max_size=24).map(lambda b: base64.b64encode(b).decode())
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), TEXT)
ARGS = st.dictionaries(NAME, st.one_of(JSON_SCALAR, st.lists(JSON_SCALAR, max_size=3), st.dictionaries(NAME, JSON_SCALAR, max_size=2)), max_size=3)
IDS = st.integers(0, 10**6).map(lambda n: f"call_{n}")


def on_the_wire(messages: list[MessageInput]) -> list[MessageInput]:
    """What the server stores: the request's JSON, read back."""
    return [MessageInput.model_validate(m.to_json_dict()) for m in messages]


# =======================================================================================
# LangChain
# =======================================================================================

LC_MEDIA = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, TEXT),
    st.builds(lambda d, m: {"type": "image", "base64": d, "mime_type": m}, B64, st.sampled_from(["image/png", "image/jpeg"])),
    st.builds(lambda n: {"type": "image", "url": f"https://img.example.com/{n}.png", "mime_type": "image/png"}, NAME),
    st.builds(lambda d: {"type": "audio", "base64": d, "mime_type": "audio/wav"}, B64),
    st.builds(lambda d, n: {"type": "file", "base64": d, "mime_type": "application/pdf", "filename": f"{n}.pdf"}, B64, NAME),
    st.builds(lambda t, n: {"type": "text-plain", "text": t, "mime_type": "text/plain", "filename": f"{n}.txt"}, TEXT, NAME),
    st.builds(lambda n: {"type": "file", "url": f"https://files.example.com/{n}.pdf", "mime_type": "application/pdf", "filename": f"{n}.pdf"}, NAME),
)


@st.composite
def lc_human(draw: Any) -> HumanMessage:
    if draw(st.booleans()):
        return HumanMessage(draw(TEXT))
    blocks = draw(st.lists(LC_MEDIA, min_size=1, max_size=4))
    if len(blocks) == 1 and blocks[0]["type"] == "text":
        return HumanMessage(blocks[0]["text"])  # canonical: one plain text block is a string
    return HumanMessage(blocks)


@st.composite
def lc_ai(draw: Any, ids: Any) -> AIMessage:
    thinking = draw(st.one_of(st.none(), TEXT))
    text = draw(st.one_of(st.none(), TEXT))
    calls = [{"name": draw(NAME), "args": draw(ARGS), "id": draw(ids)} for _ in range(draw(st.integers(0, 2)))]
    if thinking is None and not calls:
        return AIMessage(text or draw(TEXT))
    content: list[Any] = []
    if thinking is not None:
        # Signed: Zylon replays only signed thinking (unsigned is left out, with a warning).
        content.append({"type": "thinking", "thinking": thinking, "signature": f"sig_{draw(NAME)}"})
    if text is not None:
        content.append({"type": "text", "text": text})
    content += [{"type": "tool_use", "id": c["id"], "name": c["name"], "input": c["args"]} for c in calls]
    extra = {"reasoning_content": thinking} if thinking is not None else {}
    return AIMessage(content=content, tool_calls=calls, additional_kwargs=extra)


@st.composite
def lc_conversations(draw: Any) -> list[BaseMessage]:
    ids = st.uuids().map(lambda u: f"call_{u.hex[:12]}")
    messages: list[BaseMessage] = []
    if draw(st.booleans()):
        messages.append(SystemMessage(draw(TEXT)))
    pending: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        for call_id in pending:  # the tool results answering the last answer's calls
            messages.append(ToolMessage(draw(TEXT), tool_call_id=call_id, status=draw(st.sampled_from(["success", "error"]))))
        if not pending or draw(st.booleans()):
            messages.append(draw(lc_human()))
        answer = draw(lc_ai(ids))
        messages.append(answer)
        pending = [c["id"] for c in answer.tool_calls]
    return messages


def lc_essence(message: BaseMessage) -> tuple[Any, ...]:
    calls = [(c["name"], c["args"], c["id"]) for c in getattr(message, "tool_calls", [])]
    return (
        message.type,
        message.content,
        calls,
        message.additional_kwargs.get("reasoning_content"),
        getattr(message, "tool_call_id", None),
        getattr(message, "status", None),
    )


def lc_round_trip(messages: list[BaseMessage]) -> list[BaseMessage]:
    system, zylon = lc_to_zylon(messages)
    back: list[BaseMessage] = [SystemMessage(system)] if system else []
    for stored in on_the_wire(zylon):
        back.extend(lc_from_zylon(stored))
    return back


@SETTINGS
@given(lc_conversations())
def test_langchain_messages_survive_the_round_trip(messages):
    back = lc_round_trip(messages)
    assert [lc_essence(m) for m in back] == [lc_essence(m) for m in messages]


def test_langchain_round_trip_check_can_fail():
    """Two human messages in a row are merged: the essence comparison sees it."""
    messages = [HumanMessage("a"), HumanMessage("b")]
    assert [lc_essence(m) for m in lc_round_trip(messages)] != [lc_essence(m) for m in messages]


# =======================================================================================
# LlamaIndex
# =======================================================================================

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")

LI_MEDIA = st.one_of(
    st.builds(lambda t: TextBlock(text=t), TEXT),
    st.just(None).map(lambda _: ImageBlock(image=PNG, image_mimetype="image/png")),
    st.builds(lambda n: ImageBlock(url=f"https://img.example.com/{n}.png", image_mimetype="image/png"), NAME),
    st.builds(lambda b: AudioBlock(audio=b, format="wav"), st.binary(min_size=1, max_size=24)),
    st.builds(lambda b, n: DocumentBlock(data=b, document_mimetype="application/pdf", title=f"{n}.pdf"), st.binary(min_size=1, max_size=24), NAME),
    # text given as base64, as LlamaIndex stores it (raw bytes that happen to be valid
    # base64, such as b"0000", LlamaIndex itself takes for base64)
    st.builds(lambda t, n, m: DocumentBlock(data=base64.b64encode(t.encode()), document_mimetype=m, title=f"{n}.txt"), TEXT, NAME, st.sampled_from(["text/plain", "text/csv", "application/json"])),
    st.builds(lambda n: DocumentBlock(url=f"https://files.example.com/{n}.pdf", document_mimetype="application/pdf", title=f"{n}.pdf"), NAME),
)


@st.composite
def li_conversations(draw: Any) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    if draw(st.booleans()):
        messages.append(ChatMessage(role=MessageRole.SYSTEM, content=draw(TEXT)))
    pending: list[str] = []
    serial = 0
    for _ in range(draw(st.integers(1, 3))):
        for call_id in pending:
            extra: dict[str, Any] = {"tool_call_id": call_id}
            if draw(st.booleans()):
                extra["is_error"] = draw(st.booleans())
            messages.append(ChatMessage(role=MessageRole.TOOL, blocks=[TextBlock(text=draw(TEXT))], additional_kwargs=extra))
        # LlamaIndex user messages are not merged: two in a row come back as two
        for _ in range(draw(st.integers(0 if pending else 1, 2))):
            messages.append(ChatMessage(role=MessageRole.USER, blocks=draw(st.lists(LI_MEDIA, min_size=1, max_size=4))))
        blocks: list[Any] = []
        if draw(st.booleans()):
            # signed, as Zylon answers it: an unsigned one is left out of the request
            signature = "sig_" + draw(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))
            blocks.append(ThinkingBlock(content=draw(TEXT), additional_information={"signature": signature}))
        if draw(st.booleans()):
            blocks.append(TextBlock(text=draw(TEXT)))
        pending = []
        for _ in range(draw(st.integers(0, 2))):
            serial += 1
            pending.append(f"call_{serial}")
            blocks.append(ToolCallBlock(tool_call_id=pending[-1], tool_name=draw(NAME), tool_kwargs=draw(ARGS)))
        messages.append(ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks or [TextBlock(text=draw(TEXT))]))
    return messages


def li_block(block: Any) -> tuple[Any, ...]:
    if isinstance(block, TextBlock):
        return ("text", block.text)
    if isinstance(block, ThinkingBlock):
        return ("thinking", block.content, block.additional_information.get("signature"))
    if isinstance(block, ToolCallBlock):
        return ("tool_call", block.tool_call_id, block.tool_name, block.tool_kwargs)
    if isinstance(block, ImageBlock):
        return ("image", str(block.url) if block.url else base64.b64decode(block.image or b""), block.image_mimetype)
    if isinstance(block, AudioBlock):
        return ("audio", base64.b64decode(block.audio or b""), block.format)
    if isinstance(block, DocumentBlock):
        payload = str(block.url) if block.url else base64.b64decode(block.data or b"")
        return ("document", payload, block.document_mimetype, block.title)
    raise AssertionError(f"unexpected block {block!r}")


def li_essence(message: ChatMessage) -> tuple[Any, ...]:
    extra = message.additional_kwargs or {}
    return (
        message.role.value,
        [li_block(b) for b in message.blocks],
        extra.get("tool_call_id"),
        extra.get("is_error"),
    )


def li_round_trip(messages: list[ChatMessage]) -> list[ChatMessage]:
    system, zylon = li_to_zylon(messages)
    back: list[ChatMessage] = []
    if system:
        back.extend(li_from_zylon({"role": "system", "content": [{"type": "text", "text": system}]}))
    for stored in on_the_wire(zylon):
        back.extend(li_from_zylon(stored))
    return back


@SETTINGS
@given(li_conversations())
def test_llama_index_messages_survive_the_round_trip(messages):
    back = li_round_trip(messages)
    assert [li_essence(m) for m in back] == [li_essence(m) for m in messages]


def test_text_documents_reach_zylon_as_text_and_come_back_whole():
    """Found by the property above: a text document whose text is also valid base64
    ("0000") came back as other bytes, and non-UTF-8 bytes were replaced silently."""
    for text in ("0000", "test", "héllo, wörld"):
        block = DocumentBlock(data=base64.b64encode(text.encode()), document_mimetype="text/plain", title="a.txt")
        _, zylon = li_to_zylon([ChatMessage(role="user", blocks=[block])])
        sent = zylon[0].to_json_dict()["content"][0]  # a binary block: the text's UTF-8 bytes, base64
        assert sent["type"] == "binary" and base64.b64decode(sent["data"]) == text.encode()
        (back,) = li_from_zylon(on_the_wire(zylon)[0])
        assert base64.b64decode(back.blocks[0].data) == text.encode()
    # LangChain: a text file given as base64 (what LangChain makes of an OpenAI file block)
    # goes as those bytes (a binary block) and comes back as its text.
    for text in ("0000", "héllo, wörld"):
        data = base64.b64encode(text.encode()).decode()
        _, zylon = lc_to_zylon([HumanMessage([{"type": "file", "base64": data, "mime_type": "text/plain"}])])
        assert zylon[0].to_json_dict()["content"][0] == {"type": "binary", "data": data, "mime_type": "text/plain"}
        (human,) = lc_from_zylon(on_the_wire(zylon)[0])
        assert human.content == [{"type": "text-plain", "text": text, "mime_type": "text/plain"}]


def test_llama_index_round_trip_check_can_fail():
    """A system message in the middle moves to system.text: the comparison sees it."""
    messages = [ChatMessage(role="user", content="a"), ChatMessage(role="system", content="s")]
    assert [li_essence(m) for m in li_round_trip(messages)] != [li_essence(m) for m in messages]
