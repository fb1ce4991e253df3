"""A session's life: it starts (from an invite, a profile link or the API) and ends completed or abandoned.

The rules live here; the writes are `sessions.store`'s, and the invite's and campaign's are `candidates.store`'s,
composed into one transaction per change. Events are published and work is queued only after it committed.
"""

from __future__ import annotations

import random
import time
from datetime import datetime

from botocore.exceptions import ClientError

from panelist.billing import credits
from panelist.candidates import store as candidates
from panelist.core.background import request_render
from panelist.core.errors import Conflict, Gone, NotFound, ServiceUnavailable
from panelist.core.storage import ConditionFailed, Item
from panelist.models.billing import ChargeKind
from panelist.models.campaigns import InviteStatus
from panelist.models.candidates import Candidate
from panelist.models.common import now
from panelist.models.sessions import Session, SessionStatus, SessionSummary
from panelist.sessions import store
from panelist.sessions.store import get_session
from panelist.webhooks import endpoints


def _invite_op(session: Session, status: InviteStatus, *, starting: bool) -> Item:
    return candidates.invite_used_op(
        session.organization_id,
        str(session.invite_id),
        status,
        session_id=session.id,
        candidate_id=session.candidate_id,
        starting=starting,
    )


def _campaign_op(session: Session, counters: tuple[str, ...]) -> Item:
    return candidates.campaign_counted_op(session.organization_id, str(session.campaign_id), counters)


def _publish(session: Session, event: str) -> None:
    data = {
        **SessionSummary.of(session).model_dump(mode="json"),
        "interview_id": session.interview_id,
        "candidate_id": session.candidate_id,
        "invite_id": session.invite_id,
    }
    endpoints.publish(session.organization_id, event, data, idempotency_key=f"{event}:{session.id}")


def save_new_session(session: Session, *, new_candidate: Candidate | None = None) -> Session:
    """Store a new session under the next `response_id`, with every counter it counts in.

    A session of a campaign counts as started there (and as completed when it already is); one from
    an invite uses the invite up: an expired invite is Gone, a used one a Conflict. A session starting
    in progress needs a balance that covers its first minute (PaymentRequired otherwise). `new_candidate`,
    the session's candidate not stored yet, is stored in the same transaction: a start refused (a
    concurrent start took the invite first) leaves no profile behind.
    """
    if session.status is SessionStatus.in_progress:
        credits.ensure_session_can_start(session.organization_id)
    completed = session.status is SessionStatus.completed
    ops = []
    if new_candidate is not None:
        if new_candidate.id != session.candidate_id:
            raise ValueError("the new candidate is not the session's")
        ops.extend(candidates.new_candidate_ops(new_candidate))
    if session.campaign_id:
        ops.append(_campaign_op(session, ("started", "completed") if completed else ("started",)))
    if session.invite_id:
        ops.append(_invite_op(session, InviteStatus.completed if completed else InviteStatus.started, starting=True))
    try:
        session = _insert(session, ops)
    except ConditionFailed:
        if session.invite_id:
            _refuse_invite(session)
        raise
    if session.status is SessionStatus.in_progress:
        _publish(session, "session.started")
    elif session.status is SessionStatus.completed:
        request_render(session.organization_id, session.id)
    return session


CONFLICT_ATTEMPTS = 4  # DynamoDB cancels transactions on one item (an invite, a counter) at the same instant


def _insert(session: Session, ops: list[Item]) -> Session:
    """`store.insert_session`, tried again after a TransactionConflict: the condition that lost the race (the
    invite used) then fails as such. Still conflicting after CONFLICT_ATTEMPTS: ServiceUnavailable."""
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            return store.insert_session(session, ops)
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if "TransactionConflict" not in reasons:
                raise
            time.sleep(random.uniform(0.01, 0.05 * (attempt + 1)))  # noqa: S311 - jitter, not secrets
    raise ServiceUnavailable("too many interviews are starting at this moment; please try again")


def _refuse_invite(session: Session) -> None:
    invite = candidates.get_invite_item(session.organization_id, str(session.invite_id))
    if invite is None:
        raise NotFound("invite not found", field="invite_id")
    if invite["status"] in (InviteStatus.pending.value, InviteStatus.opened.value):
        raise Gone("the invite has expired", field="invite_id", expected="an invite before its expires_at")
    if invite["status"] == InviteStatus.revoked.value:  # revoked while the start was on its way
        raise Gone("the invitation was withdrawn by the organization that sent it", field="invite_id")
    raise Conflict("the invite has already been used for a session", field="invite_id")


_FINAL = (SessionStatus.completed, SessionStatus.abandoned)


def finish_session(
    organization_id: str,
    session_id: str,
    status: SessionStatus,
    *,
    at: datetime | None = None,
    analysed_next: bool = False,
) -> Session:
    """End an in-progress session as completed or abandoned, moving it between lists and counters at once.

    Finishing it again the same way returns it unchanged (a retry counts nothing twice); any other
    move is a Conflict. Completing publishes `session.completed` and queues the report's render, unless
    an analysis follows (`analysed_next`): that queues the render once it has written its results.
    """
    if status not in _FINAL:
        raise ValueError(f"a session can only finish as {' or '.join(s.value for s in _FINAL)}")
    session = get_session(organization_id, session_id)
    if session.status is status:
        return session
    if session.status is not SessionStatus.in_progress:
        raise Conflict(f"the session is already {session.status.value}", field="status")
    at = at or now()
    updated = session.model_copy(
        update={"status": status, "updated_at": at, "completed_at": at if status is SessionStatus.completed else None}
    )
    ops = store.finish_ops(session, updated)
    if session.campaign_id and status is SessionStatus.completed:
        ops.append(_campaign_op(session, ("completed",)))
    if session.invite_id and status is SessionStatus.completed:
        ops.append(_invite_op(session, InviteStatus.completed, starting=False))
    try:
        _commit_finish(updated, ops)
    except ConditionFailed:
        current = get_session(organization_id, session_id)  # another caller finished it first
        if current.status is status:
            return current
        raise Conflict(f"the session is already {current.status.value}", field="status") from None
    if status is SessionStatus.completed:
        _publish(updated, "session.completed")
        if not analysed_next:
            request_render(organization_id, session_id)
    return updated


def _commit_finish(session: Session, ops: list[Item]) -> None:
    """Commit a finished session; a completed one is charged per started minute in the same transaction.

    The interview has happened, so a balance that cannot cover it is charged what it holds and the
    rest is recorded as the ledger entry's shortfall (never refused, never lost).
    """
    if session.status is SessionStatus.completed:
        amount, reference, description = credits.session_charge(
            session.id, session.started_at, session.completed_at or session.updated_at
        )
        if amount and credits.get_credits(session.organization_id) is not None:
            credits.charge(
                session.organization_id,
                amount,
                kind=ChargeKind.session,
                reference=reference,
                description=description,
                partial=True,
                extra_ops=ops,
            )
            return
    store.commit(ops)
