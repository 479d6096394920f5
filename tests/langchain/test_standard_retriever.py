"""LangChain's standard suites for ZylonEmbeddings and ZylonRetriever, against the
session emulator (the unit suite needs no server)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests, RetrieversIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_zylon import ZylonEmbeddings, ZylonRetriever
from tests.conftest import TEST_TOKEN


class TestZylonEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[ZylonEmbeddings]:
        return ZylonEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"base_url": "https://zylon.example.com", "api_key": TEST_TOKEN}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"ZYLON_BASE_URL": "https://zylon.example.com/", "ZYLON_API_TOKEN": "env-token", "ZYLON_ORG": "acme"},
            {"batch_size": 8},
            {"base_url": "https://zylon.example.com", "api_token": "env-token", "org": "acme", "batch_size": 8},
        )


class TestZylonEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @pytest.fixture(autouse=True)
    def _server(self, zylon_env: Any) -> None:
        pass

    @property
    def embeddings_class(self) -> type[ZylonEmbeddings]:
        return ZylonEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"batch_size": 2}  # three texts: two requests


_PROJECT: dict[str, str] = {}


class TestZylonRetrieverIntegration(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _server(self, zylon_env: Any, corpus_project: Any) -> None:
        _PROJECT["id"] = corpus_project[0]

    @property
    def retriever_constructor(self) -> type[ZylonRetriever]:
        return ZylonRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"collection": _PROJECT["id"], "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return "How many days does onboarding take?"


class TestZylonRetrieverProjectModeIntegration(RetrieversIntegrationTests):
    """The same suite in project mode: the Workspace search kept to the project."""

    @pytest.fixture(autouse=True)
    def _server(self, zylon_env: Any, corpus_project: Any) -> None:
        _PROJECT["id"] = corpus_project[0]

    @property
    def retriever_constructor(self) -> type[ZylonRetriever]:
        return ZylonRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"project_id": _PROJECT["id"], "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return "onboarding checklist data import"
