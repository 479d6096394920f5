"""Media, files and documents in LangChain content → Zylon input blocks (pure).

Zylon has no ``file`` input block (the server answers 400). A file or document goes:

* to the Workspace API (``api="workspace"``, every ``ChatZylon`` route today) as a
  ``binary`` block ``{"data": <base64>, "mime_type", "filename"}`` (text is sent as its
  UTF-8 bytes, base64-encoded; an http(s) URL goes in ``data`` as the Workspace docs
  allow). The server converts it (a ``document_preprocessing`` server tool).
* to ZylonGPT (``api="gpt"``) as a ``document`` block: a ``text`` source for text
  given as text, ``base64`` for bytes, ``url`` for a link (never captured: the server
  documents it), with the file name as ``title``.

Images and audio go in the shape both APIs take: ``{"data": <base64 or URL>,
"mime_type"}``.

Accepted forms: LangChain v1 blocks (``image``/``audio``/``file`` with ``base64`` or
``url``, ``text-plain``), the older ``source_type`` form, OpenAI's ``image_url`` /
``input_audio`` / ``file.file_data``, Anthropic's ``source`` dicts and ``document``
blocks, and Zylon's own shapes (``binary``, ``document``, the Workspace's old ``file``).
Every problem (a provider file id, corrupt base64, no data) is a ``ValueError`` naming
the block, raised before any request.
"""

from __future__ import annotations

import base64
import mimetypes
from typing import Any, Literal

from zylon_core._checks import check_base64, is_text_mime, parse_data_uri, utf8_text

Api = Literal["workspace", "gpt"]
APIS = ("workspace", "gpt")

_AUDIO_FORMATS = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac", "m4a": "audio/mp4"}
_HTTP = ("http://", "https://")
_OCTET = "application/octet-stream"


def check_api(api: Any) -> Api:
    if api not in APIS:
        raise ValueError(f"unknown Zylon API {api!r}; expected 'workspace' or 'gpt'")
    return api


# -- images and audio ----------------------------------------------------------------------


def image_url_block(item: dict[str, Any], where: str) -> dict[str, Any]:
    """OpenAI's ``{"type": "image_url", "image_url": {"url": ...}}`` (or a bare string)."""
    value = item.get("image_url")
    url = value if isinstance(value, str) else (value or {}).get("url")
    if not url:
        raise ValueError(f"{where}: image_url block without a url")
    return _media("image", url=url, where=where)


def input_audio_block(item: dict[str, Any], where: str) -> dict[str, Any]:
    """OpenAI's ``{"type": "input_audio", "input_audio": {"data", "format"}}``."""
    audio = item.get("input_audio") or {}
    if not audio.get("data"):
        raise ValueError(f"{where}: input_audio block without data")
    fmt = (audio.get("format") or "").lower()
    return _media("audio", data=_base64(audio["data"], where), mime_type=_AUDIO_FORMATS.get(fmt, f"audio/{fmt}" if fmt else None), where=where)


def media_block(item: dict[str, Any], where: str) -> dict[str, Any]:
    """An ``image`` or ``audio`` block in any accepted form."""
    kind = item["type"]
    mime = item.get("mime_type")
    if item.get("base64"):
        return _media(kind, data=_base64(item["base64"], where), mime_type=mime, where=where)
    source_type = item.get("source_type")
    if source_type == "base64":  # v0 form
        return _media(kind, data=_base64(item.get("data"), where), mime_type=mime, where=where)
    if source_type is None and "data" in item and "source" not in item:  # Zylon's own: base64 or a URL
        return _media(kind, data=item.get("data"), mime_type=mime, where=where)
    if item.get("url") or source_type == "url":
        return _media(kind, url=item.get("url"), mime_type=mime, where=where)
    source = item.get("source")
    if isinstance(source, dict):  # Anthropic's shape
        if source.get("type") == "base64":
            return _media(kind, data=_base64(source.get("data"), where), mime_type=source.get("media_type"), where=where)
        if source.get("type") == "url":
            return _media(kind, url=source.get("url"), where=where)
    if item.get("file_id") or source_type == "id" or (isinstance(source, dict) and source.get("type") == "file"):
        raise ValueError(
            f"{where}: {kind} blocks that reference a provider file id are not supported by Zylon; "
            "send the data as base64 or a URL"
        )
    raise ValueError(f"{where}: {kind} block needs 'base64' (with 'mime_type') or 'url'")


def _media(kind: str, *, url: str | None = None, data: str | None = None, mime_type: str | None = None, where: str) -> dict[str, Any]:
    if url is not None:
        if url.startswith("data:"):
            uri_mime, data = parse_data_uri(url, where)
            mime_type = mime_type or uri_mime
        elif url.startswith(_HTTP):
            data = url
            mime_type = mime_type or mimetypes.guess_type(url.split("?", 1)[0])[0]
        else:
            raise ValueError(f"{where}: {kind} url must be http(s) or a base64 data URI")
    if not data:
        raise ValueError(f"{where}: {kind} block has no data")
    block: dict[str, Any] = {"type": kind, "data": data}
    if mime_type:
        block["mime_type"] = mime_type
    return block


def _base64(data: Any, where: str) -> Any:
    """Base64 payloads are checked here, so a corrupt one fails before any request."""
    return check_base64(data, where) if data else data


# -- files and documents -------------------------------------------------------------------


def file_block(item: dict[str, Any], where: str, api: Api) -> dict[str, Any]:
    """A LangChain ``file`` block (v1, v0, OpenAI's, or the Workspace's old ``file`` shape)."""
    mime = item.get("mime_type")
    filename = filename_of(item)
    if isinstance(item.get("content"), str):
        if not is_text_mime(item.get("content_type")):
            item = {**item, "content": _base64(item["content"], where)}
        return workspace_file(item, api)
    if item.get("base64"):
        return document(data=_base64(item["base64"], where), mime=mime, filename=filename, api=api)
    source_type = item.get("source_type")
    if source_type == "base64" and item.get("data"):
        return document(data=_base64(item["data"], where), mime=mime, filename=filename, api=api)
    if source_type == "text" and isinstance(item.get("text"), str):
        return document(text=item["text"], mime=mime or "text/plain", filename=filename, api=api)
    openai_file = item.get("file")
    if isinstance(openai_file, dict):  # OpenAI chat-completions form
        file_data = openai_file.get("file_data")
        if file_data:
            if not isinstance(file_data, str) or not file_data.startswith("data:"):
                raise ValueError(f"{where}: file.file_data must be a base64 data URI")
            uri_mime, data = parse_data_uri(file_data, f"{where} file.file_data")
            return document(data=data, mime=uri_mime, filename=openai_file.get("filename") or filename, api=api)
        raise ValueError(f"{where}: file blocks that reference a provider file id are not supported by Zylon")
    url = item.get("url")
    if url:
        return _url_file(url, mime, filename, where, api)
    if item.get("file_id") or source_type == "id":
        raise ValueError(
            f"{where}: file blocks that reference a provider file id are not supported by Zylon; "
            "send the file as base64 (or upload it as a project artifact)"
        )
    raise ValueError(f"{where}: file block needs 'base64' (with 'mime_type'), 'url' or text content")


def workspace_file(item: dict[str, Any], api: Api) -> dict[str, Any]:
    """The Workspace's older ``file`` block ``{content, content_type, doc_metadata}``
    (text, or base64 bytes), which ZylonGPT refuses."""
    name = (item.get("doc_metadata") or {}).get("file_name") or filename_of(item)
    mime = item.get("content_type")
    if is_text_mime(mime):
        return document(text=item["content"], mime=mime, filename=name, api=api)
    return document(data=item["content"], mime=mime, filename=name, api=api)


def text_plain_block(item: dict[str, Any], api: Api) -> dict[str, Any]:
    """LangChain's ``text-plain`` (and v0 ``{"type": "text", "source_type": "text"}``)."""
    return document(text=item.get("text") or "", mime=item.get("mime_type") or "text/plain", filename=filename_of(item), api=api)


def anthropic_document(item: dict[str, Any], where: str, api: Api) -> dict[str, Any]:
    """An Anthropic/ZylonGPT ``document`` block (``text``, ``base64``, ``url`` or
    ``content`` source)."""
    source = item.get("source") or {}
    filename = filename_of(item)
    kind = source.get("type") if isinstance(source, dict) else None
    if kind == "base64":
        return document(data=_base64(source.get("data"), where) or "", mime=source.get("media_type"), filename=filename, api=api)
    if kind == "text":
        return document(text=source.get("data") or "", mime=source.get("media_type") or "text/plain", filename=filename, api=api)
    if kind == "url":
        return _url_file(source.get("url") or "", None, filename, where, api)
    if kind == "content":
        if api == "gpt":
            return {k: v for k, v in item.items() if k in ("type", "source", "title", "context", "citations")}
        content = source.get("content")
        text = content if isinstance(content, str) else "\n".join(
            b.get("text") or "" for b in content or () if isinstance(b, dict) and b.get("type") == "text"
        )
        return document(text=text, mime="text/plain", filename=filename, api=api)
    raise ValueError(f"{where}: document block with source type {kind!r} is not supported by Zylon")


def binary_block(item: dict[str, Any], where: str) -> dict[str, Any]:
    """Zylon's own ``binary`` block: both APIs take it as it is."""
    if not item.get("data") or not item.get("mime_type"):
        raise ValueError(f"{where}: a 'binary' block needs 'data' (base64 or a URL) and 'mime_type'")
    data = item["data"]
    if not str(data).startswith(_HTTP):
        data = _base64(data, where)
    block = {"type": "binary", "data": data, "mime_type": item["mime_type"]}
    if item.get("filename"):
        block["filename"] = item["filename"]
    return block


def document(
    *, data: str | None = None, text: str | None = None, url: str | None = None, mime: str | None, filename: str | None, api: Api
) -> dict[str, Any]:
    """One file as the block ``api`` takes: ``data`` is base64 bytes, ``text`` the file's
    text, ``url`` a link (exactly one of them)."""
    if api == "gpt":
        if url is not None:
            source: dict[str, Any] = {"type": "url", "url": url}
        elif text is not None:
            source = {"type": "text", "media_type": mime or "text/plain", "data": text}
        else:  # bytes stay bytes, whatever their type (ZylonGPT takes base64 text/plain too)
            _check_text(data, mime, filename)
            source = {"type": "base64", "media_type": mime or _OCTET, "data": data or ""}
        block: dict[str, Any] = {"type": "document", "source": source}
        if filename:
            block["title"] = filename
        return block
    if url is not None:
        payload = url
    elif text is not None:
        payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
        mime = mime or "text/plain"
    else:
        _check_text(data, mime, filename)
        payload = data or ""
    block = {"type": "binary", "data": payload, "mime_type": mime or _OCTET}
    if filename:
        block["filename"] = filename
    return block


def _check_text(data: str | None, mime: str | None, filename: str | None) -> None:
    """Bytes declared as text must be UTF-8 text: the server reads them as such, and a
    mislabelled file would reach the model garbled."""
    if data and is_text_mime(mime):
        utf8_text(base64.b64decode(data), f"file {filename!r}" if filename else "file")


def _url_file(url: str, mime: str | None, filename: str | None, where: str, api: Api) -> dict[str, Any]:
    if url.startswith("data:"):
        uri_mime, data = parse_data_uri(url, where)
        return document(data=data, mime=mime or uri_mime, filename=filename, api=api)
    if url.startswith(_HTTP):
        path = url.split("?", 1)[0]
        mime = mime or mimetypes.guess_type(path)[0] or _OCTET
        name = filename or path.rstrip("/").rsplit("/", 1)[-1] or None
        return document(url=url, mime=mime, filename=name, api=api)
    raise ValueError(f"{where}: a file url must be http(s) or a base64 data URI, got {url[:60]!r}")


def filename_of(item: dict[str, Any]) -> str | None:
    for holder in (item, item.get("extras") or {}, item.get("metadata") or {}):
        if not isinstance(holder, dict):
            continue
        for key in ("filename", "file_name", "name", "title"):
            value = holder.get(key)
            if isinstance(value, str) and value:
                return value
    return None
