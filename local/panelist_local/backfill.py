"""The issue-15 backfill: index what an earlier deployment stored, once, so the new filtered lists find it.

An operator runs it once after upgrading (`panelist backfill [--organization ID] [--dry-run]`). For each
organization (all of them through the organizations list, GSI1: no Scan), each kind is read through its own
Query (the organization's partition, by key prefix) and what it lacks is written by its domain's store,
with the store's own builders:

- interviews: the status/project list keys (GSI1-3) and those lists' counters;
- candidates: the address's index entry (`?email=`) with one on the candidate counter; an external id's
  lookup item when one is missing (`?external_id=`);
- invites: a campaign's invite list keys (GSI1 all, GSI2 by status);
- sessions: the list items by interview and by candidate (all and by status) and, when analysed, the score
  lists, with their counters.

Idempotent: every write is conditional on the index it adds still being absent (and on the entity being as
read), and a counter moves in the same transaction as the item it counts, so a second run, or two runs at
once, write and count nothing twice. An entity whose condition fails (changed meanwhile) is `skipped`; run
again to pick it up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from panelist.accounts.store import list_organizations
from panelist.candidates import store as candidates
from panelist.interviews import store as interviews
from panelist.sessions import store as sessions

KINDS = ("interviews", "candidates", "external_ids", "invites", "sessions")


@dataclass
class Counts:
    """What one kind's backfill found missing and wrote (`written`) or lost to a concurrent change (`skipped`)."""

    missing: int = 0
    written: int = 0
    skipped: int = 0

    def add(self, done: bool) -> None:
        self.missing += 1
        if done:
            self.written += 1
        else:
            self.skipped += 1


def _run(found: Iterable[bool]) -> Counts:
    counts = Counts()
    for done in found:
        counts.add(done)
    return counts


def backfill_interviews(organization_id: str, *, dry_run: bool = False) -> Counts:
    return _run(
        interviews.backfill_interview(i, dry_run=dry_run) for i in interviews.unlisted_interviews(organization_id)
    )


def backfill_candidates(organization_id: str, *, dry_run: bool = False) -> Counts:
    return _run(
        candidates.backfill_candidate(c, dry_run=dry_run) for c in candidates.unindexed_candidates(organization_id)
    )


def backfill_external_ids(organization_id: str, *, dry_run: bool = False) -> Counts:
    """`skipped`: an external id another profile holds (resolve by hand), or a profile changed meanwhile."""
    return _run(
        candidates.backfill_candidate_external_id(c, dry_run=dry_run)
        for c in candidates.candidates_with_unclaimed_external_id(organization_id)
    )


def backfill_invites(organization_id: str, *, dry_run: bool = False) -> Counts:
    return _run(candidates.backfill_invite(i, dry_run=dry_run) for i in candidates.unlisted_invites(organization_id))


def backfill_sessions(organization_id: str, *, dry_run: bool = False) -> Counts:
    return _run(
        sessions.backfill_session(s, missing, dry_run=dry_run)
        for s, missing in sessions.unindexed_sessions(organization_id)
    )


def backfill_organization(organization_id: str, *, dry_run: bool = False) -> dict[str, dict[str, int]]:
    """Every kind of one organization: {kind: {missing, written, skipped}} (dry run: written = would write)."""
    runs = {
        "interviews": backfill_interviews,
        "candidates": backfill_candidates,
        "external_ids": backfill_external_ids,
        "invites": backfill_invites,
        "sessions": backfill_sessions,
    }
    return {kind: asdict(run(organization_id, dry_run=dry_run)) for kind, run in runs.items()}


def organization_ids() -> Iterator[str]:
    """Every organization's id, oldest first, as the admin list reads them (GSI1, 100 at a time)."""
    offset = 0
    while True:
        page, _ = list_organizations(offset=offset, limit=100)
        yield from (org.id for org in page)
        if len(page) < 100:
            return
        offset += len(page)


def backfill(organization_id: str | None = None, *, dry_run: bool = False) -> dict[str, object]:
    """One organization, or all: per organization and in total, {kind: {missing, written, skipped}}."""
    ids = [organization_id] if organization_id else list(organization_ids())
    per_org = {org: backfill_organization(org, dry_run=dry_run) for org in ids}
    total = {kind: {k: sum(c[kind][k] for c in per_org.values()) for k in ("missing", "written", "skipped")}
             for kind in KINDS}  # fmt: skip
    return {"dry_run": dry_run, "organizations": per_org, "total": total}
