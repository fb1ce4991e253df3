"""The only writer of candidates' voluntary self-identification (sex, race/ethnicity) for the bias audit.

**The one exception to the tenancy rule of `panelist.core.storage`** ("every tenant item lives under ORG#"):
these items live under their own partition, `PK = SELFID#<organization id>`, `SK = SELFID#<session id>`. They are
still one organization's (the organization id is in the partition key, so no query crosses tenants), but no
`ORG#` key reaches them: template.yaml's `SelfIdentificationDenyPolicy` refuses every DynamoDB action on
`SELFID#*` leading keys to the functions that compute or show scores (the analysis, the answers, the results and
reports), so what a candidate declared can never reach the scorer. Only the two routes that record it
(`POST /interview/session/{token}/self-identification`, `PUT /api/sessions/{id}/self-identification`), the impact
report (counts only) and the erasure of a candidate (`erase_for_sessions`) read or write them.
"""

from __future__ import annotations

from collections.abc import Iterable

from panelist.core.storage import delete_op, table
from panelist.models.impact import SelfIdentification

PREFIX = "SELFID#"


def partition(organization_id: str) -> str:
    return f"{PREFIX}{organization_id}"


def sort_key(session_id: str) -> str:
    return f"{PREFIX}{session_id}"


def put(record: SelfIdentification) -> None:
    """Store (or replace) a session's self-identification."""
    item = {"PK": partition(record.organization_id), "SK": sort_key(record.session_id), "type": "SelfIdentification"}
    table().put(item | record.model_dump(mode="json"))


def find(organization_id: str, session_id: str) -> SelfIdentification | None:
    item = table().get(partition(organization_id), sort_key(session_id))
    return SelfIdentification.model_validate(item) if item else None


def for_sessions(organization_id: str, session_ids: Iterable[str]) -> dict[str, SelfIdentification]:
    """The self-identification of each of these sessions that has one (BatchGetItem), by session id."""
    ids = list(dict.fromkeys(session_ids))
    items = table().get_many([(partition(organization_id), sort_key(i)) for i in ids])
    return {i: SelfIdentification.model_validate(item) for i, item in zip(ids, items, strict=True) if item}


def erase_for_sessions(organization_id: str, session_ids: Iterable[str]) -> int:
    """Delete the self-identification of these sessions (a candidate's erasure); how many there were."""
    found = for_sessions(organization_id, session_ids)
    ops = [delete_op(partition(organization_id), sort_key(i)) for i in found]
    for start in range(0, len(ops), 100):
        table().transact(*ops[start : start + 100])
    return len(found)
