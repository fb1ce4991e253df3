"""Lists stay O(page): DynamoDB items read per list request, counted with botocore event hooks.

Stores N campaigns and N sessions in emulated DynamoDB (in-process; batch writes, since only reads
are measured) and lists them as the API does, unfiltered and filtered, at several offsets. Every
item a request reads counts: those a Query scans, each GetItem, each key a BatchGetItem asks for.
Target: items read <= offset + limit + 2 at every size; `total` comes from a counter, never from
counting items. A session list over a date range totals the range's year, month and day counters:
its bound is offset + limit + those counters, which depend on the range, not on how many sessions
there are.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datetime import UTC, date, datetime, timedelta

from moto import mock_aws

import tests.conftest  # noqa: F401 - the offline test environment: emulated AWS, never a real account
from panelist.candidates.store import campaign_item, campaign_lists, list_campaigns
from panelist.core import aws, storage
from panelist.core.storage import org_pk, serialize
from panelist.models.campaigns import Campaign, CampaignStatus
from panelist.models.common import new_id, now
from panelist.models.sessions import Session, SessionStatus
from panelist.sessions.store import date_buckets, list_counters, list_sessions, session_item, session_lists
from panelist_local.emulator import provision
from panelist_local.template import Template

SIZES = (100, 10_000)
PAGES = ((0, 50), (50, 50), (1_000, 100))
ORG, PROJECTS = "bench-org", ("p1", "p2")
FILTERS = (
    ("all", None, None),
    ("project", "p1", None),
    ("status", None, CampaignStatus.active),
    ("project+status", "p1", CampaignStatus.active),
)


SESSION_FILTERS = (
    ("all", None, None, None),
    ("campaign", "c1", None, None),
    ("status", None, SessionStatus.completed, None),
    ("campaign+status", "c1", SessionStatus.completed, None),
    ("30 days", None, None, (date(2025, 3, 10), date(2025, 4, 8))),
    ("a year and more", None, SessionStatus.completed, (date(2024, 2, 15), date(2025, 6, 20))),
)
FIRST_SESSION = datetime(2024, 1, 1, tzinfo=UTC)


def _put_all(items: list[dict], counts: Counter[str]) -> None:
    """Write items and add to counters (as `counter_op` would, in bulk: only reads are measured)."""
    table = storage.table()
    for name, n in counts.items():
        counter = table.get(org_pk(ORG), f"COUNTER#{name}")
        items.append({"PK": org_pk(ORG), "SK": f"COUNTER#{name}", "value": n + (counter or {}).get("value", 0)})
    client = aws.client("dynamodb")
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": serialize(item)}} for item in items[start : start + 25]]
        client.batch_write_item(RequestItems={table.name: requests})


def _seed(first: int, last: int) -> None:
    campaigns = [
        Campaign(
            id=new_id(),
            organization_id=ORG,
            name=f"C{n}",
            script_id="s",
            project_id=PROJECTS[n % 2],
            status=CampaignStatus.active if n % 3 else CampaignStatus.completed,
            created_at=now(),
            updated_at=now(),
        )
        for n in range(first, last)
    ]
    counts = Counter(f"LIST#{name}" for c in campaigns for name in campaign_lists(c, c.status))
    _put_all([campaign_item(c) for c in campaigns], counts)


def _seed_sessions(first: int, last: int) -> None:
    """Sessions every 2 hours from FIRST_SESSION, in two campaigns, two thirds of them completed."""
    sessions = []
    for n in range(first, last):
        started = FIRST_SESSION + timedelta(hours=2 * n)
        status = SessionStatus.completed if n % 3 else SessionStatus.abandoned
        sessions.append(
            Session(
                id=new_id(),
                number=n + 1,
                organization_id=ORG,
                interview_id="i",
                candidate_id="c",
                campaign_id=("c1", "c2")[n % 2],
                status=status,
                started_at=started,
                completed_at=started + timedelta(minutes=12) if status is SessionStatus.completed else None,
                updated_at=started + timedelta(minutes=12),
            )
        )
    counts = Counter(
        name for s in sessions for p in session_lists(s).values() for name in list_counters(p, s.started_at)
    )
    _put_all([session_item(s) for s in sessions], counts)


def _count_reads(read: list[int]) -> None:
    events = aws.client("dynamodb").meta.events

    def add(n: int) -> None:
        read[0] += n

    events.register("after-call.dynamodb.Query", lambda parsed, **_: add(parsed.get("ScannedCount", 0)))
    events.register("after-call.dynamodb.GetItem", lambda **_: add(1))
    events.register(
        "provide-client-params.dynamodb.BatchGetItem",
        lambda params, **_: add(sum(len(r["Keys"]) for r in params["RequestItems"].values())),
    )


def main() -> int:
    read = [0]
    worst = 0.0
    with mock_aws():
        aws.reset()
        provision(Template.load(ROOT / "template.yaml", {"Stage": "test"}, local=True))
        _count_reads(read)
        stored = 0
        for size in SIZES:
            _seed(stored, size)
            stored = size
            for label, project, status in FILTERS:
                for offset, limit in PAGES:
                    read[0] = 0
                    items, total = list_campaigns(ORG, project_id=project, status=status, offset=offset, limit=limit)
                    bound = offset + limit + 2
                    worst = max(worst, read[0] / bound)
                    print(
                        f"  {size:6d} campaigns  {label:15} offset {offset:5d} limit {limit:3d}: "
                        f"{len(items):3d} items of {total:5d}, {read[0]:5d} read (bound {bound})"
                    )
        stored = 0
        for size in SIZES:
            _seed_sessions(stored, size)
            stored = size
            for label, campaign, status, days in SESSION_FILTERS:
                start_date, end_date = days or (None, None)
                for offset, limit in PAGES:
                    read[0] = 0
                    found, total = list_sessions(
                        ORG,
                        campaign_id=campaign,
                        status=status,
                        start_date=start_date,
                        end_date=end_date,
                        offset=offset,
                        limit=limit,
                    )
                    counters = len(list(date_buckets(*days))) if days else 0
                    bound = offset + limit + (counters or 2)
                    worst = max(worst, read[0] / bound)
                    print(
                        f"  {size:6d} sessions   {label:15} offset {offset:5d} limit {limit:3d}: "
                        f"{len(found):3d} items of {total:5d}, {read[0]:5d} read (bound {bound}"
                        + (f": {counters} date counters)" if days else ")")
                    )
    print(f"list reads: worst {worst:.2f} of the bound offset + limit + 2 ({'ok' if worst <= 1 else 'OVER'})")
    return 0 if worst <= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
