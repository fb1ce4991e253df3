"""The human review gate: a person's decision on a completed session (`POST /api/sessions/{id}/review`).

Every review is kept (`review_store`, newest first); the latest decides. A review, the session's `decision` and
`decided_at`, and its audit entry (`session.reviewed`) are one transaction, so none exists without the others.
Once committed, `session.decided` goes to the organization's webhooks (idempotency key: the review's id). Where
the organization requires human review (`human_review_required`), the AI's scores are advisory until then
(`review_state`, `advisory`).
"""

from __future__ import annotations

from markupsafe import Markup

from panelist.api.auth import Principal
from panelist.compliance import audit, review_store
from panelist.compliance.settings import hiring_settings
from panelist.core.errors import Conflict
from panelist.core.storage import ConditionFailed
from panelist.models.common import new_id, now
from panelist.models.compliance import AuditAction
from panelist.models.reviews import Review, ReviewRequest
from panelist.models.sessions import ReviewState, ReviewStatus, Session, SessionStatus
from panelist.models.webhooks import SessionDecidedData
from panelist.sessions import store as sessions_store
from panelist.webhooks import endpoints


def _not_completed(session: Session) -> Conflict:
    return Conflict(
        f"only a completed session can be reviewed; this one is {session.status.value}",
        field="id",
        expected="a completed session",
    )


def review_session(principal: Principal, session_id: str, request: ReviewRequest) -> Review:
    """Record a person's decision on a completed session of the caller's organization (NotFound for another
    organization's or an unknown id; Conflict naming the status for a session not completed)."""
    organization_id = principal.organization_id
    session = sessions_store.get_session(organization_id, session_id)
    if session.status is not SessionStatus.completed:
        raise _not_completed(session)
    actor = audit.actor_of(principal)
    review = Review(
        id=new_id(),
        organization_id=organization_id,
        session_id=session.id,
        candidate_id=session.candidate_id,
        reviewer=request.reviewer,
        decision=request.decision,
        note=request.note or None,
        created_at=now(),
        score_at_review=session.overall_score,
        actor=actor,
    )
    entry = audit.entry(
        organization_id,
        session.candidate_id,
        AuditAction.session_reviewed,
        actor,
        session_id=session.id,
        decision=review.decision.value,
        review_id=review.id,
    )
    try:
        sessions_store.commit(
            [
                review_store.review_op(review),
                sessions_store.decision_op(session, review.decision.value, review.created_at),
                audit.entry_op(entry),
            ]
        )
    except ConditionFailed:
        current = sessions_store.get_session(organization_id, session_id)  # NotFound if it was deleted meanwhile
        raise _not_completed(current) from None
    _publish_decided(session, review)
    return review


def _publish_decided(session: Session, review: Review) -> None:
    data = SessionDecidedData(
        id=session.id,
        response_id=session.number,
        candidate_id=session.candidate_id,
        interview_id=session.interview_id,
        decision=review.decision.value,
        reviewer=review.reviewer,
        review_id=review.id,
        decided_at=review.created_at,
    )
    endpoints.publish(
        session.organization_id,
        "session.decided",
        data.model_dump(mode="json"),
        idempotency_key=f"session.decided:{review.id}",
    )


def list_reviews(organization_id: str, session_id: str, *, offset: int, limit: int) -> tuple[list[Review], int]:
    """A session's reviews, newest first, and how many there are (NotFound for another organization's session)."""
    session = sessions_store.get_session(organization_id, session_id)
    reviews = review_store.list_reviews(organization_id, session.id, offset=offset, limit=limit)
    return reviews, review_store.count_reviews(organization_id, session.id)


def review_required(organization_id: str) -> bool:
    return hiring_settings(organization_id).human_review_required


def review_state(session: Session, *, required: bool) -> ReviewState:
    return ReviewState.of(session, required=required)


def advisory(state: ReviewState) -> bool:
    """Whether the AI's result is advice only: review is required and no person has decided yet."""
    return state.status is ReviewStatus.pending


ADVISORY = "Advisory: awaiting a person's decision. This organization requires a person to review AI results."
# A style element, not a style attribute: the page's Content-Security-Policy names it by its hash.
_ADVISORY_HTML = Markup(
    "<style>.advisory-banner{{background:#fff8e1;border-bottom:1px solid #f0d58c;color:#5c4400;"
    "font:600 14px/1.4 -apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;padding:8px 16px;text-align:center}}"
    '</style><div role="note" class="advisory-banner">{}</div>'
)


def with_advisory_banner(organization_id: str, session_id: str, document: str) -> str:
    """A recruiter's report of the session, saying at its top that the AI's result is advice only while the
    organization requires human review and no person has decided yet (else the report as it is)."""
    session = sessions_store.get_session(organization_id, session_id)
    if not advisory(review_state(session, required=review_required(organization_id))):
        return document
    from panelist.reports.html import insert_at_body_start  # the rendering stack, only for a page that has it

    return insert_at_body_start(document, _ADVISORY_HTML.format(ADVISORY))
