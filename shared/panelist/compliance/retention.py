"""The retention policy: a daily job erasing what an organization keeps no longer (ApplyRetentionFunction).

An organization's hiring settings may give days to keep a session's recordings, its transcripts and its results
(`RetentionPolicy`, null: kept), counted from the session's end (`completed_at`, else `updated_at` for an abandoned
session). Each part is erased through the erasure's own steps (`candidates.erasure.erase_session_parts`): the
session's fields, every version of its objects, then the mark `retention_erased` with the audit entry
`retention.erased` (actor `system:retention`), so nothing is erased twice and the audit log says what went.

No Scan: the organizations come from the index of those with a policy (`compliance.store`), their ended sessions
from the status lists, oldest start first, only those started before `now - days` (a session ends after it
starts). For each list and part, the job keeps where it stopped (`RETENTIONCURSOR`): the position up to which
every session has that part erased. It resumes there, so a run reads at most `page` list positions per list and
part, erases at most `budget` sessions, and what is left is done the next day. A changed number of days starts
that part's lists again from the beginning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from panelist.candidates.erasure import PARTS, Part, erase_session_parts
from panelist.compliance import store
from panelist.compliance.settings import hiring_settings
from panelist.core.errors import NotFound
from panelist.core.observability import logger, metrics
from panelist.core.storage import ConditionFailed
from panelist.models.common import now
from panelist.models.compliance import RetentionPolicy
from panelist.models.sessions import Session, SessionStatus
from panelist.sessions import store as sessions_store

ACTOR = "system:retention"
ENDED = (SessionStatus.completed, SessionStatus.abandoned)
PAGE = 200  # list positions read per organization, list and part in a run
BUDGET = 250  # sessions erased in a run at most (each a few S3 listings): the rest the next day


@dataclass
class RetentionRun:
    """What a run did (or, dry, would do)."""

    dry_run: bool
    organizations: int = 0
    sessions: int = 0
    parts: dict[str, int] = field(default_factory=lambda: {part.value: 0 for part in PARTS})
    files_deleted: int = 0
    conflicts: int = 0  # sessions changed while being erased: the next run erases them
    more: bool = False  # the budget ran out: the next run goes on
    erased: list[dict[str, Any]] = field(default_factory=list)  # session id, organization and parts (capped)

    def summary(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "organizations": self.organizations,
            "sessions": self.sessions,
            "parts": self.parts,
            "files_deleted": self.files_deleted,
            "conflicts": self.conflicts,
            "more": self.more,
            "erased": self.erased[:100],
        }


def policy_days(policy: RetentionPolicy) -> dict[Part, int]:
    """The parts the policy erases, with their days."""
    days = {Part.recordings: policy.recordings_days, Part.transcripts: policy.transcripts_days}
    days[Part.results] = policy.results_days
    return {part: d for part, d in days.items() if d is not None}


def ended_at(session: Session) -> datetime:
    return session.completed_at or session.updated_at


def due_parts(session: Session, days: dict[Part, int], at: datetime) -> set[Part]:
    """The parts of an ended session the policy erases at `at` that are not erased yet."""
    if session.status not in ENDED:
        return set()
    end = ended_at(session)
    return {p for p, d in days.items() if p.value not in session.retention_erased and end + timedelta(days=d) <= at}


def apply_retention(
    at: datetime | None = None, *, dry_run: bool = False, page: int = PAGE, budget: int = BUDGET
) -> RetentionRun:
    """Erase, in every organization with a retention policy, the parts of sessions whose days have passed at `at`."""
    at = at or now()
    run = RetentionRun(dry_run=dry_run)
    cursor: str | None = None
    while not run.more:
        organization_ids, cursor = store.organizations_with_retention(cursor)
        for organization_id in organization_ids:
            if run.sessions >= budget:
                run.more = True
                break
            apply_to_organization(organization_id, at, run, page=page, budget=budget)
        if not cursor:
            break
    if not dry_run:
        metrics.add_metric(name="RetentionSessionsErased", unit=MetricUnit.Count, value=run.sessions)
        for part, count in run.parts.items():
            metrics.add_metric(name=f"Retention{part.capitalize()}Erased", unit=MetricUnit.Count, value=count)
        metrics.add_metric(name="RetentionFilesDeleted", unit=MetricUnit.Count, value=run.files_deleted)
    return run


def apply_to_organization(organization_id: str, at: datetime, run: RetentionRun, *, page: int, budget: int) -> None:
    days = policy_days(hiring_settings(organization_id).retention)
    if not days:
        return
    run.organizations += 1
    cursors = store.find_retention_cursors(organization_id)
    lists: dict[str, tuple[Part, int, str, list[tuple[str, Session]]]] = {}
    due: dict[str, set[Part]] = {}
    for status in ENDED:
        for part, d in days.items():
            key = f"{status.value}/{part.value}"
            saved = cursors.get(key) or {}
            after = str(saved.get("after") or "") if saved.get("days") == d else ""
            rows = sessions_store.ended_started_before(
                organization_id, status, at - timedelta(days=d), after=after, limit=page
            )
            rows = [(position, session) for position, session in rows if position != after]
            lists[key] = (part, d, after, rows)
            for _, session in rows:
                if part in due_parts(session, {part: d}, at):
                    due.setdefault(session.id, set()).add(part)
    done = _erase(organization_id, due, days, at, run, budget=budget)
    if run.dry_run:
        return
    moved: dict[str, Any] = {}
    for key, (part, d, after, rows) in lists.items():
        position = after
        for row_position, session in rows:  # contiguous: every session before the position has the part erased
            if part.value not in session.retention_erased and part not in done.get(session.id, set()):
                break
            position = row_position
        moved[key] = {"days": d, "after": position}
    if moved != cursors:
        store.put_retention_cursors(organization_id, moved)


def _erase(
    organization_id: str,
    due: dict[str, set[Part]],
    days: dict[Part, int],
    at: datetime,
    run: RetentionRun,
    *,
    budget: int,
) -> dict[str, set[Part]]:
    """Erase the due parts, session by session (read again first: the lists are an index); what was erased."""
    done: dict[str, set[Part]] = {}
    for session_id in sorted(due):
        if run.sessions >= budget:
            run.more = True
            break
        try:
            session = sessions_store.get_session(organization_id, session_id)
        except NotFound:
            continue
        parts = due_parts(session, {p: days[p] for p in due[session_id]}, at)
        if not parts:
            done[session_id] = due[session_id]  # erased meanwhile
            continue
        names = [p.value for p in PARTS if p in parts]
        if not run.dry_run:
            try:
                _, gone = erase_session_parts(
                    session, parts, actor=ACTOR, days={p.value: days[p] for p in PARTS if p in parts}
                )
            except ConditionFailed:
                run.conflicts += 1
                logger.info("retention: the session changed while erased; next run", session_id=session_id)
                continue
            run.files_deleted += gone.total
        done[session_id] = parts
        run.sessions += 1
        for name in names:
            run.parts[name] += 1
        run.erased.append({"organization_id": organization_id, "session_id": session_id, "erased": names})
    return done
