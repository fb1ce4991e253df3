"""What Panelist asks of an AI model (`InterviewModel`), the shapes it answers in, and the scoring rules
every provider shares."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, Self

from pydantic import BaseModel, Field, model_validator

from panelist.models.common import now
from panelist.models.interviews import Expectations, Question, Seniority, Skill
from panelist.models.sessions import Answer, AnswerAnalysis, Assessment, Bucket, Evidence, EvidenceStatus, Provenance

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


RUBRIC_VERSION = "2"
"""The version of how answers are scored: the offline engine's weights and the providers' prompts and schemas.
1: scores and reasons; 2: reasons quote the answer (evidence per criterion), follow-ups scored per question."""

OFFLINE_RULES_VERSION = 2
"""The offline engine's rules (`offline-rules v<N>` in every score it gives)."""
OFFLINE_ENGINE = f"offline-rules v{OFFLINE_RULES_VERSION}"


def provenance(engine: str, *, fallback_from: str | None = None, reason: str | None = None) -> Provenance:
    """Who produced a score now: `engine` ("offline-rules v2", "bedrock:<model id>", "openai:<model>")."""
    return Provenance(
        engine=engine,
        rubric_version=RUBRIC_VERSION,
        produced_at=now().replace(microsecond=0),  # as stored (whole seconds)
        fallback_from=fallback_from,
        fallback_reason=reason[:300] if reason else None,
    )


def clamp_score(score: float) -> float:
    """A score on 0-100, rounded to one decimal."""
    return round(min(100.0, max(0.0, float(score))), 1)


def bucket_of(score: float) -> Bucket:
    """The bucket of a 0-100 score: the same thresholds for every provider."""
    if score >= STRONG_SCORE:
        return Bucket.strong
    return Bucket.moderate if score >= MODERATE_SCORE else Bucket.weak


def question_scores(answers: Sequence[Answer]) -> dict[str, float]:
    """Each answered question's score: its best analysed answer (the answer or its follow-up, which is the
    candidate's chance to complete it), by question id, in the order first answered. A follow-up is never a
    question of its own."""
    scores: dict[str, float] = {}
    for answer in answers:
        if answer.analysis is not None:
            scores[answer.question_id] = max(scores.get(answer.question_id, 0.0), answer.analysis.score)
    return scores


def overall_score(skills: Sequence[Skill], questions: Sequence[Question], answers: Sequence[Answer]) -> float | None:
    """THE overall score (the assessment's, the reports' "average"): the mean of the question scores
    (`question_scores`), weighted by each question's skill weight (`skills`, by name). A question whose skill
    is not listed weighs the mean of the listed ones; with none listed (or all weights 0), the plain mean.
    None when no answer is analysed."""
    weights_of = {skill.name.casefold(): skill.weight for skill in skills}
    by_id = {question.id: question for question in questions}
    scored: list[tuple[float | None, float]] = []
    for question_id, score in question_scores(answers).items():
        question = by_id.get(question_id)
        scored.append((weights_of.get(question.skill.casefold()) if question else None, score))
    if not scored:
        return None
    known = [weight for weight, _ in scored if weight is not None]
    default = sum(known) / len(known) if known else 1.0
    weights = [default if weight is None else weight for weight, _ in scored]
    if sum(weights) <= 0:
        weights = [1.0] * len(scored)
    return clamp_score(sum(w * s for w, (_, s) in zip(weights, scored, strict=True)) / sum(weights))


def answered_questions(questions: Sequence[Question], answers: Sequence[Answer]) -> int:
    """How many of the interview's questions have an answer (follow-ups are not questions)."""
    asked = {question.id for question in questions}
    return len({answer.question_id for answer in answers if answer.question_id in asked})


def distinct(points: Iterable[str]) -> list[str]:
    """Points without repeats (case and spacing ignored), in their first order; blank ones dropped."""
    seen: set[str] = set()
    kept: list[str] = []
    for point in points:
        key = " ".join(point.split()).casefold().rstrip(".")
        if key and key not in seen:
            seen.add(key)
            kept.append(" ".join(point.split()))
    return kept


# --- Evidence: verbatim quotes of the answer ----------------------------------------------------------------

_QUOTE_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")
MAX_QUOTE_CHARS = 240


def _normal_words(text: str) -> list[str]:
    return [word.casefold().replace("\u2019", "'") for word in _QUOTE_WORD.findall(text)]


def quote_in(answer: str, quote: str | None) -> str | None:
    """`quote` as it is written in `answer` (the exact span, at most MAX_QUOTE_CHARS), if the answer holds its
    words in that order (case, punctuation and spacing ignored); None for a quote the answer does not hold:
    an invented quote is dropped, never shown."""
    if not quote or not quote.strip():
        return None
    wanted = _normal_words(quote)
    if not wanted:
        return None
    spans = [(m.start(), m.end(), m.group().casefold().replace("\u2019", "'")) for m in _QUOTE_WORD.finditer(answer)]
    words = [word for _, _, word in spans]
    for start in range(len(words) - len(wanted) + 1):
        if words[start : start + len(wanted)] == wanted:
            text = answer[spans[start][0] : spans[start + len(wanted) - 1][1]]
            return text if len(text) <= MAX_QUOTE_CHARS else None
    return None


STATUS_LABELS = {
    EvidenceStatus.met: "Covered",
    EvidenceStatus.partly: "Partly covered",
    EvidenceStatus.missed: "Missed",
}


def evidence_reason(evidence: Evidence) -> str:
    """`Covered: <criterion> — "<the answer's words>"`, or for a criterion nothing matched, says so."""
    head = f"{STATUS_LABELS[evidence.status]}: {evidence.criterion}"
    if evidence.quote:
        return f'{head} \u2014 "{evidence.quote}"'
    if evidence.status is EvidenceStatus.missed:
        return f"{head} \u2014 nothing in the answer addresses it"
    return head


@dataclass(frozen=True)
class FollowUp:
    """A follow-up decision: the question (None: no follow-up) and who decided it (any fallback recorded)."""

    question: str | None
    provenance: Provenance


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
    """What Panelist asks of an AI. Implementations are stateless and safe to share across invocations.

    Every score it gives (`AnswerAnalysis`, `Assessment`) carries its `provenance`: `engine`, RUBRIC_VERSION
    and the time."""

    @property
    def engine(self) -> str:
        """Which engine and model answers: "offline-rules v2", "bedrock:<model id>", "openai:<model>"."""
        ...

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

    def follow_up_decision(self, question: Question, answer: str) -> FollowUp:
        """`follow_up`, with who decided it: a model that fails falls back to the offline engine, recorded
        (`fallback_from`, `fallback_reason`), never silently."""
        ...

    def assess_candidate(
        self,
        role: str,
        questions: Sequence[Question],
        answers: Sequence[Answer],
        resume_text: str | None,
        *,
        score: float | None = None,
    ) -> Assessment:
        """The recruiter assessment of a session whose answers are evaluated (`Answer.analysis` set). `score`
        is the overall score (`overall_score`, skill-weighted), which the assessment states and keeps; without
        it, the plain mean of the question scores."""
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
