"""``ZylonEmbeddings``: Zylon's embeddings endpoint (``POST /api/gpt/v1/embeddings``) as
LangChain ``Embeddings``."""

from __future__ import annotations

from typing import ClassVar, Optional

from langchain_core.embeddings import Embeddings
from pydantic import ConfigDict, Field

from ._config import ZylonConnection
from ._errors import mapped_errors


class ZylonEmbeddings(ZylonConnection, Embeddings):
    """Text embeddings from a private Zylon instance.

    Setup: set ``ZYLON_BASE_URL`` and ``ZYLON_API_TOKEN`` (or pass ``base_url`` /
    ``api_token``, alias ``api_key``; ``ZYLON_ORG`` is optional).

    ```python
    from langchain_zylon import ZylonEmbeddings

    embeddings = ZylonEmbeddings()
    vectors = embeddings.embed_documents(["Billing issues drove 38% of cases.", "Bugs fixed in 48 h."])
    query = embeddings.embed_query("What drove support cases?")
    ```

    ``embed_documents`` sends ``batch_size`` texts per request and returns one vector
    per text, in the order given (the server's ``index`` decides, not its list order).
    Async twins: ``aembed_documents`` / ``aembed_query``. Usable anywhere LangChain takes
    ``Embeddings`` (``InMemoryVectorStore(embedding=ZylonEmbeddings())``, ...).
    """

    # The bases' configurations do not merge the way we need: say it all here.
    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="forbid", arbitrary_types_allowed=True)

    _model_field: ClassVar[Optional[str]] = "model"
    model: Optional[str] = None
    """Model name reported to tracing; env ``ZYLON_MODEL``, default ``"default"`` (the
    endpoint uses the instance's embedding model and takes no model parameter)."""
    batch_size: int = Field(default=32, ge=1)
    """Texts per request in ``embed_documents``."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with mapped_errors():
            return self._client.embeddings.embed(list(texts), batch_size=self.batch_size)

    def embed_query(self, text: str) -> list[float]:
        with mapped_errors():
            return self._client.embeddings.embed_one(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with mapped_errors():
            return await self._aclient.embeddings.embed(list(texts), batch_size=self.batch_size)

    async def aembed_query(self, text: str) -> list[float]:
        with mapped_errors():
            return await self._aclient.embeddings.embed_one(text)
