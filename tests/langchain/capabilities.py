"""What ChatZylon supports, declared once for LangChain's unit and integration suites.

Images and audio: ChatZylon sends them (``{"data", "mime_type"}``, the shape both Zylon
APIs take), but whether they are answered is the instance's model's capability, and
the real servers captured in the reference material refuse both ("The LLM does not
support images, but the message contains image blocks.", a 400; the same for audio),
as the emulator does by default. So the suite, which checks that a model *answers*
such input, does not claim them; ``test_standard_integration.py`` runs those tests
against an emulator whose model takes images and audio (``image_input=True,
audio_input=True``), and ``test_integration.py`` checks the refusal reaches the caller
with the server's explanation.

Files (PDF and others) are converted by the server itself before the model sees them
(a ``document_preprocessing`` server tool; they are sent as ``binary`` blocks), so they
do not depend on the model: claimed.
"""

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
        return False  # the model's capability; refused by the captured servers (see above)

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return False  # the model's capability; refused by the captured servers (see above)

    @property
    def supports_image_tool_message(self) -> bool:
        return False

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True


class ChatZylonWithMediaModel(ChatZylonCapabilities):
    """An instance whose model takes images and audio (the emulator's ``image_input``
    and ``audio_input`` options; a model's ``capabilities.image_input.supported``)."""

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True
