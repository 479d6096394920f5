"""``ZylonEmbedding``: Zylon's embeddings endpoint (``POST /api/gpt/v1/embeddings``) as a
LlamaIndex ``BaseEmbedding``."""

from __future__ import annotations

from typing import Any, List, Optional

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr, SecretStr
from pydantic import AliasChoices

from zylon_core import AsyncZylonClient, ZylonClient, ZylonSettings
from zylon_core.settings import DEFAULT_MAX_RETRIES

DEFAULT_EMBED_BATCH_SIZE = 32


class ZylonEmbedding(BaseEmbedding):
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

    base_url: Optional[str] = Field(default=None, description="Zylon instance root (env ZYLON_BASE_URL).")
    api_token: Optional[SecretStr] = Field(
        default=None,
        validation_alias=AliasChoices("api_token", "api_key"),
        exclude=True,
        repr=False,
        description="API token (alias api_key; env ZYLON_API_TOKEN). Never printed.",
    )
    org: Optional[str] = Field(default=None, description="Organization sent as x-org (env ZYLON_ORG).")
    timeout: Optional[float] = Field(default=None, gt=0, description="Read timeout in seconds (default 60).")
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, description="Retries on transient failures.")
    verify: Any = Field(default=None, exclude=True, description="TLS verification (bool, CA bundle path or SSLContext).")
    embed_batch_size: int = Field(default=DEFAULT_EMBED_BATCH_SIZE, gt=0, le=2048, description="Texts per request.")

    _client: ZylonClient = PrivateAttr()
    _aclient: AsyncZylonClient = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        model_given = "model_name" in data
        super().__init__(**data)
        settings = ZylonSettings.resolve(
            base_url=self.base_url,
            api_token=self.api_token,
            org=self.org,
            model=self.model_name if model_given else None,
            timeout=self.timeout,
            max_retries=self.max_retries,
            verify=self.verify,
        )
        self.base_url, self.org, self.timeout, self.model_name = settings.base_url, settings.org, settings.timeout, settings.model
        self.api_token = settings.api_token
        self._client = ZylonClient(settings)
        self._aclient = AsyncZylonClient(settings)

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

    def close(self) -> None:
        self._client.close()

    async def aclose(self) -> None:
        await self._aclient.aclose()
