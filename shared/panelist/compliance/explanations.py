"""Explanations on request: a candidate-facing page that explains one result, behind a signed link.

`POST /api/sessions/{id}/explanation` (an organization key) makes the link: a JWT (audience `explanation`)
naming only the organization, the session and the explanation's id (`org`, `ses`, `xid`), valid
`expires_in_days` (at most the 30 days a signed link may live, `panelist.core.signing.MAX_TOKEN_LIFETIME`).
The page (`GET /interview/explanation/{token}`, no credentials) reads the session as it is now, in the
interview's language: that an AI conducted and scored the interview, what it assessed (the interview's skills,
questions, evaluation criteria and rubric, the version the session ran on), the candidate's own scores per
question and criterion and overall, a person's decision if one was recorded, and how to ask for a human review
(the organization's `alternative_contact`). Nothing about any other candidate (no ranking, no percentile).
Both the link's creation and each view are audited (`explanation.created`, `explanation.viewed` by
`link:<explanation id>`). An erased candidate's explanation is gone (410).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.event_handler import Response

from panelist.api import pages
from panelist.api.auth import Principal
from panelist.candidates.store import get_candidate
from panelist.compliance import audit
from panelist.compliance.settings import hiring_settings
from panelist.core.errors import Conflict, Gone, NotFound, PanelistError
from panelist.core.signing import link_claims, sign
from panelist.interviews.ai.model import bucket_of, overall_score, question_scores
from panelist.interviews.store import interview_for
from panelist.models.common import new_id
from panelist.models.compliance import AuditAction
from panelist.models.interviews import Interview
from panelist.models.reviews import ExplanationOut, ExplanationRequest
from panelist.models.sessions import Session, SessionStatus
from panelist.sessions.store import get_session
from panelist.sessions.views import criteria

AUDIENCE = "explanation"
PATH = "/interview/explanation/"
TEMPLATE = "explanation.html.j2"
ERASED = "the candidate's data has been erased, and this explanation with it"
_INVALID = "this link is not a valid explanation link; it may be incomplete or mistyped"
_EXPIRED = "this explanation link has expired; ask the organization that interviewed you for a new one"


def _explainable(organization_id: str, session_id: str) -> Session:
    """The session, while it can be explained: completed, its candidate not erased."""
    session = get_session(organization_id, session_id)
    if session.status is not SessionStatus.completed:
        raise Conflict(
            f"only a completed session can be explained; this one is {session.status.value}",
            field="id",
            expected="a completed session",
        )
    try:
        candidate = get_candidate(organization_id, session.candidate_id)
    except NotFound:
        raise Gone(ERASED, field="id") from None
    if candidate.erased_at is not None:
        raise Gone(ERASED, field="id")
    if "results" in session.retention_erased:
        raise Gone("this interview's results were deleted under the organization's retention policy", field="id")
    return session


def create_explanation(
    principal: Principal, session_id: str, request: ExplanationRequest, *, base_url: str
) -> ExplanationOut:
    """A signed link to the explanation of a completed session of the caller's organization (NotFound for another
    organization's or an unknown id, Conflict for a session not completed, Gone for an erased candidate)."""
    organization_id = principal.organization_id
    session = _explainable(organization_id, session_id)
    explanation_id = new_id()
    claims = {"org": organization_id, "ses": session.id, "xid": explanation_id}
    token, expires = sign(claims, audience=AUDIENCE, ttl=timedelta(days=request.expires_in_days))
    audit.record(
        organization_id,
        session.candidate_id,
        AuditAction.explanation_created,
        audit.actor_of(principal),
        session_id=session.id,
        explanation_id=explanation_id,
        expires_at=expires.isoformat(),
    )
    return ExplanationOut(id=explanation_id, url=f"{base_url.rstrip('/')}{PATH}{token}", expires_at=expires)


# ------------------------------------------------------------------ the candidate's page


def _contact(value: str | None) -> dict[str, str] | None:
    if not value:
        return None
    href = value if value.lower().startswith("https://") else f"mailto:{value}"
    return {"text": value, "href": href}


def _questions(session: Session, interview: Interview) -> list[dict[str, Any]]:
    """Each question of the interview: what it assessed (skill, criteria, rubric) and how this candidate did."""
    scores = question_scores(session.answers)
    rows = []
    for number, question in enumerate(interview.questions, 1):
        analyses = [a.analysis for a in session.answers if a.question_id == question.id and a.analysis is not None]
        found = criteria([r for a in analyses for r in a.reasons], [e for a in analyses for e in a.evidence])
        # An answer and its follow-up may both judge a criterion: the best judgement stands.
        status = dict.fromkeys(found.missed, "missed") | dict.fromkeys(found.partly, "partly")
        status |= dict.fromkeys(found.met, "met")
        score = scores.get(question.id)
        rows.append(
            {
                "number": number,
                "prompt": question.prompt,
                "skill": question.skill,
                "answered": any(a.question_id == question.id for a in session.answers),
                "score": score,
                "bucket": None if score is None else bucket_of(score).value,
                "criteria": [
                    {"text": criterion, "status": status.get(criterion)} for criterion in question.evaluation_criteria
                ],
                "rubric": question.expectations,
            }
        )
    return rows


def _overall(session: Session, interview: Interview) -> float | None:
    if session.assessment is not None:
        return session.assessment.score
    return overall_score(interview.skills, interview.questions, session.answers)


def explanation_context(session: Session, interview: Interview) -> dict[str, Any]:
    """What the page shows: the candidate's own result only, never another candidate's."""
    settings = hiring_settings(session.organization_id)
    score = _overall(session, interview)
    return {
        "role": interview.role,
        "interview_name": interview.name,
        "completed_at": session.completed_at or session.updated_at,
        "skills": [{"name": s.name, "weight": s.weight} for s in interview.skills],
        "questions": _questions(session, interview),
        "overall": score,
        "overall_bucket": None if score is None else bucket_of(score).value,
        "decision": session.decision,
        "decided_at": session.decided_at,
        "review_required": settings.human_review_required,
        "contact": _contact(settings.alternative_contact),
    }


def explanation_page(token: str) -> Response[str]:
    """What an explanation link opens: the page in the interview's language, or why it cannot be opened."""
    language = "en"
    try:
        claims = link_claims(
            token, audience=AUDIENCE, required=("org", "ses", "xid"), expired=_EXPIRED, invalid=_INVALID
        )
        organization_id, explanation_id = claims["org"], claims["xid"]
        try:
            session = get_session(organization_id, claims["ses"])
        except NotFound:
            raise Gone("the interview this explanation belongs to no longer exists") from None
        language = session.language
        session = _explainable(organization_id, session.id)
        interview = interview_for(session)
    except PanelistError as exc:
        return pages.link_error(exc, language=language)
    context = explanation_context(session, interview)
    audit.record(
        organization_id,
        session.candidate_id,
        AuditAction.explanation_viewed,
        f"link:{explanation_id}",
        session_id=session.id,
        explanation_id=explanation_id,
    )
    return pages.link_page(TEMPLATE, language=language, nav=[], **context)
