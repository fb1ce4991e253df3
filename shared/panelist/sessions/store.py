"""The only writer of the sessions items: sessions (`SESSION#`, addressed by UUID, and `RESPONSE#<number>`,
Xobin's `response_id`), their candidate and interview indexes, list counters and the active-session index.

A session is listed in up to four partitions (all, by status, by campaign, by campaign and status),
each sorted by start time. Every partition has counters for its total and for each year, month and
day of start, changed in the transaction that adds, moves or removes the session, so a list's
`total` is read from counters, even for a date range, and a page reads only the items it shows.

Lists by interview and by candidate (each alone and by status) are partitions of list items
(`SESSIONLIST`, PK the partition, SK the start time, holding the session id) written and moved with the
session, counted the same way; a page reads its list items, then its sessions with one BatchGetItem.
Score lists (issue 15) are the same kind of items, written when an analysis writes or changes the
overall score: partitions by organization, campaign, interview or candidate, each alone and by status,
sorted by score (SK `<score in hundredths, 5 digits>#<start>#<id>`), with counters per tens and per
unit of score, so `min_score` totals read at most 20 counters. Only analysed sessions are in them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from panelist.core import times
from panelist.core.errors import BadRequest, NotFound
from panelist.core.storage import (
    ConditionFailed,
    Item,
    Page,
    counter_op,
    delete_op,
    list_counter,
    org_pk,
    put_op,
    table,
    update_op,
)
from panelist.models.common import now
from panelist.models.sessions import Answer, Session, SessionStatus, Turn

LIST_ITEM = "SessionListItem"

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


def _owner_partition(organization_id: str, owner: str, owner_id: str, status: SessionStatus | None) -> str:
    """A list partition of list items: sessions of one interview or candidate (`owner`), by status or all."""
    base = f"{org_pk(organization_id)}#SESSIONS#{owner}#{owner_id}"
    return f"{base}#{status.value}" if status else base


def item_lists(session: Session) -> list[str]:
    """The list-item partitions (by interview, by candidate; all and by status) the session is in."""
    return [
        _owner_partition(session.organization_id, owner, owner_id, status)
        for owner, owner_id in (("INTERVIEW", session.interview_id), ("CANDIDATE", session.candidate_id))
        for status in (None, session.status)
    ]


def _list_item_op(partition: str, session: Session, sort_key: str) -> Item:
    return put_op({"PK": partition, "SK": sort_key, "type": LIST_ITEM, "session_id": session.id})


SCORE_OWNERS = ("CAMPAIGN", "INTERVIEW", "CANDIDATE")


def _score_partition(
    organization_id: str, owner: str | None, owner_id: str | None, status: SessionStatus | None
) -> str:
    base = f"{org_pk(organization_id)}#SESSIONS#SCORE"
    if owner:
        base += f"#{owner}#{owner_id}"
    return f"{base}#{status.value}" if status else base


def score_lists(session: Session) -> list[str]:
    """The score-list partitions an analysed session is in (none while it has no overall score)."""
    if session.overall_score is None:
        return []
    owners: list[tuple[str | None, str | None]] = [
        (None, None),
        ("INTERVIEW", session.interview_id),
        ("CANDIDATE", session.candidate_id),
    ]
    if session.campaign_id:
        owners.append(("CAMPAIGN", session.campaign_id))
    return [
        _score_partition(session.organization_id, owner, owner_id, status)
        for owner, owner_id in owners
        for status in (None, session.status)
    ]


def score_key(score: float) -> str:
    """A score (0-100) as a fixed-width sort key, in hundredths: 73.5 → `07350`."""
    return f"{round(score * 100):05d}"


def _score_buckets(score: float) -> list[str]:
    """The counters a score counts in: its tens (`T7` for 70-79.99, `T10` for 100) and its unit (`U73`)."""
    unit = min(100, int(score))
    return [f"T{unit // 10}", f"U{unit}"]


def min_score_buckets(min_score: int) -> list[str]:
    """Counters that together count the scores >= min_score exactly: units up to the next ten, then tens."""
    next_ten = -(-min_score // 10) * 10
    return [f"U{u}" for u in range(min_score, min(next_ten, 101))] + [f"T{t}" for t in range(next_ten // 10, 11)]


def score_ops(before: Session, after: Session) -> list[Item]:
    """Writes that move a session in the score lists from `before`'s overall score to `after`'s.

    One operation per item (a transaction may not touch an item twice): counter changes are netted.
    """
    if (before.overall_score, before.status) == (after.overall_score, after.status):
        return []
    pk = org_pk(after.organization_id)
    items: dict[tuple[str, str], Item] = {}
    deltas: Counter[str] = Counter()
    for session, delta in ((before, -1), (after, 1)):
        score = session.overall_score
        if score is None:
            continue
        sort_key = f"{score_key(score)}#{_sort_key(session)}"
        for partition in score_lists(session):
            items[(partition, sort_key)] = (
                delete_op(partition, sort_key) if delta < 0 else _list_item_op(partition, session, sort_key)
            )
            for bucket in _score_buckets(score):
                deltas[list_counter(partition, bucket)] += delta
    return [*items.values(), *(counter_op(pk, name, d) for name, d in deltas.items() if d)]


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
        *(_list_item_op(partition, session, _sort_key(session)) for partition in item_lists(session)),
        *_counted(session, item_lists(session), 1),
        *score_ops(session.model_copy(update={"assessment": None}), session),
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
        *_moved_items(session, finished),
        *score_ops(session, finished),
    ]


def _moved_items(session: Session, finished: Session) -> list[Item]:
    """The list items that move with a change of status (delete, put) and their counters."""
    gone = [p for p in item_lists(session) if p not in item_lists(finished)]
    new = [p for p in item_lists(finished) if p not in item_lists(session)]
    return [
        *(delete_op(partition, _sort_key(session)) for partition in gone),
        *(_list_item_op(partition, finished, _sort_key(finished)) for partition in new),
        *_counted(session, gone, -1),
        *_counted(finished, new, 1),
    ]


def set_fields_op(
    session: Session,
    fields: Iterable[str],
    *,
    condition: str = "attribute_exists(PK)",
    names: dict[str, str] | None = None,
    **values: Any,
) -> Item:
    """Write these fields of `session` as they are in the model, on `condition` (placeholders `values`)."""
    stored = session.model_dump(mode="json", include=set(fields))
    return update_op(
        org_pk(session.organization_id),
        PREFIX + session.id,
        "SET " + ", ".join(f"#{name} = :{name}" for name in stored),
        condition=condition,
        names={f"#{name}": name for name in stored}
        | ({"#status": "status"} if "#status" in condition else {})
        | (names or {}),
        **values,
        **stored,
    )


def set_fields(
    session: Session, fields: Iterable[str], *, condition: str = "attribute_exists(PK)", **values: Any
) -> None:
    """`set_fields_op`, on its own (ConditionFailed when the condition does not hold).

    Writing the `assessment` (the analysis) also moves the session in the score lists: the stored session
    is read first and the write is conditional on its `updated_at` being unchanged (ConditionFailed when
    it changed meanwhile: read and try again, as the analysis does).
    """
    fields = tuple(fields)
    if "assessment" not in fields:
        commit([set_fields_op(session, fields, condition=condition, **values)])
        return
    before = get_session(session.organization_id, session.id)
    stored_at = before.model_dump(mode="json", include={"updated_at"})["updated_at"]
    guarded = f"({condition}) AND #stored_updated_at = :stored_updated_at"
    write = set_fields_op(
        session,
        fields,
        condition=guarded,
        names={"#stored_updated_at": "updated_at"},
        stored_updated_at=stored_at,
        **values,
    )
    commit([write, *score_ops(before, session.model_copy(update={"status": before.status}))])


def decision_op(session: Session, decision: str, decided_at: datetime) -> Item:
    """The write of a person's decision on a completed session (`decision`, `decided_at`), for the review's own
    transaction; it fails (ConditionFailed) when the session is gone or no longer completed."""
    decided = session.model_copy(update={"decision": decision, "decided_at": decided_at})
    return set_fields_op(
        decided, ("decision", "decided_at"), condition="#status = :completed", completed=SessionStatus.completed.value
    )


def save_analysis(session: Session, *, error: str | None = None) -> None:
    """Write an analysis outcome: the analysed session's answers, turns and assessment (clearing
    `analysis_error`), or, with `error`, only that the analysis failed (`analysis_error`, for `analysis.failed`).
    """
    if error is not None:
        set_fields(session.model_copy(update={"analysis_error": error[:500]}), ("analysis_error",))
        return
    cleared = session.model_copy(update={"analysis_error": None})
    set_fields(cleared, ("answers", "turns", "assessment", "updated_at", "analysis_error"))


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


class SessionSort(StrEnum):
    date = "date"
    score = "score"


class SortOrder(StrEnum):
    asc = "asc"
    desc = "desc"


def list_sessions(
    organization_id: str,
    *,
    campaign_id: str | None = None,
    status: SessionStatus | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    interview_id: str | None = None,
    candidate_id: str | None = None,
    min_score: int | None = None,
    sort: SessionSort | None = None,
    order: SortOrder | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Session], int]:
    """A page of sessions and how many match: one Query, counters for the total (and, for lists of list
    items, one BatchGetItem of the page's sessions).

    By date (the default) oldest start first unless `order=desc`; `start_date` and `end_date` are UTC days,
    both included. By score (`sort=score`, or `min_score` given): analysed sessions only, highest first
    unless `order=asc`, ties by start. At most one of campaign_id, interview_id, candidate_id.
    """
    owners = [(f, v) for f, v in (("campaign_id", campaign_id), ("interview_id", interview_id)) if v]
    owners += [("candidate_id", candidate_id)] if candidate_id else []
    if len(owners) > 1:
        raise BadRequest(
            "filter by one of campaign_id, interview_id and candidate_id",
            field=owners[1][0],
            expected="at most one of campaign_id, interview_id, candidate_id",
        )
    if start_date and end_date and end_date < start_date:
        raise BadRequest("end_date is before start_date", field="end_date", expected="a date on or after start_date")
    by_score = sort is SessionSort.score or (sort is None and min_score is not None)
    if sort is SessionSort.date and min_score is not None:
        raise BadRequest(
            "min_score lists analysed sessions by score", field="min_score", expected="no min_score with sort=date"
        )
    if by_score:
        if start_date or end_date:
            raise BadRequest(
                "a date range lists sessions by date",
                field="start_date" if start_date else "end_date",
                expected="no date range with sort=score or min_score",
            )
        return _by_score(organization_id, owners[0] if owners else None, status, min_score, order, offset, limit)
    forward = order is not SortOrder.desc
    pk = org_pk(organization_id)
    if interview_id or candidate_id:
        owner, owner_id = ("INTERVIEW", interview_id) if interview_id else ("CANDIDATE", candidate_id)
        partition, index = _owner_partition(organization_id, owner, str(owner_id), status), None
    else:
        partition, index = _partition(organization_id, campaign_id, status)
    if start_date is None and end_date is None:
        items = table().query_offset(partition, index=index, offset=offset, limit=limit, forward=forward)
        total = table().counter(pk, list_counter(partition))
    else:
        low = max(start_date or EARLIEST, EARLIEST)
        high = min(end_date or date.max, now().date() + timedelta(days=1))
        if low > high:
            return [], 0
        between = (low.isoformat(), (high + timedelta(days=1)).isoformat())
        items = table().query_offset(
            partition, index=index, offset=offset, limit=limit, between=between, forward=forward
        )
        names = [list_counter(partition, bucket) for bucket in date_buckets(low, high)]
        total = sum(table().counters(pk, names).values())
    if index is None:
        return get_sessions(organization_id, [str(i["session_id"]) for i in items]), total
    return [Session.model_validate(i) for i in items], total


def completed_started_between(
    organization_id: str, low: date, high: date, *, interview_id: str | None = None, at_most: int
) -> list[Session]:
    """Completed sessions (of one interview, or all) that started on the UTC days low..high (both included), oldest
    first: one Query of the completed list (and, by interview, one BatchGetItem), at most `at_most` of them."""
    between = (low.isoformat(), (high + timedelta(days=1)).isoformat())
    status = SessionStatus.completed
    if interview_id:
        partition = _owner_partition(organization_id, "INTERVIEW", interview_id, status)
        items = table().query_offset(partition, limit=at_most, between=between)
        return get_sessions(organization_id, [str(i["session_id"]) for i in items])
    partition, index = _partition(organization_id, None, status)
    items = table().query_offset(partition, index=index, limit=at_most, between=between)
    return [Session.model_validate(i) for i in items]


def ended_started_before(
    organization_id: str, status: SessionStatus, before: datetime, *, after: str = "", limit: int
) -> list[tuple[str, Session]]:
    """Sessions of `status` that started before `before`, oldest first, from the list position `after` on (that
    position included): (their position in the list, the session), at most `limit` of them, in one Query of the
    status's list. For the retention policy (panelist.compliance.retention), which resumes where it stopped."""
    partition, index = _partition(organization_id, None, status)
    between = (after or "0", times.sortable(before))
    items = table().query_offset(partition, index=index, limit=limit, between=between)
    return [(str(i[f"{index}SK"]), Session.model_validate(i)) for i in items]


def _by_score(
    organization_id: str,
    owner: tuple[str, str] | None,
    status: SessionStatus | None,
    min_score: int | None,
    order: SortOrder | None,
    offset: int,
    limit: int,
) -> tuple[list[Session], int]:
    """A page of a score list: list items with score >= min_score, then their sessions (BatchGetItem)."""
    kind, owner_id = (owner[0].removesuffix("_id").upper(), owner[1]) if owner else (None, None)
    partition = _score_partition(organization_id, kind, owner_id, status)
    low = min_score or 0
    between = (score_key(low), "~") if low else None
    items = table().query_offset(partition, offset=offset, limit=limit, between=between, forward=order is SortOrder.asc)
    names = [list_counter(partition, bucket) for bucket in min_score_buckets(low)]
    total = sum(table().counters(org_pk(organization_id), names).values())
    return get_sessions(organization_id, [str(i["session_id"]) for i in items]), total


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


def set_answer_transcription(
    session: Session,
    index: int,
    answer: Answer,
    *,
    text: str | None = None,
    turn: tuple[int, str] | None = None,
    at: datetime,
) -> None:
    """Write `answer.transcription` into the session's answer `index` (panelist.sessions.transcription), with
    `text` as the answer's text and, with `turn` (its index, the text it must still have), the turn's text.

    Conditional on that answer still holding the same recording (`audio_key`: an erasure removes it) and a
    pending transcription: a redelivered message writes nothing (ConditionFailed). The path update leaves the
    other answers alone, so transcriptions of one session finishing at once do not overwrite each other. A
    finished session's `updated_at` moves (the analysis's write is conditional on it); an in-progress one's
    does not, as it keys the session's active-session index item.
    """
    if answer.transcription is None or not answer.audio_key:
        raise ValueError("only an audio answer's transcription is written")
    sets = [f"answers[{index}].transcription = :transcription"]
    condition = f"answers[{index}].audio_key = :key AND answers[{index}].transcription.#tstatus = :pending"
    names = {"#tstatus": "status"}
    values: dict[str, Any] = {
        "transcription": answer.transcription.model_dump(mode="json"),
        "key": answer.audio_key,
        "pending": "pending",
    }
    if text is not None:
        sets.append(f"answers[{index}].#text = :text")
        names["#text"] = "text"
        values["text"] = text
        if turn is not None:
            sets.append(f"turns[{turn[0]}].#text = :text")
            condition += f" AND turns[{turn[0]}].#text = :turn_text"
            values["turn_text"] = turn[1]
    condition += " AND #status = :status"
    names["#status"] = "status"
    values["status"] = session.status.value
    if session.status is not SessionStatus.in_progress:
        sets.append("updated_at = :at")  # as the model writes it: the analysis compares it with what it read
        values["at"] = session.model_copy(update={"updated_at": at}).model_dump(mode="json", include={"updated_at"})[
            "updated_at"
        ]
    commit(
        [
            update_op(
                org_pk(session.organization_id),
                PREFIX + session.id,
                "SET " + ", ".join(sets),
                condition=condition,
                names=names,
                **values,
            )
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


# ------------------------------------------------------------------ backfill (panelist_local.backfill)


def _wanted_list_items(session: Session) -> list[tuple[str, str, list[str]]]:
    """(partition, sort key, counters) of every list item of the issue-15 lists the session belongs in now."""
    wanted = [(p, _sort_key(session), list_counters(p, session.started_at)) for p in item_lists(session)]
    score = session.overall_score
    if score is not None:
        sort_key = f"{score_key(score)}#{_sort_key(session)}"
        wanted += [(p, sort_key, [list_counter(p, b) for b in _score_buckets(score)]) for p in score_lists(session)]
    return wanted


def unindexed_sessions(organization_id: str) -> Iterator[tuple[Session, list[tuple[str, str, list[str]]]]]:
    """Sessions missing list items of the interview, candidate or score lists (stored before them), each with
    what it misses, page by page: one Query and one BatchGetItem a page of 25 sessions."""
    partition, cursor = org_pk(organization_id), None
    while True:
        page = table().query(partition, prefix=PREFIX, limit=25, cursor=cursor)
        sessions = [Session.model_validate(item) for item in page.items]
        wanted = [_wanted_list_items(session) for session in sessions]
        keys = [(p, sk) for items in wanted for p, sk, _ in items]
        found = {key for key, item in zip(keys, table().get_many(keys), strict=True) if item is not None}
        for session, items in zip(sessions, wanted, strict=True):
            missing = [entry for entry in items if (entry[0], entry[1]) not in found]
            if missing:
                yield session, missing
        if not (cursor := page.cursor):
            return


def backfill_session(session: Session, missing: list[tuple[str, str, list[str]]], *, dry_run: bool = False) -> bool:
    """Write a session's missing list items, each only if it is still missing, with one on each of its counters,
    in one transaction guarded by the session's status and score as read. Each list item is counted once,
    by whoever writes it (a second or concurrent run, or a finish or analysis since, makes this write nothing:
    run again to pick up what is still missing). True when written (with `dry_run`: would be)."""
    if dry_run:
        return True
    pk = org_pk(session.organization_id)
    puts = [_list_item_op(p, session, sk) for p, sk, _ in missing]
    for op in puts:  # only if still missing: whoever writes an item counts it
        op["Put"]["ConditionExpression"] = "attribute_not_exists(PK)"
    counted: Counter[str] = Counter(name for _, _, names in missing for name in names)
    score = session.overall_score
    guard = "#status = :was AND " + (
        "assessment.score = :score"
        if score is not None
        else "(attribute_not_exists(assessment) OR attribute_type(assessment, :null))"
    )
    values: dict[str, Any] = {
        "was": session.status.value,
        **({"score": score} if score is not None else {"null": "NULL"}),
    }
    try:
        table().transact(
            update_op(
                pk, PREFIX + session.id, "SET #status = :was", condition=guard, names={"#status": "status"}, **values
            ),
            *puts,
            *(counter_op(pk, name, n) for name, n in counted.items()),
        )
    except ConditionFailed:
        return False
    return True
