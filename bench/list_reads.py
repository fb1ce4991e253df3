"""Lists stay O(page): DynamoDB items read per list request, counted with a botocore event hook.

Stores N campaigns in emulated DynamoDB (in-process; batch writes, since only reads are measured)
and lists them as the API does, unfiltered and filtered, at several offsets. Target: items read
<= offset + limit + 2 at every size; `total` comes from a counter, never from counting items.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moto import mock_aws

import tests.conftest  # noqa: F401 - the offline test environment: emulated AWS, never a real account
from panelist import aws, storage
from panelist.campaigns import campaign_item, campaign_lists, list_campaigns
from panelist.models.campaigns import Campaign, CampaignStatus
from panelist.models.common import new_id, now
from panelist.settings import get_settings
from panelist.storage import counter_op, org_pk, serialize
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
    client = aws.client("dynamodb")
    for start in range(0, len(campaigns), 25):
        requests = [{"PutRequest": {"Item": serialize(campaign_item(c))}} for c in campaigns[start : start + 25]]
        client.batch_write_item(RequestItems={get_settings().table: requests})
    counts = Counter(name for c in campaigns for name in campaign_lists(c, c.status))
    storage.table().transact(*(counter_op(org_pk(ORG), f"LIST#{name}", n) for name, n in counts.items()))


def main() -> int:
    read = [0]
    worst = 0.0
    with mock_aws():
        aws.reset()
        provision(Template.load(ROOT / "template.yaml", {"Stage": "test"}, local=True))
        aws.client("dynamodb").meta.events.register(
            "after-call.dynamodb.Query",
            lambda parsed, **_: read.__setitem__(0, read[0] + parsed.get("ScannedCount", 0)),
        )
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
    print(f"list reads: worst {worst:.2f} of the bound offset + limit + 2 ({'ok' if worst <= 1 else 'OVER'})")
    return 0 if worst <= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
