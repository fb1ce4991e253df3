"""The interview model: what Panelist asks of an AI, and the providers that answer.

Callers depend on `InterviewModel` and get one from `provider()`; they never import a provider module.
`offline` is deterministic and needs no model access (local runs, tests); `bedrock` calls Amazon Bedrock;
`openai` any OpenAI-compatible server (OpenAI, Azure OpenAI, a LiteLLM proxy, vLLM, Ollama). Each capability
is one Protocol method taking and returning pydantic models, so adding one (conduct a turn, evaluate an
answer, ...) means a method here, its rules, answer schema and prompt in `prompts` (which both model
providers share), and a rule-based answer in `offline`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cache

from panelist.core.errors import ConfigurationError
from panelist.interviews.ai.model import (
    MAX_QUESTIONS,
    MAX_SKILLS,
    MIN_SKILLS,
    MODERATE_SCORE,
    OFFLINE_ENGINE,
    RUBRIC_VERSION,
    SKILL_CATEGORIES,
    STRONG_SCORE,
    FollowUp,
    InterviewModel,
    JobAnalysis,
    ModelOutputError,
    QuestionDraft,
    answered_questions,
    bucket_of,
    clamp_score,
    distinct,
    overall_score,
    question_scores,
    weighted_skills,
)

__all__ = [
    "MAX_QUESTIONS",
    "MAX_SKILLS",
    "MIN_SKILLS",
    "MODERATE_SCORE",
    "OFFLINE_ENGINE",
    "RUBRIC_VERSION",
    "SKILL_CATEGORIES",
    "STRONG_SCORE",
    "FollowUp",
    "InterviewModel",
    "JobAnalysis",
    "ModelOutputError",
    "QuestionDraft",
    "answered_questions",
    "bucket_of",
    "clamp_score",
    "distinct",
    "overall_score",
    "provider",
    "question_scores",
    "time_limit",
    "weighted_skills",
]


def provider(name: str | None = None) -> InterviewModel:
    """The `offline`, `bedrock` or `openai` model; by default the deployment's (PANELIST_AI_PROVIDER). One per name."""
    if name is None:
        from panelist.core.settings import get_settings

        name = get_settings().ai_provider
    return _provider(name)


@cache
def _provider(name: str) -> InterviewModel:
    # Imported here: each provider's dependencies load only in the processes that use it.
    if name == "offline":
        from panelist.interviews.ai.offline import OfflineModel

        return OfflineModel()
    if name == "bedrock":
        from panelist.interviews.ai.bedrock import BedrockModel

        return BedrockModel()
    if name == "openai":
        from panelist.interviews.ai.openai import OpenAiModel

        return OpenAiModel()
    raise ConfigurationError(f"unknown AI provider {name!r}: expected 'offline', 'bedrock' or 'openai'")


def time_limit(seconds: float) -> AbstractContextManager[None]:
    """Model calls made inside end within `seconds` from now, or are not started (ModelOutputError).

    For a background function making several calls in one invocation (its Timeout minus what it does after).
    The Bedrock and OpenAI-compatible models honour it; the offline engine answers at once.
    """
    from panelist.interviews.ai.prompts import time_limit as model_time_limit

    return model_time_limit(seconds)
