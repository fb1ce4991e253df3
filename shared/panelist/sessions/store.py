"""The only writer of the sessions items: sessions (`SESSION#`, addressed by UUID, and `RESPONSE#<number>`,
Xobin's `response_id`), their candidate and interview indexes, list counters and the active-session index.

A session is listed in up to four partitions (all, by status, by campaign, by campaign and status),
each sorted by start time. Every partition has counters for its total and for each year, month and
day of start, changed in the transaction that adds, moves or removes the session, so a list's
`total` is read from counters, even for a date range, and a page reads only the items it shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from panelist.core import times
from panelist.core.errors import BadRequest, NotFound
from panelist.core.storage import Item, Page, counter_op, delete_op, list_counter, org_pk, put_op, table, update_op
from panelist.models.common import now
from panelist.models.sessions import Answer, Session, SessionStatus, Turn

PREFIX = "SESSION#"
ACTIVE_PK = "ACTIVESESSIONS"  # in-progress sessions by last activity, for the abandonment sweep
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
    return times.sortable(session.started_at) + "#" + session.id


def list_counters(partition: str, started: datetime) -> list[str]:
    """The counters of `partition` a session started at `started` counts in: all time, its year, month, day."""
    day = started.astimezone(UTC).date().isoformat()
    return [list_counter(partition), *(list_counter(partition, day[:n]) for n in (4, 7, 10))]


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


def insert_session(session: Session, with_ops: list[Item]) -> Session:
    """Store a new session under the next `response_id`, with its indexes and counters, and `with_ops`."""
    number = table().next_number(session.organization_id, "session")
    session = session.model_copy(update={"number": number})
    pk = org_pk(session.organization_id)
    table().transact(
        put_op(session_item(session), unique=True),
        put_op({"PK": pk, "SK": number_sk(number), "session_id": session.id}, unique=True),
        *_index_ops(session),
        counter_op(pk, "sessions"),
        *_counted(session, list(session_lists(session).values()), 1),
        *with_ops,
    )
    return session


def finish_ops(session: Session, finished: Session) -> list[Item]:
    """Writes that end an in-progress session as `finished` says, moving it between its lists' counters."""
    before, after = session_lists(session), session_lists(finished)
    moved = [index for index in after if before[index] != after[index]]
    stored = finished.model_dump(mode="json")
    changes = {"status": stored["status"], "updated_at": stored["updated_at"], "completed_at": stored["completed_at"]}
    changes |= {f"{index}PK": after[index] for index in moved}
    return [
        update_op(
            org_pk(session.organization_id),
            PREFIX + session.id,
            "SET " + ", ".join(f"#{k} = :{k}" for k in changes),
            condition="#status = :was",
            names={f"#{k}": k for k in changes},
            was=SessionStatus.in_progress.value,
            **changes,
        ),
        *_counted(session, [before[index] for index in moved], -1),
        *_counted(session, [after[index] for index in moved], 1),
    ]


def set_fields_op(
    session: Session, fields: Iterable[str], *, condition: str = "attribute_exists(PK)", **values: Any
) -> Item:
    """Write these fields of `session` as they are in the model, on `condition` (placeholders `values`)."""
    stored = session.model_dump(mode="json", include=set(fields))
    return update_op(
        org_pk(session.organization_id),
        PREFIX + session.id,
        "SET " + ", ".join(f"#{name} = :{name}" for name in stored),
        condition=condition,
        names={f"#{name}": name for name in stored} | ({"#status": "status"} if "#status" in condition else {}),
        **values,
        **stored,
    )


def set_fields(
    session: Session, fields: Iterable[str], *, condition: str = "attribute_exists(PK)", **values: Any
) -> None:
    """`set_fields_op`, on its own (ConditionFailed when the condition does not hold)."""
    commit([set_fields_op(session, fields, condition=condition, **values)])


def commit(ops: list[Item], *, chunk: int = 100) -> None:
    """Commit writes of the stores together, `chunk` at a time (one transaction when they fit)."""
    for start in range(0, len(ops), chunk):
        table().transact(*ops[start : start + chunk])


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
        total = table().counter(pk, list_counter(partition))
    else:
        low = max(start_date or EARLIEST, EARLIEST)
        high = min(end_date or date.max, now().date() + timedelta(days=1))
        if low > high:
            return [], 0
        between = (low.isoformat(), (high + timedelta(days=1)).isoformat())
        items = table().query_offset(partition, index=index, offset=offset, limit=limit, between=between)
        names = [list_counter(partition, bucket) for bucket in date_buckets(low, high)]
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


# ------------------------------------------------------------------ the interview's writes


def append_answer(session: Session, answer: Answer, turns: list[Turn], at: datetime, tabs: int, pastes: int) -> None:
    """Append an answer and its turns, on the condition that nobody else did first (the turn count)."""
    commit(
        [
            update_op(
                org_pk(session.organization_id),
                PREFIX + session.id,
                "SET turns = list_append(turns, :turns), answers = list_append(answers, :answer), updated_at = :at"
                " ADD integrity.tab_switches :tabs, integrity.pastes :pastes",
                condition="#status = :active AND size(turns) = :count",
                names={"#status": "status"},
                turns=[t.model_dump(mode="json") for t in turns],
                answer=[answer.model_dump(mode="json")],
                at=at.astimezone(UTC).isoformat(),
                active=SessionStatus.in_progress.value,
                count=len(session.turns),
                tabs=tabs,
                pastes=pastes,
            ),
            active_delete_op(session.id, session.updated_at),
            active_put_op(session, at),
        ]
    )


def add_integrity_signals(session: Session, tab_switches: int, pastes: int) -> None:
    """Add to an in-progress session's integrity counters (ConditionFailed once it ended)."""
    table().update(
        org_pk(session.organization_id),
        PREFIX + session.id,
        "ADD integrity.tab_switches :tabs, integrity.pastes :pastes",
        condition="#status = :active",
        names={"#status": "status"},
        tabs=tab_switches,
        pastes=pastes,
        active=SessionStatus.in_progress.value,
    )


def count_upload(session: Session, limit: int) -> int:
    """Count one more upload of an in-progress session while it has fewer than `limit`; how many it has now.

    One conditional write on the session item (its `uploads` attribute, outside the model): ConditionFailed
    at the limit, or once the session ended.
    """
    item = table().update(
        org_pk(session.organization_id),
        PREFIX + session.id,
        "ADD uploads :one",
        condition="#status = :active AND (attribute_not_exists(uploads) OR uploads < :limit)",
        names={"#status": "status"},
        one=1,
        limit=limit,
        active=SessionStatus.in_progress.value,
    )
    return int(item["uploads"])


def active_sk(session_id: str, activity: datetime) -> str:
    return f"{times.sortable(activity)}#{session_id}"


def active_put_op(session: Session, activity: datetime) -> Item:
    return put_op(
        {
            "PK": ACTIVE_PK,
            "SK": active_sk(session.id, activity),
            "type": "ActiveSession",
            "organization_id": session.organization_id,
            "session_id": session.id,
        }
    )


def active_delete_op(session_id: str, activity: datetime) -> Item:
    return delete_op(ACTIVE_PK, active_sk(session_id, activity))


def forget_active(sort_key: str) -> None:
    commit([delete_op(ACTIVE_PK, sort_key)])


def active_sessions(cursor: str | None) -> Page:
    """A page of the active-session index, least recently active first."""
    return table().query(ACTIVE_PK, limit=100, cursor=cursor)
