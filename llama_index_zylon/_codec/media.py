"""LlamaIndex media and document blocks ⇄ Zylon wire blocks (pure: no client).

To Zylon (:func:`image_block`, :func:`audio_block`, :func:`document_blocks`,
:func:`citable_blocks`):

* ``ImageBlock`` / ``AudioBlock`` → ``image`` / ``audio`` in the shape both APIs take,
  ``{data, mime_type}`` (``data`` is base64, or a URL passed as it is);
* ``DocumentBlock`` → the block that carries a file to the API
  (:func:`zylon_core.models.inputs.file_input_block`): ``binary`` for the Workspace,
  ``document`` for ZylonGPT (``api="gpt"``), never ``file`` (which ZylonGPT refuses);
* ``CitableBlock`` → its text as such a file, named after its title, and its other
  parts converted one by one.

From Zylon (:func:`from_wire`): ``image`` / ``audio`` (either shape) → ``ImageBlock`` /
``AudioBlock``; ``binary``, ``file`` and ``document`` (text, base64 or URL source) →
``DocumentBlock``; ``None`` for a shape LlamaIndex cannot hold (the caller keeps the wire
block).

Nothing here does I/O beyond reading a local file a block names by ``path``.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from io import IOBase
from pathlib import Path
from typing import Any, Literal, Mapping

import filetype
from llama_index.core.base.llms.types import AudioBlock, CitableBlock, DocumentBlock, ImageBlock, TextBlock

from zylon_core._checks import is_text_mime, parse_data_uri
from zylon_core.models.inputs import file_input_block

Api = Literal["workspace", "gpt"]
# LlamaIndex's default DocumentBlock title: not a name the caller gave.
_DEFAULT_TITLE = "input_document"


# -- to Zylon ---------------------------------------------------------------------------------


def image_block(block: ImageBlock, where: str) -> dict[str, Any]:
    mime = block.image_mimetype
    if block.image is not None and mime is None:
        guess = filetype.guess(base64.b64decode(b64_text(block.image)))
        mime = guess.mime if guess else None
    return _media("image", block.image, block.path, block.url, mime, where)


def audio_block(block: AudioBlock, where: str) -> dict[str, Any]:
    return _media("audio", block.audio, block.path, block.url, _audio_mime(block.format), where)


def _media(kind: str, raw: Any, path: Any, url: Any, mime: str | None, where: str) -> dict[str, Any]:
    """An ``image``/``audio`` wire block from a LlamaIndex block's bytes, path or URL."""
    name = f"{kind.capitalize()}Block"
    if raw is not None:
        data = b64_text(raw)
    elif path is not None:
        data = base64.b64encode(_read(path, name, where)).decode("ascii")
        mime = mime or mimetypes.guess_type(str(path))[0]
    elif url is not None:
        data, mime = _url(str(url), mime, where)
    else:
        raise ValueError(f"{where}: {name} has no {kind}, path or url")
    out: dict[str, Any] = {"type": kind, "data": data}
    if mime:
        out["mime_type"] = mime
    return out


_AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}


def _audio_mime(fmt: str | None) -> str | None:
    if not fmt:
        return None
    if "/" in fmt:
        return fmt
    return mimetypes.types_map.get(f".{fmt.lower()}") or _AUDIO_TYPES.get(fmt.lower(), f"audio/{fmt.lower()}")


def _audio_format(mime: str | None) -> str | None:
    """An ``AudioBlock.format`` (``wav``, ``mp3``...) for a MIME type."""
    if not mime:
        return None
    known = {v: k for k, v in _AUDIO_TYPES.items()}
    return known.get(mime) or (mimetypes.guess_extension(mime) or "").lstrip(".") or mime.split("/")[-1].removeprefix("x-")


def document_block(block: DocumentBlock, where: str, api: Api = "workspace") -> dict[str, Any]:
    """The file a ``DocumentBlock`` holds (bytes, path, ``data:`` URL or http(s) URL)
    as a ``binary`` (Workspace) or ``document`` (``api="gpt"``) block."""
    mime = block.document_mimetype
    title = block.title if block.title and block.title != _DEFAULT_TITLE else None
    url = str(block.url) if block.url is not None else None
    if block.data is None and block.path is None and url is not None and not url.startswith("data:"):
        # Not fetched here: Zylon fetches a URL itself.
        name = title or Path(url.split("?")[0]).name or None
        mime = mime or (mimetypes.guess_type(name)[0] if name else None)
        return file_input_block(url=url, mime_type=mime, filename=name, api=api, where=f"{where} DocumentBlock")
    if block.data is not None:
        raw = base64.b64decode(b64_text(block.data))
    elif block.path is not None:
        raw = _read(block.path, "DocumentBlock", where)
        title = title or Path(str(block.path)).name
    elif url is not None:
        uri_mime, payload = parse_data_uri(url, where)
        raw, mime = base64.b64decode(payload), mime or uri_mime
    else:
        raise ValueError(f"{where}: DocumentBlock has no data, path or url")
    if not mime and title:
        mime = mimetypes.guess_type(title)[0]
    if not mime:
        guess = filetype.guess(raw)
        mime = guess.mime if guess else None
    return file_input_block(raw, mime_type=mime, filename=title, api=api, where=f"{where} DocumentBlock")


def citable_text_block(block: CitableBlock, where: str, api: Api = "workspace") -> dict[str, Any] | None:
    """A ``CitableBlock`` 's text parts as one text file named after its title (None
    when it has no text)."""
    texts = [part.text for part in block.content if isinstance(part, TextBlock) and part.text]
    if not texts:
        return None
    raw = "\n\n".join(texts).encode("utf-8")
    return file_input_block(raw, mime_type="text/plain", filename=block.title or None, api=api, where=f"{where} CitableBlock")


def b64_text(value: Any) -> str:
    """Base64 text of block data that LlamaIndex stores base64-encoded (or as a stream)."""
    if isinstance(value, IOBase):
        value.seek(0)
        raw = value.read()
        value.seek(0)
        return base64.b64encode(raw if isinstance(raw, bytes) else raw.encode()).decode("ascii")
    if isinstance(value, str):
        value = value.encode()
    try:
        base64.b64decode(value, validate=True)
        return value.decode("ascii")
    except (binascii.Error, ValueError):
        return base64.b64encode(value).decode("ascii")


def _read(path: Any, kind: str, where: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"{where}: {kind} path {str(path)!r} cannot be read: {exc.strerror}") from exc


def _url(url: str, mime: str | None, where: str) -> tuple[str, str | None]:
    """A ``data:`` URL becomes base64 data + mime type (a malformed one is a
    ``ValueError``); other URLs pass through."""
    if url.startswith("data:"):
        uri_mime, data = parse_data_uri(url, where)
        return data, mime or uri_mime
    return url, mime


# -- from Zylon -------------------------------------------------------------------------------


def from_wire(block: Mapping[str, Any]) -> ImageBlock | AudioBlock | DocumentBlock | None:
    """The LlamaIndex block for a Zylon media/file block; ``None`` for a shape it cannot
    hold (an Anthropic ``file`` source, a ``content`` document source, no data)."""
    kind = block.get("type")
    if kind == "file":
        content = str(block.get("content") or "")
        mime = block.get("content_type")
        name = (block.get("doc_metadata") or {}).get("file_name")
        # Text content is encoded here: handed over as bytes, a text that happens to be
        # valid base64 ("test", "0000") would be taken for base64 by LlamaIndex.
        payload = base64.b64encode(content.encode("utf-8")) if is_text_mime(mime) else content.encode("utf-8")
        return DocumentBlock(data=payload, document_mimetype=mime, title=name)
    if kind == "document":
        return _document(block)
    data, mime = block.get("data"), block.get("mime_type")
    source = block.get("source")
    if data is None and isinstance(source, Mapping):  # the Anthropic shape
        data = source.get("data") if source.get("type") == "base64" else source.get("url")
        mime = mime or source.get("media_type")
    if not isinstance(data, str) or not data:
        return None
    is_url = data.startswith(("http://", "https://", "data:"))
    if kind == "image":
        return ImageBlock(url=data, image_mimetype=mime) if is_url else ImageBlock(image=data.encode(), image_mimetype=mime)
    if kind == "audio":
        fmt = _audio_format(mime)
        return AudioBlock(url=data, format=fmt) if is_url else AudioBlock(audio=data.encode(), format=fmt)
    if kind == "binary":
        title = block.get("filename")
        if is_url:
            return DocumentBlock(url=data, document_mimetype=mime, title=title)
        return DocumentBlock(data=data.encode(), document_mimetype=mime, title=title)
    return None


def _document(block: Mapping[str, Any]) -> DocumentBlock | None:
    source = block.get("source")
    if not isinstance(source, Mapping):
        return None
    title, mime, kind = block.get("title"), source.get("media_type"), source.get("type")
    if kind == "text" and isinstance(source.get("data"), str):
        data = base64.b64encode(source["data"].encode("utf-8"))
        return DocumentBlock(data=data, document_mimetype=mime or "text/plain", title=title)
    if kind == "base64" and isinstance(source.get("data"), str):
        return DocumentBlock(data=source["data"].encode("ascii"), document_mimetype=mime, title=title)
    if kind == "url" and isinstance(source.get("url"), str):
        return DocumentBlock(url=source["url"], document_mimetype=mime, title=title)
    return None
