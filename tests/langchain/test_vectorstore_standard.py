"""langchain-tests' standard suite for ZylonVectorStore against the session emulator: each
test gets a fresh collection, emptied afterwards."""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests import VectorStoreIntegrationTests

from langchain_zylon import ZylonVectorStore
from tests.conftest import TEST_TOKEN


class TestZylonVectorStoreStandard(VectorStoreIntegrationTests):
    @pytest.fixture
    def vectorstore(self, emulator: Any) -> Iterator[VectorStore]:  # type: ignore[override]
        store = ZylonVectorStore(collection=f"standard-{uuid.uuid4().hex[:12]}", base_url=emulator.base_url, api_key=TEST_TOKEN)
        try:
            yield store
        finally:
            store.delete()  # every document of the collection
            assert store.similarity_search("foo", k=1) == []
