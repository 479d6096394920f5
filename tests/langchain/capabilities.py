"""What ChatZylon supports, declared once for LangChain's unit and integration suites."""

from __future__ import annotations

from langchain_zylon import ChatZylon


class ChatZylonCapabilities:
    @property
    def chat_model_class(self) -> type[ChatZylon]:
        return ChatZylon

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True  # json_mode is served through response_format json_schema

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True
