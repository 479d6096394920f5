"""``ZylonEmbedding``: Zylon's embeddings endpoint (``POST /api/gpt/v1/embeddings``) as a
LlamaIndex ``BaseEmbedding``."""

from __future__ import annotations

from typing import ClassVar, List, Optional

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field

from ._config import ZylonConnection

DEFAULT_EMBED_BATCH_SIZE = 32


class ZylonEmbedding(ZylonConnection, BaseEmbedding):
    """Text embeddings from a private Zylon instance.

    Configuration falls back to the environment: ``ZYLON_BASE_URL``, ``ZYLON_API_TOKEN``,
    ``ZYLON_ORG`` (default ``"default"``), ``ZYLON_MODEL`` (the ``model_name`` reported,
    default ``"default"``: the endpoint uses the instance's embedding model).

    ```python
    from llama_index.core import Settings, VectorStoreIndex
    from llama_index_zylon import ZylonEmbedding

    Settings.embed_model = ZylonEmbedding()
    index = VectorStoreIndex.from_documents(documents)
    ```

    ``embed_batch_size`` texts go in one request; vectors come back in input order.
    """

    embed_batch_size: int = Field(default=DEFAULT_EMBED_BATCH_SIZE, gt=0, le=2048, description="Texts per request.")

    _model_field: ClassVar[Optional[str]] = "model_name"

    @classmethod
    def class_name(cls) -> str:
        return "ZylonEmbedding"

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._client.embeddings.embed_one(query)

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return await self._aclient.embeddings.embed_one(query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._client.embeddings.embed_one(text)

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return await self._aclient.embeddings.embed_one(text)

    def _get_text_embeddings(self, texts: List[str]) -> List[Embedding]:
        if not texts:
            return []
        return self._client.embeddings.embed(texts, batch_size=self.embed_batch_size)

    async def _aget_text_embeddings(self, texts: List[str]) -> List[Embedding]:
        if not texts:
            return []
        return await self._aclient.embeddings.embed(texts, batch_size=self.embed_batch_size)

