"""Every documented artifact / Workspace search payload parses into the core models and
serialises back unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from tests.conftest import example_names, load_example, parse_sse_text
from zylon_core.models import (
    Artifact,
    BulkDeleteArtifacts,
    BulkUpdateArtifacts,
    CreateArtifact,
    LinkedArtifactsCheck,
    Page,
    SearchResult,
    UpdateArtifact,
)

ARTIFACT_RESPONSES = (2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 26, 28, 30)
CREATE_REQUESTS = (3, 5, 7, 9, 11, 13, 15, 17, 19, 21)


def _name(number: int, kind: str) -> str:
    return f"workspace-artifacts.{number:02d}.{kind}.json"


# Which type reads each documented body (TypeAdapter: lists and plain dicts too).
SHAPES: dict[str, Any] = {
    **{_name(n, "response"): Artifact for n in ARTIFACT_RESPONSES},
    **{_name(n, "request"): CreateArtifact for n in CREATE_REQUESTS},
    _name(24, "response"): Page[Artifact],
    _name(27, "request"): UpdateArtifact,
    _name(32, "response"): dict[str, Any],  # private props: whatever the artifact type keeps
    _name(39, "request"): BulkUpdateArtifacts,
    _name(40, "response"): list[Artifact],
    _name(41, "request"): BulkDeleteArtifacts,
    _name(42, "response"): list[Artifact],
    _name(44, "response"): LinkedArtifactsCheck,
    "workspace-search.02.response.json": list[SearchResult],
    "workspace-search.04.response.json": list[SearchResult],
}


def test_every_artifact_and_search_example_is_covered(shared_api):
    documented = set(example_names("workspace-artifacts.*.json")) | set(example_names("workspace-search.*.json"))
    missing = documented - set(SHAPES)
    assert not missing, f"examples without a model: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_example_parses_and_round_trips(name):
    data = load_example(name)
    adapter = TypeAdapter(SHAPES[name])
    parsed = adapter.validate_python(data)
    assert adapter.dump_python(parsed, mode="json", by_alias=True, exclude_unset=True) == data


def test_create_requests_serialise_as_sent(shared_api):
    for number in CREATE_REQUESTS:
        data = load_example(_name(number, "request"))
        assert CreateArtifact.model_validate(data).to_json_dict() == data


def test_document_response_reads_as_ingested():
    artifact = Artifact.model_validate(load_example(_name(2, "response")))
    assert (artifact.type, artifact.ingest_status, artifact.file_name) == ("Document", "Done", "q1-support-summary.txt")
    assert artifact.ingested and not artifact.ingest_pending and not artifact.ingest_failed


@pytest.mark.parametrize(
    ("number", "ingested"),
    [(4, True), (8, False), (16, True), (18, True)],  # folder, summary (processing), analysis, smartdoc
)
def test_ingest_state_of_other_artifact_types(number, ingested):
    artifact = Artifact.model_validate(load_example(_name(number, "response")))
    assert artifact.ingested is ingested
    assert artifact.ingest_pending is (not ingested)


def test_delete_response_is_an_artifact_with_only_id_and_state():
    artifact = Artifact.model_validate(load_example(_name(30, "response")))
    assert (artifact.id, artifact.state, artifact.name) == ("artifact_doc_q1", "Deleted", None)


def test_failed_ingestion_is_recognised():
    artifact = Artifact.model_validate({"id": "a", "state": "Error", "ingest_status": "Error", "error": "ParsingFailure"})
    assert artifact.ingest_failed and not artifact.ingested and not artifact.ingest_pending


def test_bulk_update_keeps_the_camel_case_artifact_id(shared_api):
    data = load_example(_name(39, "request"))
    parsed = BulkUpdateArtifacts.model_validate(data)
    assert parsed.artifacts[0].artifact_id == "artifact_doc_q1"
    assert parsed.to_json_dict() == data


def test_search_results_read_rank_and_metadata(shared_api):
    results = TypeAdapter(list[SearchResult]).validate_python(load_example("workspace-search.02.response.json"))
    assert [(r.type, r.rank) for r in results] == [("Artifact", 0.91), ("ArtifactContent", 0.84)]
    assert results[1].metadata["project_name"] == "Customer Insights"


def test_artifact_sync_stream_example_is_json_events(shared_api):
    """The sync stream (``workspace-artifacts.38``) is not modelled; its events are JSON."""
    text = (shared_api / "examples" / "workspace-artifacts.38.stream.sse").read_text()
    events = parse_sse_text(text)
    assert [e for e, _ in events] == ["sync_started", "sync_progress", "sync_completed"]
