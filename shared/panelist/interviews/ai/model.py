"""What Panelist asks of an AI model (`InterviewModel`), the shapes it answers in, and the scoring rules
every provider shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, Self

from pydantic import BaseModel, Field, model_validator

from panelist.models.interviews import Expectations, Question, Seniority, Skill
from panelist.models.sessions import Answer, AnswerAnalysis, Assessment, Bucket

MIN_SKILLS, MAX_SKILLS = 3, 12
MAX_QUESTIONS = 10
"""Most questions one `write_questions` call writes for a skill."""

SKILL_CATEGORIES = (
    *("language", "framework", "frontend", "mobile", "database", "cloud", "devops", "architecture", "data", "ml"),
    *("security", "testing", "practices", "soft_skill", "leadership", "product", "design", "project", "sales"),
    *("customer_success", "marketing", "finance", "hr", "healthcare", "operations", "legal", "education"),
    "productivity",
)
"""The `Skill.category` values the providers use (the offline taxonomy's categories)."""

STRONG_SCORE, MODERATE_SCORE = 75.0, 50.0
"""An answer scoring at least STRONG_SCORE is strong, at least MODERATE_SCORE moderate, else weak."""


def clamp_score(score: float) -> float:
    """A score on 0-100, rounded to one decimal."""
    return round(min(100.0, max(0.0, float(score))), 1)


def bucket_of(score: float) -> Bucket:
    """The bucket of a 0-100 score: the same thresholds for every provider."""
    if score >= STRONG_SCORE:
        return Bucket.strong
    return Bucket.moderate if score >= MODERATE_SCORE else Bucket.weak


class JobAnalysis(BaseModel):
    """The skills an interview for a job should assess: 3 to 12, most important first, weights summing to 1."""

    role: str
    seniority: Seniority
    skills: list[Skill] = Field(min_length=MIN_SKILLS, max_length=MAX_SKILLS)

    @model_validator(mode="after")
    def _ranked(self) -> Self:
        names = [skill.name.casefold() for skill in self.skills]
        if len(set(names)) != len(names):
            raise ValueError("skill names must be distinct")
        weights = [skill.weight for skill in self.skills]
        if abs(sum(weights) - 1) > 0.005:
            raise ValueError(f"skill weights must sum to 1, not {sum(weights):.3f}")
        if weights != sorted(weights, reverse=True):
            raise ValueError("skills must be ordered by weight, most important first")
        return self


class QuestionDraft(BaseModel):
    """One interview question for a skill, with the rubric its answer is scored against."""

    skill: str
    prompt: str = Field(min_length=1)
    evaluation_criteria: list[str] = Field(min_length=2, max_length=4)
    expectations: Expectations


class InterviewModel(Protocol):
    """What Panelist asks of an AI. Implementations are stateless and safe to share across invocations."""

    def analyse_job(self, role: str, description: str) -> JobAnalysis:
        """The seniority and weighted skills a job posting asks for."""
        ...

    def write_questions(self, skill: Skill, seniority: Seniority, role: str, count: int) -> list[QuestionDraft]:
        """`count` (1 to MAX_QUESTIONS) distinct questions assessing `skill` at `seniority` for `role`."""
        ...

    def evaluate_answer(self, question: Question, answer: str, *, role: str) -> AnswerAnalysis:
        """A 0-100 score of `answer` against the question's criteria and expectations, its bucket (by
        `bucket_of`), a one-sentence summary and reasons naming the criteria covered or missed."""
        ...

    def follow_up(self, question: Question, answer: str) -> str | None:
        """A short follow-up question when the answer is thin (too short, vague, or missing the criteria),
        else None. The interview asks at most one per question."""
        ...

    def assess_candidate(
        self, role: str, questions: Sequence[Question], answers: Sequence[Answer], resume_text: str | None
    ) -> Assessment:
        """The recruiter assessment of a session whose answers are evaluated (`Answer.analysis` set)."""
        ...


class ModelOutputError(Exception):
    """The model's output was unusable even after one retry: a transient failure, worth retrying later."""


def weighted_skills(scored: Sequence[tuple[str, str, float]]) -> list[Skill]:
    """Skills from (name, category, score): weights in hundredths summing to exactly 1, most important first.

    Scores are relative (any positive scale). Every skill keeps at least 0.01; the rest is shared in
    proportion to score by largest remainder, so rounding never reorders two skills. Ties keep input order.
    """
    if not scored:
        return []
    if any(score <= 0 for _, _, score in scored):
        raise ValueError("skill scores must be positive")
    if len(scored) > 100:
        raise ValueError("at most 100 skills can share a weight of 1 in hundredths")
    order = sorted(range(len(scored)), key=lambda k: -scored[k][2])
    spare = 100 - len(scored)
    total = sum(scored[k][2] for k in order)
    shares = [scored[k][2] / total * spare for k in order]
    hundredths = [int(share) for share in shares]
    by_remainder = sorted(range(len(order)), key=lambda k: -(shares[k] - hundredths[k]))
    for k in by_remainder[: spare - sum(hundredths)]:
        hundredths[k] += 1
    return [
        Skill(name=scored[k][0], category=scored[k][1], weight=(units + 1) / 100)
        for k, units in zip(order, hundredths, strict=True)
    ]


def check_count(count: int) -> None:
    if not 1 <= count <= MAX_QUESTIONS:
        raise ValueError(f"count must be 1 to {MAX_QUESTIONS}, not {count}")
