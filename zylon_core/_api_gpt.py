"""ZylonGPT artifact endpoints (``{base}/api/gpt/v1/artifacts/...``) as call builders,
mixed into :class:`~zylon_core._api.Endpoints`. A Gateway token reaches them.

* ``POST /artifacts/ingest``: one artifact (text, base64 file or URI) with its metadata
  into a collection; the same artifact id again replaces it;
* ``GET /artifacts/list?collection=``: every artifact of a collection with its metadata
  (``collection`` is required, despite the documented default);
* ``POST /artifacts/delete`` ``{artifact, collection}`` (both required): ``200 null``;
* ``POST /artifacts/content``: full content (markdown, or a node tree with ``format:
  "object"``); ``POST /artifacts/chunked-content``: chat-ready blocks per artifact.

Chunk search (``POST /primitives/search``) is :meth:`Endpoints.chunk_search`.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Sequence

from ._call import Call
from ._collections import check_artifact_id, check_artifact_list, check_collection, check_filter_items
from .models import ContextFilter, IngestedDoc
from .models.ingest import (
    ChunkedContentResponse,
    ContentBody,
    ContentResponse,
    DeleteIngestedBody,
    IngestBody,
    IngestResponse,
)


def _ingest_response(response: Any) -> IngestResponse:
    return IngestResponse.model_validate(response.json())


def _first_doc(response: Any) -> IngestedDoc:
    data = IngestResponse.model_validate(response.json()).data
    if not data:
        raise ValueError("the ingest answer lists no ingested document")
    return data[0]


def _metadata_index(response: Any) -> dict[str, dict[str, Any]]:
    # The list can hold thousands of artifacts and every search with hits reads it: read
    # only what a search needs (artifact id → metadata), without a model per item.
    data = response.json().get("data")
    if not isinstance(data, list):
        raise ValueError("the list answer has no 'data' list")
    index: dict[str, dict[str, Any]] = {}
    for item in data:
        if not isinstance(item, dict):
            raise ValueError(f"a listed artifact is not an object: {item!r:.80}")
        artifact, metadata = item.get("artifact"), item.get("doc_metadata")
        if isinstance(artifact, str) and artifact:
            index[artifact] = metadata if isinstance(metadata, dict) else {}
    return index


def context_filter(
    collection: str, artifacts: Optional[Sequence[str]] = None, metadata_filter: Optional[list[dict[str, Any]]] = None
) -> ContextFilter:
    """``{"collection", "artifacts"?, "metadata_filter"?}``, checked."""
    values: dict[str, Any] = {"collection": check_collection(collection)}
    listed = check_artifact_list(artifacts, "artifacts")
    if listed is not None:
        values["artifacts"] = listed
    items = check_filter_items(metadata_filter)
    if items is not None:
        values["metadata_filter"] = items
    return ContextFilter.model_validate(values)


class GptArtifactEndpoints:
    """``/api/gpt/v1/artifacts/...`` (mixed into ``Endpoints``)."""

    _gpt: str

    def ingest(self, body: IngestBody) -> Call[IngestedDoc]:
        """``POST /artifacts/ingest``: the ingested document (``artifact``, ``doc_metadata``
        with what the server added: ``artifact_id``, ``collection``, ``hash``...)."""
        # Not resent once it may have reached the server: a second ingest races the first
        # ("409 task already in progress") and embeds everything again.
        return Call("POST", self._gpt + "/artifacts/ingest", json=body.to_json_dict(), parse=_first_doc, idempotent=False)

    def ingested_list(self, collection: str) -> Call[IngestResponse]:
        """``GET /artifacts/list?collection=``: every artifact of the collection."""
        return Call(
            "GET", self._gpt + "/artifacts/list", params={"collection": check_collection(collection)}, parse=_ingest_response
        )

    def ingested_metadata(self, collection: str) -> Call[dict[str, dict[str, Any]]]:
        """``GET /artifacts/list?collection=`` read as artifact id → its doc metadata."""
        return Call(
            "GET", self._gpt + "/artifacts/list", params={"collection": check_collection(collection)}, parse=_metadata_index
        )

    def ingested_delete(self, collection: str, artifact_id: str) -> Call[None]:
        """``POST /artifacts/delete``: ``200 null``; an unknown artifact is an error (see
        :func:`zylon_core._collections.is_missing_artifact`)."""
        body = DeleteIngestedBody(artifact=check_artifact_id(artifact_id), collection=check_collection(collection))
        # Safe to resend: deleting twice leaves the same state (the second answer says the
        # artifact is missing, which deleting reads as done).
        return Call("POST", self._gpt + "/artifacts/delete", json=body.to_json_dict(), idempotent=True)

    def ingested_content(
        self, filter: ContextFilter, *, format: Literal["markdown", "object"] | None = None
    ) -> Call[ContentResponse]:
        """``POST /artifacts/content``: the full content of the artifacts ``filter`` selects."""
        values: dict[str, Any] = {"context_filter": filter}
        if format is not None:
            values["format"] = format
        body = ContentBody.model_validate(values)
        return Call(
            "POST",
            self._gpt + "/artifacts/content",
            json=body.to_json_dict(),
            parse=lambda r: ContentResponse.model_validate(r.json()),
            idempotent=True,  # a read sent as POST
        )

    def ingested_chunked_content(self, filter: ContextFilter, *, max_tokens: int | None = None) -> Call[ChunkedContentResponse]:
        """``POST /artifacts/chunked-content``: per artifact a ``source`` block and the
        ``Citation identifier`` text, as a chat's tool result carries them."""
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1):
            raise ValueError(f"max_tokens must be a positive integer, got {max_tokens!r}")
        values: dict[str, Any] = {"context_filter": filter}
        if max_tokens is not None:
            values["max_tokens"] = max_tokens
        body = ContentBody.model_validate(values)
        return Call(
            "POST",
            self._gpt + "/artifacts/chunked-content",
            json=body.to_json_dict(),
            parse=lambda r: ChunkedContentResponse.model_validate(r.json()),
            idempotent=True,  # a read sent as POST
        )
