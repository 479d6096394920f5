"""The rules of a ZylonGPT collection as a vector store, shared by LangChain's
``ZylonVectorStore`` and LlamaIndex's ``ZylonIndex`` (pure: no I/O, no framework import).

* **ids**: a document is one artifact; its id is the artifact id (1 to 255 characters),
  a new UUID4 when none is given. Ingesting an id again replaces that artifact (an
  upsert: the server keeps one artifact per id in a collection).
* **metadata** travels as the artifact's ``metadata`` and must be JSON. The server needs a
  ``file_name`` with an extension: when a document has none, ``<artifact id>.txt`` is sent
  and left out again when read back. The server adds ``artifact_id``, ``collection``,
  ``headers``, ``hash``, ``llm_model`` and ``embed_model``; a document may not set those
  (they would be overwritten), and they are left out when read back.
* **filters**: framework filters become Zylon ``metadata_filter`` items ``{key, operator,
  value}`` with the operators ``== != > < >= <= in nin``, all of which must hold (AND).
  Anything else (``$or``, ``$like``, an OR condition, a callable...) is a ``ValueError``
  naming it, raised before any request.
* **hits**: a search hit is a chunk of an artifact; its metadata is the artifact's stored
  metadata (the search itself only returns ``file_name``, ``artifact_id`` and
  ``collection``). Chunks without text (the structural nodes the server also returns)
  are left out.
"""

from __future__ import annotations

import base64
import collections
import json
import math
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

from .errors import APIStatusError, NotFoundError
from .models import Chunk
from .models.ingest import IngestBody, IngestInput

DEFAULT_COLLECTION = "pgpt_collection"
"""The collection ZylonGPT uses when a request names none."""
MAX_ID_LENGTH = 255
OPERATORS = ("==", "!=", ">", "<", ">=", "<=", "in", "nin")
SERVER_METADATA_KEYS = ("artifact_id", "collection", "headers", "hash", "llm_model", "embed_model")
"""Keys the server writes into every artifact's metadata."""
DEFAULT_EXTENSION = ".txt"

_ORDERED = (">", "<", ">=", "<=")
_LANGCHAIN_OPERATORS = {
    "$eq": "==",
    "$ne": "!=",
    "$gt": ">",
    "$gte": ">=",
    "$lt": "<",
    "$lte": "<=",
    "$in": "in",
    "$nin": "nin",
}
# LlamaIndex FilterOperator values that are Zylon operators already.
_LLAMA_OPERATORS = {"==": "==", "!=": "!=", ">": ">", "<": "<", ">=": ">=", "<=": "<=", "in": "in", "nin": "nin"}


# -- collections and ids -----------------------------------------------------------------


def check_collection(collection: Any) -> str:
    """``collection`` if it is a usable name (1 to 255 characters, not blank)."""
    if not isinstance(collection, str) or not collection.strip() or len(collection) > MAX_ID_LENGTH:
        raise ValueError(
            f"collection must be a non-blank string of at most {MAX_ID_LENGTH} characters, got {collection!r}"
        )
    return collection


def check_artifact_id(value: Any) -> str:
    """An artifact id as the server takes it: a string of 1 to 255 characters, not blank."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
        shown = f"{value[:40]!r}... ({len(value)} characters)" if isinstance(value, str) and len(value) > 40 else repr(value)
        raise ValueError(f"an artifact id must be a non-blank string of at most {MAX_ID_LENGTH} characters, got {shown}")
    return value


def artifact_ids(ids: Optional[Sequence[Optional[str]]], count: int) -> list[str]:
    """One artifact id per document: the given one, or a new UUID4 where it is None.
    ``ValueError`` for a count mismatch, an invalid id or an id given twice."""
    if ids is None:
        return [str(uuid.uuid4()) for _ in range(count)]
    if isinstance(ids, str):
        raise ValueError(f"ids must be a list of ids, got the string {ids!r}")
    ids = list(ids)
    if len(ids) != count:
        raise ValueError(f"got {count} documents but {len(ids)} ids")
    out = [str(uuid.uuid4()) if i is None else check_artifact_id(i) for i in ids]
    repeated = sorted(i for i, n in collections.Counter(out).items() if n > 1)  # linear: vector stores add thousands
    if repeated:
        raise ValueError(f"ids must be unique within one call; repeated: {', '.join(map(repr, repeated))}")
    return out


def check_artifact_list(artifacts: Any, name: str = "artifact_ids") -> Optional[list[str]]:
    """A list of artifact ids (a single string is one id), or None."""
    if artifacts is None:
        return None
    if isinstance(artifacts, str):
        artifacts = [artifacts]
    if not isinstance(artifacts, Iterable):
        raise ValueError(f"{name} must be a list of artifact ids, got {type(artifacts).__name__}")
    return [check_artifact_id(a) for a in artifacts]


# -- metadata ----------------------------------------------------------------------------


def default_file_name(artifact_id: str) -> str:
    """The ``file_name`` sent for a document that has none (the server needs one)."""
    return re.sub(r"[^\w.-]", "_", artifact_id)[:200] + DEFAULT_EXTENSION


def ingest_metadata(metadata: Optional[Mapping[str, Any]], artifact_id: str) -> dict[str, Any]:
    """The ``metadata`` sent with an artifact: the document's own (JSON values, no key the
    server sets) plus a ``file_name`` when it has none. ``ValueError`` naming the key."""
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, Mapping):
        raise ValueError(f"metadata must be a dict, got {type(metadata).__name__}")
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise ValueError(f"metadata keys must be strings, got {key!r}")
        if key in SERVER_METADATA_KEYS:
            raise ValueError(
                f"metadata key {key!r} is set by the Zylon server ({', '.join(SERVER_METADATA_KEYS)}); "
                "rename it (the document's id is its artifact id)"
            )
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"metadata[{key!r}] is not JSON ({type(value).__name__}): {exc}") from None
        out[key] = value
    file_name = out.get("file_name")
    if file_name is None:
        out["file_name"] = default_file_name(artifact_id)
    elif not isinstance(file_name, str) or not re.search(r"\.\w+$", file_name.strip()):
        raise ValueError(
            f"metadata['file_name'] must be a file name with an extension (the server picks its reader by it), got {file_name!r}"
        )
    return out


def stored_metadata(doc_metadata: Optional[Mapping[str, Any]], artifact_id: Optional[str]) -> dict[str, Any]:
    """An artifact's metadata as the document had it: without the keys the server adds,
    and without the ``file_name`` :func:`ingest_metadata` made up."""
    metadata = {k: v for k, v in (doc_metadata or {}).items() if k not in SERVER_METADATA_KEYS}
    if artifact_id is not None and metadata.get("file_name") == default_file_name(artifact_id):
        del metadata["file_name"]
    return metadata


def ingest_body(collection: str, artifact_id: str, text: str, metadata: Optional[Mapping[str, Any]]) -> IngestBody:
    """The ingest request of one text document (checked)."""
    if not isinstance(text, str):
        raise ValueError(f"document {artifact_id!r}: the text must be a string, got {type(text).__name__}")
    return IngestBody(
        artifact=check_artifact_id(artifact_id),
        collection=check_collection(collection),
        input=IngestInput(type="text", value=text),
        metadata=ingest_metadata(metadata, artifact_id),
    )


def ingest_input(*, text: Optional[str] = None, file: Optional[bytes] = None, uri: Optional[str] = None) -> IngestInput:
    """Exactly one of ``text``, ``file`` (bytes, sent base64) or ``uri``."""
    given = [name for name, value in (("text", text), ("file", file), ("uri", uri)) if value is not None]
    if len(given) != 1:
        raise ValueError(f"give exactly one of text, file or uri to ingest, got {', '.join(given) or 'none'}")
    if text is not None:
        if not isinstance(text, str):
            raise ValueError(f"text must be a string, got {type(text).__name__}")
        return IngestInput(type="text", value=text)
    if file is not None:
        if not isinstance(file, (bytes, bytearray)):
            raise ValueError(f"file must be bytes, got {type(file).__name__}")
        return IngestInput(type="file", value=base64.b64encode(bytes(file)).decode("ascii"))
    if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
        raise ValueError(f"uri must be an http(s) URL, got {uri!r}")
    return IngestInput(type="uri", value=uri)


# -- filters -----------------------------------------------------------------------------


def _scalar(value: Any) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, (str, int, float))


def filter_item(key: Any, operator: Any, value: Any) -> dict[str, Any]:
    """One Zylon ``metadata_filter`` item, checked: a key, one of :data:`OPERATORS`, and
    a value fitting it (a string or number; a boolean for ``==``/``!=``; a non-empty list
    of strings or numbers for ``in``/``nin``)."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"a metadata filter needs a non-empty string key, got {key!r}")
    if operator not in OPERATORS:
        raise ValueError(f"unsupported metadata filter operator {operator!r} on {key!r}; Zylon takes {' '.join(OPERATORS)}")
    if operator in ("in", "nin"):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, set, frozenset)) or not value:
            raise ValueError(f"metadata filter {key!r} {operator}: the value must be a non-empty list, got {value!r}")
        values = list(value)
        if not all(_scalar(v) and not isinstance(v, bool) for v in values):
            raise ValueError(f"metadata filter {key!r} {operator}: list items must be strings or numbers, got {values!r}")
        return {"key": key, "operator": operator, "value": values}
    if isinstance(value, bool):
        if operator in _ORDERED:
            raise ValueError(f"metadata filter {key!r} {operator}: a boolean cannot be ordered")
        return {"key": key, "operator": operator, "value": value}
    if not _scalar(value):
        raise ValueError(f"metadata filter {key!r} {operator}: the value must be a string or a number, got {value!r}")
    return {"key": key, "operator": operator, "value": value}


def check_filter_items(items: Optional[Iterable[Mapping[str, Any]]]) -> Optional[list[dict[str, Any]]]:
    """Zylon-form ``metadata_filter`` items (``{key, operator, value}``), checked."""
    if items is None:
        return None
    out = []
    for item in items:
        if not isinstance(item, Mapping) or set(item) - {"key", "operator", "value"}:
            raise ValueError(f"a metadata_filter item is {{key, operator, value}}, got {item!r}")
        out.append(filter_item(item.get("key"), item.get("operator", "=="), item.get("value")))
    return out or None


def filter_from_langchain(filter: Any) -> Optional[list[dict[str, Any]]]:
    """A LangChain metadata filter dict as Zylon items.

    ``{"team": "sales"}`` (equality), ``{"year": {"$gte": 2024, "$lt": 2026}}``,
    ``{"$and": [{...}, {...}]}``; operators ``$eq $ne $gt $gte $lt $lte $in $nin``. Several
    keys (and several operators on one key) must all hold. ``$or``, ``$not`` and other
    operators, and callables, are a ``ValueError``."""
    if filter is None:
        return None
    if not isinstance(filter, Mapping):
        raise ValueError(
            f"filter must be a dict of metadata conditions (e.g. {{'team': 'sales'}}), got {type(filter).__name__}: "
            "Zylon filters on the server, so a callable cannot be used"
        )
    items: list[dict[str, Any]] = []
    for key, condition in filter.items():
        if key == "$and":
            if not isinstance(condition, (list, tuple)) or not condition:
                raise ValueError(f"'$and' takes a non-empty list of filters, got {condition!r}")
            for part in condition:
                items.extend(filter_from_langchain(part) or [])
        elif isinstance(key, str) and key.startswith("$"):
            raise ValueError(
                f"unsupported filter operator {key!r}: Zylon metadata filters all must hold ('$and'); "
                "'$or', '$not' and the like are not available"
            )
        elif isinstance(condition, Mapping):
            if not condition:
                raise ValueError(f"filter on {key!r}: empty condition {{}}")
            for op, value in condition.items():
                if op not in _LANGCHAIN_OPERATORS:
                    raise ValueError(
                        f"unsupported filter operator {op!r} on {key!r}; Zylon takes {', '.join(_LANGCHAIN_OPERATORS)}"
                    )
                items.append(filter_item(key, _LANGCHAIN_OPERATORS[op], value))
        else:
            items.append(filter_item(key, "==", condition))
    return items or None


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def filter_from_llama_index(filters: Any) -> Optional[list[dict[str, Any]]]:
    """LlamaIndex ``MetadataFilters`` (nested ones too) as Zylon items: every filter must
    hold, so the condition must be AND (OR with a single filter is the same thing);
    operators ``== != > < >= <= in nin``. Others (``text_match``, ``contains``,
    ``is_empty``...), OR and NOT are a ``ValueError``."""
    if filters is None:
        return None
    if not hasattr(filters, "filters"):
        raise ValueError(f"filters must be llama_index MetadataFilters, got {type(filters).__name__}")
    parts = list(filters.filters or ())
    condition = str(_enum_value(getattr(filters, "condition", None) or "and")).lower()
    if condition != "and" and not (condition == "or" and len(parts) == 1):
        raise ValueError(f"unsupported MetadataFilters condition {condition!r}: Zylon metadata filters all must hold (AND)")
    items: list[dict[str, Any]] = []
    for part in parts:
        if hasattr(part, "filters"):
            items.extend(filter_from_llama_index(part) or [])
            continue
        operator = str(_enum_value(getattr(part, "operator", "==")))
        if operator not in _LLAMA_OPERATORS:
            raise ValueError(
                f"unsupported filter operator {operator!r} on {getattr(part, 'key', None)!r}; "
                f"Zylon takes {' '.join(OPERATORS)}"
            )
        items.append(filter_item(getattr(part, "key", None), _LLAMA_OPERATORS[operator], getattr(part, "value", None)))
    return items or None


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionHit:
    """One search hit: a chunk of an artifact, with the artifact's stored metadata."""

    artifact_id: str
    chunk_id: Optional[str]
    text: str
    score: Optional[float]
    metadata: dict[str, Any] = field(default_factory=dict)
    previous_texts: tuple[str, ...] = ()
    next_texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredDocument:
    """One artifact of a collection: its id, content (markdown as the server renders it)
    and stored metadata."""

    artifact_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def chunk_artifact(chunk: Chunk) -> Optional[str]:
    document = chunk.document
    if document is None:
        return None
    return document.artifact or (document.doc_metadata or {}).get("artifact_id")


def collection_hits(chunks: Iterable[Chunk], stored: Optional[Mapping[str, Mapping[str, Any]]] = None) -> list[CollectionHit]:
    """The hits of a search: each chunk's artifact id, text and score, and the artifact's
    metadata (``stored``: the collection's list, artifact id → doc metadata; the chunk's
    own document metadata where the artifact is not in it). Chunks without text, or
    without an artifact, are left out."""
    hits = []
    for chunk in chunks:
        artifact_id = chunk_artifact(chunk)
        if not chunk.text or artifact_id is None:
            continue
        raw = stored.get(artifact_id) if stored is not None else None
        if raw is None:
            raw = (chunk.document.doc_metadata if chunk.document else None) or {}
        hits.append(
            CollectionHit(
                artifact_id=artifact_id,
                chunk_id=chunk.id,
                text=chunk.text,
                score=chunk.score,
                metadata=stored_metadata(raw, artifact_id),
                previous_texts=tuple(chunk.previous_texts or ()),
                next_texts=tuple(chunk.next_texts or ()),
            )
        )
    return hits


def relevance(score: Optional[float]) -> float:
    """A chunk score as a relevance in [0, 1] (the server's cosine similarity can stray
    just outside, e.g. ``1.0000001``)."""
    return 0.0 if score is None else min(1.0, max(0.0, float(score)))


def is_missing_artifact(error: BaseException) -> bool:
    """Whether an error says the artifact is not there: a 404, or the 400 ZylonGPT gives
    for an artifact it does not know ("VectorArtifactIndex for artifact=... is not
    initialized.")."""
    if isinstance(error, NotFoundError):
        return True
    return isinstance(error, APIStatusError) and error.status_code == 400 and "is not initialized" in str(error)
