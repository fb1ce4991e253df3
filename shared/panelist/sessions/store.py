"""Interview sessions, addressed by UUID and by per-organization number (Xobin's `response_id`).

A session is listed in up to four partitions (all, by status, by campaign, by campaign and status),
each sorted by start time. Every partition has counters for its total and for each year, month and
day of start, changed in the transaction that adds, moves or removes the session, so a list's
`total` is read from counters, even for a date range, and a page reads only the items it shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from panelist.billing import credits
from panelist.candidates.campaigns import INVITE_PREFIX
from panelist.candidates.store import get_candidate
from panelist.core import aws
from panelist.core.background import request_render
from panelist.core.errors import BadRequest, Conflict, Gone, NotFound
from panelist.core.settings import get_settings
from panelist.core.storage import ConditionFailed, Item, counter_op, org_pk, put_op, table, update_op
from panelist.models.billing import ChargeKind
from panelist.models.campaigns import InviteStatus
from panelist.models.common import now
from panelist.models.sessions import (
    Session,
    SessionDetail,
    SessionStatus,
    SessionSummary,
    TranscriptOut,
    TranscriptTurn,
)
from panelist.webhooks import endpoints

PREFIX = "SESSION#"
NUMBER_PREFIX = "RESPONSE#"
_INDEXES = ("GSI1", "GSI2", "GSI3", "GSI4")  # all, by status, by campaign, by campaign and status


def number_sk(number: int) -> str:
    return f"{NUMBER_PREFIX}{number:012d}"


def _partition(organization_id: str, campaign_id: str | None, status: SessionStatus | None) -> tuple[str, str]:
    """The list partition (and its index) of one filter combination."""
    base = org_pk(organization_id) + "#SESSIONS"
    if campaign_id and status:
        return f"{base}#CAMPAIGN#{campaign_id}#{status.value}", "GSI4"
    if campaign_id:
        return f"{base}#CAMPAIGN#{campaign_id}", "GSI3"
    if status:
        return f"{base}#{status.value}", "GSI2"
    return base, "GSI1"


def session_lists(session: Session) -> dict[str, str]:
    """index → partition of every list the session is in."""
    combos: list[tuple[str | None, SessionStatus | None]] = [(None, None), (None, session.status)]
    if session.campaign_id:
        combos += [(session.campaign_id, None), (session.campaign_id, session.status)]
    return {index: partition for partition, index in (_partition(session.organization_id, *c) for c in combos)}


def _sort_key(session: Session) -> str:
    return session.started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "#" + session.id


def list_counters(partition: str, started: datetime) -> list[str]:
    """The counters of `partition` a session started at `started` counts in: all time, its year, month, day."""
    day = started.astimezone(UTC).date().isoformat()
    return [f"LIST#{partition}", *(f"LIST#{partition}#{day[:n]}" for n in (4, 7, 10))]


def _counted(session: Session, partitions: list[str], delta: int) -> list[Item]:
    pk = org_pk(session.organization_id)
    return [counter_op(pk, name, delta) for p in partitions for name in list_counters(p, session.started_at)]


def session_index_pk(organization_id: str, owner: str, owner_id: str) -> str:
    """The partition indexing the sessions of a candidate (owner `CANDIDATE`) or an interview (`INTERVIEW`).

    It holds an item `SESSION#<id>` per session, written with the session: a candidate's or a position's
    sessions are one Query away (erasure, result pages), never a Scan.
    """
    return f"{org_pk(organization_id)}#{owner}#{owner_id}"


def candidate_sessions_pk(organization_id: str, candidate_id: str) -> str:
    return session_index_pk(organization_id, "CANDIDATE", candidate_id)


def _index_ops(session: Session) -> list[Item]:
    return [
        put_op(
            {
                "PK": session_index_pk(session.organization_id, owner, owner_id),
                "SK": PREFIX + session.id,
                "type": f"{owner.capitalize()}Session",
                "session_id": session.id,
            }
        )
        for owner, owner_id in (("CANDIDATE", session.candidate_id), ("INTERVIEW", session.interview_id))
    ]


def indexed_session_ids(
    organization_id: str, owner: str, owner_id: str, *, newest_first: bool = False, limit: int | None = None
) -> list[str]:
    """Session ids of a candidate or an interview, by creation (ids are UUIDv7), at most `limit`."""
    partition, cursor = session_index_pk(organization_id, owner, owner_id), None
    ids: list[str] = []
    while limit is None or len(ids) < limit:
        page_size = 100 if limit is None else min(100, limit - len(ids))
        page = table().query(partition, prefix=PREFIX, limit=page_size, cursor=cursor, forward=not newest_first)
        ids += [str(item["session_id"]) for item in page.items]
        if not (cursor := page.cursor):
            break
    return ids


def candidate_session_ids(organization_id: str, candidate_id: str) -> list[str]:
    """Every session of the candidate saved since the index exists, oldest first."""
    return indexed_session_ids(organization_id, "CANDIDATE", candidate_id)


def get_sessions(organization_id: str, session_ids: list[str]) -> list[Session]:
    """The sessions, in the order given (BatchGetItem); ids with no session are left out."""
    keys = [(org_pk(organization_id), PREFIX + session_id) for session_id in session_ids]
    return [Session.model_validate(item) for item in table().get_many(keys) if item is not None]


def session_item(session: Session) -> Item:
    listed: Item = {}
    for index, partition in session_lists(session).items():
        listed[f"{index}PK"], listed[f"{index}SK"] = partition, _sort_key(session)
    return {
        "PK": org_pk(session.organization_id),
        "SK": PREFIX + session.id,
        "type": "Session",
        **listed,
        **session.model_dump(mode="json"),
    }


def _invite_op(session: Session, status: InviteStatus, *, starting: bool) -> Item:
    """Move the session's invite on; starting needs it unused and unexpired."""
    condition, values = "attribute_exists(PK)", {}
    if starting:
        condition = "#status IN (:pending, :opened) AND expires_at > :now"
        values = {"pending": InviteStatus.pending.value, "opened": InviteStatus.opened.value}
        values["now"] = now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return update_op(
        org_pk(session.organization_id),
        INVITE_PREFIX + str(session.invite_id),
        "SET #status = :new, session_id = :session, candidate_id = :candidate",
        condition=condition,
        names={"#status": "status"},
        new=status.value,
        session=session.id,
        candidate=session.candidate_id,
        **values,
    )


def _campaign_op(session: Session, counters: tuple[str, ...]) -> Item:
    expression = "ADD " + ", ".join(f"{name} :one" for name in counters)
    return update_op(
        org_pk(session.organization_id),
        f"CAMPAIGN#{session.campaign_id}",
        expression,
        condition="attribute_exists(PK)",
        one=1,
    )


def _publish(session: Session, event: str) -> None:
    data = {
        **SessionSummary.of(session).model_dump(mode="json"),
        "interview_id": session.interview_id,
        "candidate_id": session.candidate_id,
        "invite_id": session.invite_id,
    }
    endpoints.publish(session.organization_id, event, data, idempotency_key=f"{event}:{session.id}")


def save_new_session(session: Session) -> Session:
    """Store a new session under the next `response_id`, with every counter it counts in.

    A session of a campaign counts as started there (and as completed when it already is); one from
    an invite uses the invite up: an expired invite is Gone, a used one a Conflict. A session starting
    in progress needs a balance that covers its first minute (PaymentRequired otherwise).
    """
    if session.status is SessionStatus.in_progress:
        credits.ensure_session_can_start(session.organization_id)
    number = table().next_number(session.organization_id, "session")
    session = session.model_copy(update={"number": number})
    pk = org_pk(session.organization_id)
    ops = [
        put_op(session_item(session), unique=True),
        put_op({"PK": pk, "SK": number_sk(number), "session_id": session.id}, unique=True),
        *_index_ops(session),
        counter_op(pk, "sessions"),
        *_counted(session, list(session_lists(session).values()), 1),
    ]
    completed = session.status is SessionStatus.completed
    if session.campaign_id:
        ops.append(_campaign_op(session, ("started", "completed") if completed else ("started",)))
    if session.invite_id:
        invite_status = InviteStatus.completed if completed else InviteStatus.started
        ops.append(_invite_op(session, invite_status, starting=True))
    try:
        table().transact(*ops)
    except ConditionFailed:
        if session.invite_id:
            _refuse_invite(session)
        raise
    if session.status is SessionStatus.in_progress:
        _publish(session, "session.started")
    elif session.status is SessionStatus.completed:
        request_render(session.organization_id, session.id)
    return session


def _refuse_invite(session: Session) -> None:
    invite = table().get(org_pk(session.organization_id), INVITE_PREFIX + str(session.invite_id))
    if invite is None:
        raise NotFound("invite not found", field="invite_id")
    if invite["status"] in (InviteStatus.pending.value, InviteStatus.opened.value):
        raise Gone("the invite has expired", field="invite_id", expected="an invite before its expires_at")
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
    before, after = session_lists(session), session_lists(updated)
    moved = [index for index in after if before[index] != after[index]]
    stored = updated.model_dump(mode="json")
    changes = {"status": stored["status"], "updated_at": stored["updated_at"], "completed_at": stored["completed_at"]}
    changes |= {f"{index}PK": after[index] for index in moved}
    ops = [
        update_op(
            org_pk(organization_id),
            PREFIX + session_id,
            "SET " + ", ".join(f"#{k} = :{k}" for k in changes),
            condition="#status = :was",
            names={f"#{k}": k for k in changes},
            was=SessionStatus.in_progress.value,
            **changes,
        ),
        *_counted(session, [before[index] for index in moved], -1),
        *_counted(session, [after[index] for index in moved], 1),
    ]
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
    table().transact(*ops)


def date_buckets(start: date, end: date) -> Iterator[str]:
    """Date prefixes that together cover [start, end] exactly: whole years and months where they fit, else days."""
    day = start
    while day <= end:
        year_end, month_end = date(day.year, 12, 31), _month_end(day)
        if day == date(day.year, 1, 1) and year_end <= end:
            yield day.isoformat()[:4]
            day = year_end + timedelta(days=1)
        elif day.day == 1 and month_end <= end:
            yield day.isoformat()[:7]
            day = month_end + timedelta(days=1)
        else:
            yield day.isoformat()
            day += timedelta(days=1)


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


EARLIEST = date(2000, 1, 1)  # no session starts earlier: ranges are clipped to [EARLIEST, tomorrow]


def list_sessions(
    organization_id: str,
    *,
    campaign_id: str | None = None,
    status: SessionStatus | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Session], int]:
    """A page of sessions, oldest start first, and how many match: one Query, counters for the total.

    `start_date` and `end_date` are UTC days, both included.
    """
    if start_date and end_date and end_date < start_date:
        raise BadRequest("end_date is before start_date", field="end_date", expected="a date on or after start_date")
    partition, index = _partition(organization_id, campaign_id, status)
    pk = org_pk(organization_id)
    if start_date is None and end_date is None:
        items = table().query_offset(partition, index=index, offset=offset, limit=limit)
        total = table().counter(pk, f"LIST#{partition}")
    else:
        low = max(start_date or EARLIEST, EARLIEST)
        high = min(end_date or date.max, now().date() + timedelta(days=1))
        if low > high:
            return [], 0
        between = (low.isoformat(), (high + timedelta(days=1)).isoformat())
        items = table().query_offset(partition, index=index, offset=offset, limit=limit, between=between)
        names = [f"LIST#{partition}#{bucket}" for bucket in date_buckets(low, high)]
        total = sum(table().counters(pk, names).values())
    return [Session.model_validate(i) for i in items], total


def get_session(organization_id: str, session_id: str) -> Session:
    item = table().get(org_pk(organization_id), PREFIX + session_id)
    if item is None:
        raise NotFound("session not found", field="id")
    return Session.model_validate(item)


def get_session_by_number(organization_id: str, number: int) -> Session:
    alias = table().get(org_pk(organization_id), number_sk(number))
    if alias is None:
        raise NotFound("response not found", field="response_id")
    return get_session(organization_id, alias["session_id"])


def session_detail(organization_id: str, session_id: str, *, base_url: str) -> SessionDetail:
    session = get_session(organization_id, session_id)
    try:
        candidate = get_candidate(organization_id, session.candidate_id)
        email = None if candidate.erased_at else candidate.email
    except NotFound:
        email = None
    links = f"{base_url}/api/session/{session.id}"
    return SessionDetail(
        **SessionSummary.of(session).model_dump(exclude={"participant_email"}),
        participant_email=email,
        transcript_url=f"{links}/transcript",
        audio_url=f"{links}/audio" if session.audio_key else None,
    )


def transcript(organization_id: str, session_id: str) -> TranscriptOut:
    session = get_session(organization_id, session_id)
    return TranscriptOut(
        session_id=session.id,
        started_at=session.started_at,
        completed_at=session.completed_at,
        turns=[TranscriptTurn.model_validate(t.model_dump()) for t in session.turns],
    )


AUDIO_LINK_SECONDS = 900


def audio_link(organization_id: str, session_id: str) -> str:
    """A presigned GET of the session's audio, valid for 15 minutes; NotFound when it has none."""
    session = get_session(organization_id, session_id)
    if not session.audio_key:
        raise NotFound("this session has no audio recording", field="id")
    return str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": get_settings().bucket, "Key": session.audio_key},
            ExpiresIn=AUDIO_LINK_SECONDS,
        )
    )
