"""What one client knows of its ZylonGPT, asked once and kept: the models list (for
capabilities and ``max_input_tokens``) and whether the token reaches ZylonGPT at all
(a Workspace token gets 401 there). Written as plans (:mod:`._plans`), so the sync and
the async client share them; each client keeps its own :class:`ModelCatalog` (on its
:class:`~._api.Endpoints`), made anew when its connection settings change.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ._plans import Plan
from .errors import AuthenticationError, NotFoundError, PermissionDeniedError, ZylonError
from .models import ChatRequest, ModelInfo, ModelList

if TYPE_CHECKING:
    from ._api import Endpoints

# The answers that say "this token (or address) does not reach ZylonGPT": they do not
# change by asking again.
UNREACHABLE = (AuthenticationError, PermissionDeniedError, NotFoundError)

logger = logging.getLogger("zylon_core")


def list_models(api: Endpoints, *, retry: bool = True) -> Plan[ModelList]:
    """``GET /models``, kept in the client's catalog (``retry=False``: one attempt)."""
    call = api.models()
    listed: ModelList = yield (call if retry else replace(call, retry=False))
    catalog = api.catalog
    catalog.listed, catalog.failure, catalog.reaches = listed, None, True
    return listed


def model_info(api: Endpoints, model: str | None = None, *, quiet: bool = False) -> Plan[ModelInfo | None]:
    """The card of ``model`` (default: the settings' model) from the models list, read
    once per client. None when the list does not name it (``"default"`` is the only
    listed model, or unknown). The list's errors raise; with ``quiet`` they give None and
    are remembered, so a quiet lookup never asks twice (for properties read often, such
    as LlamaIndex's ``metadata``), and make one attempt, not the retries: a property
    never waits through back-offs."""
    catalog = api.catalog
    if catalog.listed is None:
        if quiet and catalog.failure is not None:
            return None
        try:
            yield from list_models(api, retry=not quiet)
        except ZylonError as exc:
            if isinstance(exc, UNREACHABLE):
                catalog.reaches = False
            if not quiet:
                raise
            catalog.failure = exc
            logger.warning("ZylonGPT's models list could not be read (not asked again by this client): %s", exc)
            return None
    return catalog.cached(model or api.settings.model)


def count_tokens(api: Endpoints, request: ChatRequest | dict[str, Any], *, required: bool = True) -> Plan[int | None]:
    """``POST /messages/count_tokens`` for ``request``. With ``required=False`` (a
    Workspace route, whose token may not reach ZylonGPT) a 401, 403 or 404 gives None
    (count another way) and is remembered: this client does not ask again."""
    catalog = api.catalog
    if not required and catalog.reaches is False:
        return None
    try:
        tokens: int = yield api.messages_count_tokens(request)
    except UNREACHABLE:
        catalog.reaches = False
        if required:
            raise
        return None
    catalog.reaches = True
    return tokens
