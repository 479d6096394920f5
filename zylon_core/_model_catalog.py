"""What a client learned about the server's models (kept per client, on its call builders)."""

from __future__ import annotations

from .errors import ZylonError
from .models import ModelInfo, ModelList

__all__ = ["ModelCatalog"]


class ModelCatalog:
    """The models list as last read (``listed``), a quiet lookup's failure (``failure``:
    not asked again), and whether the token reaches ZylonGPT (``reaches``: None until
    known)."""

    __slots__ = ("listed", "failure", "reaches")

    def __init__(self) -> None:
        self.listed: ModelList | None = None
        self.failure: ZylonError | None = None
        self.reaches: bool | None = None

    def cached(self, model: str | None) -> ModelInfo | None:
        """The card of ``model`` if the list was read already (no I/O), else None."""
        return self.listed.find(model) if self.listed is not None else None
