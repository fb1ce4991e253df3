"""Deployment settings, read from the environment once per cold start and validated."""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator

from panelist.core.errors import ConfigurationError

ENV_PREFIX = "PANELIST_"


class Settings(BaseModel):
    stage: str = Field(min_length=1)
    table: str = Field(min_length=3)
    bucket: str = Field(min_length=3)
    secret_id: str = Field(min_length=1)
    admin_secret_id: str = ""  # the platform-admin key's secret: set for the authorizer only
    stripe_secret_id: str = ""  # the Stripe webhook endpoint's signing secret: set for StripeWebhookFunction only
    public_base_url: str = ""
    ai_provider: Literal["bedrock", "offline", "openai"] = "bedrock"
    bedrock_model_id: str = "anthropic.claude-3-5-haiku-20241022-v1:0"
    # An OpenAI-compatible server (ai_provider openai): the base URL its /chat/completions is under, the model,
    # and the API key: PANELIST_OPENAI_API_KEY where set (local runs), else the secret openai_api_key_secret_id
    # (set for the functions that call the model), else none (a server without authentication).
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = Field(default="gpt-4o-mini", min_length=1)
    openai_api_key_secret_id: str = ""
    openai_api_key: SecretStr = SecretStr("")
    # Speech recognition (panelist.interviews.speech): offline (PocketSphinx, English only, local), aws (Amazon
    # Transcribe) or openai (an OpenAI-compatible /audio/transcriptions at speech_base_url, else openai_base_url,
    # with the openai API key above).
    speech_engine: Literal["offline", "aws", "openai"] = "aws"
    speech_base_url: str = ""
    speech_model: str = Field(default="whisper-1", min_length=1)
    # Amazon Polly voices for the interviewer (panelist.sessions.voice): "" (the browser's speech only), a voice
    # id ("Joanna"), or language=voice pairs ("en=Joanna,fr=Lea@neural"); template parameter QuestionVoice.
    question_voice: str = Field(default="", max_length=500)
    webhook_queue_url: str = ""
    report_queue_url: str = ""
    analysis_queue_url: str = ""
    transcription_queue_url: str = ""  # audio answers to transcribe (panelist.sessions.transcription)
    invite_mail_queue_url: str = ""
    mail_sender: str = "noreply@panelist.local"
    generation_state_machine_arn: str = ""
    auth_cache_seconds: int = Field(default=30, ge=0, le=300)
    allow_loopback_webhooks: bool = False
    # The ports the local runtime itself listens on: never a loopback receiver's, even where loopback
    # receivers are allowed (comma-separated in PANELIST_REFUSED_LOOPBACK_PORTS).
    refused_loopback_ports: frozenset[Annotated[int, Field(ge=1, le=65535)]] = frozenset()
    low_balance_credits: float = Field(default=100, ge=0)
    critical_balance_credits: float = Field(default=20, ge=0)
    enterprise_monthly_credits: float = Field(default=20000, ge=0)

    @field_validator("refused_loopback_ports", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("public_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL or empty")
        return value.rstrip("/")

    @field_validator("openai_base_url")
    @classmethod
    def _server_url(cls, value: str) -> str:
        # Operator configuration, not tenant input (any host, loopback and private included), but only http(s),
        # without credentials, query or fragment: the key goes in a header, never in the URL.
        scheme, _, rest = value.partition("://")
        host = rest.split("/", 1)[0]
        if scheme.lower() not in ("http", "https") or not host or "@" in host or any(c in rest for c in "?# \t\n"):
            raise ValueError("must be an http(s) URL without credentials, query or fragment")
        return value.rstrip("/")


@cache
def get_settings() -> Settings:
    """The settings of this process; a missing or invalid variable fails the cold start loudly."""
    raw = {
        name: os.environ[ENV_PREFIX + name.upper()]
        for name in Settings.model_fields
        if ENV_PREFIX + name.upper() in os.environ
    }
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{ENV_PREFIX}{str(err['loc'][0]).upper()}: {err['msg']}" for err in exc.errors())
        raise ConfigurationError(f"invalid environment: {problems}") from None
