"""The connection fields every LlamaIndex class of this package takes (declared once in
the core, for both adapters)."""

from __future__ import annotations

from pydantic import ConfigDict

from zylon_core._connection import ConnectionFields


class ZylonConnection(ConnectionFields):
    """``base_url``, ``api_token`` (alias ``api_key``), ``org``, ``timeout``,
    ``max_retries``, ``verify``, with the ``ZYLON_*`` environment fallbacks; changing a
    field later takes effect on the next call. ``close()`` / ``aclose()`` release the
    connections. An argument no field takes (a misspelt ``temprature=``, ``top_k=`` for
    ``similarity_top_k=``) is a validation error naming it, as in the LangChain adapter,
    never silently ignored."""

    model_config = ConfigDict(extra="forbid")

