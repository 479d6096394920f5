"""The base of every payload model."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class ZylonModel(BaseModel):
    """Base for every payload model: unknown fields are kept, aliases accepted."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    _has_type: ClassVar[bool] = False  # set per class: looking it up per instance costs ~1 us

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._has_type = "type" in cls.model_fields

    def model_post_init(self, context: Any, /) -> None:
        # A discriminator is always part of the wire form, even when left at its default.
        if self._has_type and self.type is not None:  # type: ignore[attr-defined]
            self.__pydantic_fields_set__.add("type")

    def to_json_dict(self) -> dict[str, Any]:
        """The wire form: only fields that were set, by alias."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)
