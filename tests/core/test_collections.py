"""The pure rules of a ZylonGPT collection as a vector store (zylon_core._collections) and
the built-in tool helpers (zylon_core._builtin_tools): ids, metadata both ways, filters,
hits, and the tool dicts with their tool_context."""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime
from types import SimpleNamespace

import httpx
import pytest

from zylon_core import _builtin_tools as bt
from zylon_core._collections import (
    SERVER_METADATA_KEYS,
    artifact_ids,
    check_filter_items,
    collection_hits,
    default_file_name,
    filter_from_langchain,
    filter_from_llama_index,
    ingest_body,
    ingest_input,
    ingest_metadata,
    is_missing_artifact,
    relevance,
    stored_metadata,
)
from zylon_core.errors import error_from_response
from zylon_core.models import ChunkSearchResponse
from zylon_core.models.ingest import IngestResponse

# -- ids -----------------------------------------------------------------------------------


def test_missing_ids_are_new_uuid4s_and_given_ones_are_kept():
    made = artifact_ids(None, 3)
    assert len(set(made)) == 3 and all(uuid.UUID(i).version == 4 for i in made)
    mixed = artifact_ids(["doc_alpha", None, "x" * 255], 3)
    assert mixed[0] == "doc_alpha" and mixed[2] == "x" * 255 and uuid.UUID(mixed[1]).version == 4


@pytest.mark.parametrize(
    ("ids", "count", "problem"),
    [
        (["a"], 2, "got 2 documents but 1 ids"),
        ([""], 1, "non-blank string"),
        (["   "], 1, "non-blank string"),
        (["x" * 256], 1, "at most 255"),
        ([7], 1, "got 7"),
        (["a", "b", "a"], 3, "repeated: 'a'"),
        ("ab", 2, "got the string 'ab'"),
    ],
)
def test_bad_ids_are_refused(ids, count, problem):
    with pytest.raises(ValueError, match=problem):
        artifact_ids(ids, count)


# -- metadata ------------------------------------------------------------------------------


def test_a_document_without_file_name_gets_one_and_loses_it_when_read(shared_api):
    sent = ingest_metadata({"team": "sales", "year": 2024}, "doc 1/α")
    assert sent == {"team": "sales", "year": 2024, "file_name": "doc_1_α.txt"}
    # What the server answers for it (its keys added, as the captured list shows them):
    listed = IngestResponse.model_validate_json((shared_api / "captures" / "artifacts_list_capture.response.json").read_text())
    server_keys = set(listed.data[0].doc_metadata or {}) - {"file_name", "team", "year"}
    assert server_keys == set(SERVER_METADATA_KEYS)
    back = {**sent, **{k: (listed.data[0].doc_metadata or {})[k] for k in server_keys}}
    assert stored_metadata(back, "doc 1/α") == {"team": "sales", "year": 2024}


def test_a_documents_own_file_name_is_kept_both_ways(shared_api):
    listed = IngestResponse.model_validate_json((shared_api / "captures" / "artifacts_list_capture.response.json").read_text())
    by_id = {d.artifact: stored_metadata(d.doc_metadata, d.artifact) for d in listed.data}
    assert by_id == {
        "doc_beta": {"file_name": "beta.txt", "team": "ops", "year": 2025},
        "doc_alpha": {"file_name": "alpha.md", "team": "sales", "year": 2024},
    }
    assert ingest_metadata({"file_name": "alpha.md"}, "doc_alpha") == {"file_name": "alpha.md"}


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({"hash": "x"}, "'hash' is set by the Zylon server"),
        ({"artifact_id": "x"}, "'artifact_id' is set by the Zylon server"),
        ({"when": datetime(2024, 1, 1)}, r"metadata\['when'\] is not JSON \(datetime\)"),
        ({"ratio": math.nan}, r"metadata\['ratio'\] is not JSON"),
        ({1: "x"}, "keys must be strings"),
        ({"file_name": "notes"}, "with an extension"),
        ({"file_name": 3}, "with an extension"),
        (["a"], "metadata must be a dict"),
    ],
)
def test_bad_metadata_is_refused_naming_the_key(metadata, problem):
    with pytest.raises(ValueError, match=problem):
        ingest_metadata(metadata, "a1")


def test_the_ingest_body_is_the_captured_one(shared_api):
    captured = json.loads((shared_api / "captures" / "ingest_text_a.request.json").read_text())
    body = ingest_body("capture", "doc_alpha", captured["input"]["value"], captured["metadata"])
    assert body.to_json_dict() == captured


def test_ingest_inputs():
    assert ingest_input(text="hi").to_json_dict() == {"type": "text", "value": "hi"}
    assert ingest_input(file=b"Beta memo.").to_json_dict() == {"type": "file", "value": "QmV0YSBtZW1vLg=="}
    assert ingest_input(uri="https://example.com/a.html").to_json_dict() == {"type": "uri", "value": "https://example.com/a.html"}
    for kwargs, problem in [({}, "got none"), ({"text": "a", "uri": "https://x"}, "got text, uri"), ({"uri": "ftp://x"}, "http")]:
        with pytest.raises(ValueError, match=problem):
            ingest_input(**kwargs)


def test_default_file_names_have_an_extension():
    assert default_file_name("doc_alpha") == "doc_alpha.txt"
    assert default_file_name("a/b c").endswith(".txt") and "/" not in default_file_name("a/b c")


# -- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "items"),
    [
        (None, None),
        ({}, None),
        ({"team": "sales"}, [{"key": "team", "operator": "==", "value": "sales"}]),
        (
            {"team": "sales", "year": {"$gte": 2024, "$lt": 2026}},
            [
                {"key": "team", "operator": "==", "value": "sales"},
                {"key": "year", "operator": ">=", "value": 2024},
                {"key": "year", "operator": "<", "value": 2026},
            ],
        ),
        ({"team": {"$in": ["sales", "ops"]}}, [{"key": "team", "operator": "in", "value": ["sales", "ops"]}]),
        ({"team": {"$nin": ("hr",)}}, [{"key": "team", "operator": "nin", "value": ["hr"]}]),
        ({"draft": {"$ne": True}}, [{"key": "draft", "operator": "!=", "value": True}]),
        (
            {"$and": [{"team": {"$eq": "sales"}}, {"year": {"$gt": 2020, "$lte": 2030}}]},
            [
                {"key": "team", "operator": "==", "value": "sales"},
                {"key": "year", "operator": ">", "value": 2020},
                {"key": "year", "operator": "<=", "value": 2030},
            ],
        ),
    ],
)
def test_langchain_filters_become_zylon_items(given, items):
    assert filter_from_langchain(given) == items


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"$or": [{"a": 1}, {"b": 2}]}, "'\\$or'"),
        ({"a": {"$like": "x%"}}, "'\\$like' on 'a'"),
        ({"a": {"$in": "sales"}}, "non-empty list"),
        ({"a": {"$in": []}}, "non-empty list"),
        ({"a": {"$gt": True}}, "cannot be ordered"),
        ({"a": {"$eq": None}}, "string or a number"),
        ({"a": {"$eq": {"nested": 1}}}, "string or a number"),
        ({"a": {}}, "empty condition"),
        ({"$and": []}, "non-empty list"),
        (lambda doc: True, "callable"),
    ],
)
def test_other_langchain_filters_are_refused_naming_them(given, problem):
    with pytest.raises(ValueError, match=problem):
        filter_from_langchain(given)


def _llama(filters, condition="and"):
    return SimpleNamespace(filters=filters, condition=SimpleNamespace(value=condition))


def _f(key, operator, value):
    return SimpleNamespace(key=key, operator=SimpleNamespace(value=operator), value=value)


def test_llama_index_style_filters_become_zylon_items():
    nested = _llama([_f("team", "==", "sales"), _llama([_f("year", ">=", 2024), _f("tag", "nin", ["old"])])])
    assert filter_from_llama_index(nested) == [
        {"key": "team", "operator": "==", "value": "sales"},
        {"key": "year", "operator": ">=", "value": 2024},
        {"key": "tag", "operator": "nin", "value": ["old"]},
    ]
    assert filter_from_llama_index(_llama([_f("team", "==", "ops")], "or")) == [{"key": "team", "operator": "==", "value": "ops"}]
    for bad, problem in [
        (_llama([_f("a", "==", 1), _f("b", "==", 2)], "or"), "condition 'or'"),
        (_llama([_f("a", "==", 1)], "not"), "condition 'not'"),
        (_llama([_f("a", "text_match", "x")]), "'text_match' on 'a'"),
        ("team == sales", "MetadataFilters"),
    ]:
        with pytest.raises(ValueError, match=problem):
            filter_from_llama_index(bad)


def test_zylon_items_are_checked():
    assert check_filter_items([{"key": "team", "value": "sales"}]) == [{"key": "team", "operator": "==", "value": "sales"}]
    with pytest.raises(ValueError, match="operator '~'"):
        check_filter_items([{"key": "team", "operator": "~", "value": "x"}])
    with pytest.raises(ValueError, match="key, operator, value"):
        check_filter_items([{"key": "team", "op": "=="}])


# -- hits ----------------------------------------------------------------------------------


def test_hits_carry_the_stored_metadata_and_skip_empty_chunks(shared_api):
    captures = shared_api / "captures"
    response = ChunkSearchResponse.model_validate_json((captures / "search_semantic_collection.response.json").read_text())
    listed = IngestResponse.model_validate_json((captures / "artifacts_list_capture.response.json").read_text())
    stored = {d.artifact: d.doc_metadata or {} for d in listed.data if d.artifact}
    hits = collection_hits(response.data, stored)
    assert [c.text for c in response.data].count("") >= 2  # the server's structural nodes
    assert all(h.text for h in hits) and len(hits) == sum(1 for c in response.data if c.text)
    first = hits[0]
    assert (first.artifact_id, first.chunk_id, first.text) == ("doc_beta", "becd1907-9016-4f00-bed0-415b96e89694", "Parking is free for staff.\n\n")
    assert first.metadata == {"file_name": "beta.txt", "team": "ops", "year": 2025}
    assert {h.artifact_id: h.metadata["team"] for h in hits} == {"doc_beta": "ops", "doc_alpha": "sales"}
    # Without the list, what the search itself says (the file name only).
    assert collection_hits(response.data[:1])[0].metadata == {"file_name": "beta.txt"}


def test_relevance_is_clamped_to_zero_one():
    assert [relevance(s) for s in (1.0000001093922486, 0.5, -0.2, None)] == [1.0, 0.5, 0.0, 0.0]


@pytest.mark.parametrize("name", ["search_semantic_unknown_artifact", "artifacts_chunked_content_unknown"])
def test_an_unknown_artifact_error_is_recognised(shared_api, name):
    body = (shared_api / "captures" / f"{name}.response.json").read_bytes()
    request = httpx.Request("POST", "https://zylon.example.com/api/gpt/v1/artifacts/delete")
    error = error_from_response(httpx.Response(400, content=body, request=request, headers={"content-type": "application/json"}))
    assert is_missing_artifact(error)
    other = (shared_api / "captures" / "ingest_invalid_base64.response.json").read_bytes()
    assert not is_missing_artifact(error_from_response(httpx.Response(400, content=other, request=request)))
    assert is_missing_artifact(error_from_response(httpx.Response(404, content=b"{}", request=request)))


# -- built-in tools ------------------------------------------------------------------------


def test_semantic_search_carries_its_context_as_the_server_accepts_it(shared_api):
    captured = json.loads((shared_api / "captures" / "C_msg_rag_zylon.request.json").read_text())["tools"][0]
    assert bt.semantic_search("capture", artifacts=["doc_alpha"], name="search") == captured
    assert bt.semantic_search(["a", "b"]) == {
        "name": "semantic_search",
        "type": "semantic_search_v1",
        "context": [
            {"type": "ingested_artifact", "context_filter": {"collection": "a"}},
            {"type": "ingested_artifact", "context_filter": {"collection": "b"}},
        ],
    }
    scoped = bt.semantic_search("capture", metadata_filter=[{"key": "team", "operator": "==", "value": "sales"}])
    assert scoped["context"][0]["context_filter"]["metadata_filter"] == [{"key": "team", "operator": "==", "value": "sales"}]
    # No collection: no context (a Workspace project chat scopes it by its artifacts).
    assert bt.semantic_search() == {"name": "semantic_search", "type": "semantic_search_v1"}
    assert bt.semantic_search(artifacts="doc_1")["context"] == [
        {"type": "ingested_artifact", "context_filter": {"collection": "pgpt_collection", "artifacts": ["doc_1"]}}
    ]


def test_each_builtin_tool_has_its_type_and_context():
    assert bt.file_semantic_search("c")["type"] == "file_semantic_search_v1"
    assert bt.tabular_analysis("sheets", artifacts=["q1.csv"]) == {
        "name": "tabular_analysis",
        "type": "tabular_analysis_v1",
        "context": [{"type": "ingested_artifact", "context_filter": {"collection": "sheets", "artifacts": ["q1.csv"]}}],
    }
    dsn = "postgresql://reader:pw@db.example.com:5432/analytics"
    assert bt.database_query(dsn, schemas=["public"], ssl=True, enable_procedures=False) == {
        "name": "database_query",
        "type": "database_query_v1",
        "context": [
            {"type": "sql_database", "connection_string": dsn, "schemas": ["public"], "ssl": True, "enable_procedures": False}
        ],
    }
    assert bt.web_search() == {"name": "web_search", "type": "web_search_v1"}
    assert bt.web_extract(name="fetch") == {"name": "fetch", "type": "web_extract_v1"}
    assert bt.list_project_files() == {"name": "list_project_files", "type": "list_project_files_v1"}
    assert set(bt.BUILTIN_HELPERS) == {
        "semantic_search_v1",
        "file_semantic_search_v1",
        "tabular_analysis_v1",
        "database_query_v1",
        "web_search_v1",
        "web_extract_v1",
        "list_project_files_v1",
    }


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda: bt.database_query("analytics"), "connection_string"),
        (lambda: bt.database_query("postgresql://x/y", schemas="public"), "list of schema names"),
        (lambda: bt.database_query("postgresql://x/y", ssl="yes"), "ssl must be True or False"),
        (lambda: bt.semantic_search("c", name=""), "non-empty string"),
        (lambda: bt.semantic_search("", artifacts=None), "collection must be"),
        (lambda: bt.semantic_search(metadata_filter=[{"key": "a", "value": 1}]), "needs a collection"),
        (lambda: bt.semantic_search("c", artifacts=[""]), "artifact id"),
        (lambda: bt.semantic_search("c", metadata_filter=[{"key": "a", "operator": "like", "value": 1}]), "operator 'like'"),
    ],
)
def test_bad_tool_arguments_are_refused(make, problem):
    with pytest.raises(ValueError, match=problem):
        make()
