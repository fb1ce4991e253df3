"""The only writer of the compliance items: an organization's hiring settings (`HIRINGSETTINGS`) and its audit
log (`AUDIT#<candidate id>#<time>#<id>`, newest last, expiring through the table's `ttl`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from panelist.core.storage import Item, delete_op, org_pk, put_op, serialize, table
from panelist.models.compliance import AuditEntry, HiringSettings

SETTINGS_SK = "HIRINGSETTINGS"
AUDIT_PREFIX = "AUDIT#"
AUDIT_RETENTION = timedelta(days=730)  # LL144 and the EU AI Act ask for at least 6 months; two years are kept
RETENTION_INDEX_PK = "RETENTIONPOLICIES"  # an item per organization with a retention policy (SK: its id)
RETENTION_CURSOR_SK = "RETENTIONCURSOR"  # where the retention job stopped in each of the organization's lists


# ------------------------------------------------------------------ hiring settings


def find_settings(organization_id: str) -> HiringSettings | None:
    item = table().get(org_pk(organization_id), SETTINGS_SK)
    return HiringSettings.model_validate(item) if item else None


def put_settings(settings: HiringSettings, *, read_revision: int | None) -> None:
    """Write the settings (their `revision` one past `read_revision`, None: none were stored); ConditionFailed when
    another change landed since they were read."""
    item = {"PK": org_pk(settings.organization_id), "SK": SETTINGS_SK, "type": "HiringSettings"}
    item |= settings.model_dump(mode="json")
    if read_revision is None:
        table().transact(put_op(item, unique=True), _retention_index_op(settings))
    else:
        op = put_op(item, condition="revision = :seen")
        op["Put"]["ExpressionAttributeValues"] = serialize({":seen": read_revision})
        table().transact(op, _retention_index_op(settings))


# ------------------------------------------------------------------ retention (panelist.compliance.retention)


def _retention_index_op(settings: HiringSettings) -> dict[str, Any]:
    """The organization in the index of those with a retention policy while it has one, out of it otherwise."""
    policy = settings.retention
    if any(days is not None for days in (policy.recordings_days, policy.transcripts_days, policy.results_days)):
        item = {"PK": RETENTION_INDEX_PK, "SK": settings.organization_id, "type": "RetentionPolicyIndex"}
        return put_op(item | {"organization_id": settings.organization_id})
    return delete_op(RETENTION_INDEX_PK, settings.organization_id)


def organizations_with_retention(cursor: str | None, *, limit: int = 100) -> tuple[list[str], str | None]:
    """A page of the organizations that have a retention policy (their ids) and the next page's cursor."""
    page = table().query(RETENTION_INDEX_PK, limit=limit, cursor=cursor)
    return [str(item["organization_id"]) for item in page.items], page.cursor


def find_retention_cursors(organization_id: str) -> dict[str, Any]:
    item = table().get(org_pk(organization_id), RETENTION_CURSOR_SK)
    return dict(item.get("cursors") or {}) if item else {}


def put_retention_cursors(organization_id: str, cursors: dict[str, Any]) -> None:
    pk = org_pk(organization_id)
    table().put({"PK": pk, "SK": RETENTION_CURSOR_SK, "type": "RetentionCursors", "cursors": cursors})


# ------------------------------------------------------------------ audit log


def audit_sk(entry: AuditEntry) -> str:
    return f"{AUDIT_PREFIX}{entry.candidate_id}#{entry.at.isoformat()}#{entry.id}"


def audit_item(entry: AuditEntry) -> Item:
    return {
        "PK": org_pk(entry.organization_id),
        "SK": audit_sk(entry),
        "type": "AuditEntry",
        "ttl": int((entry.at + AUDIT_RETENTION).timestamp()),
        **entry.model_dump(mode="json"),
    }


def audit_op(entry: AuditEntry) -> dict[str, Any]:
    """The entry as a transaction item, for a change audited in the same write."""
    return put_op(audit_item(entry), unique=True)


def insert_audit(entry: AuditEntry) -> None:
    table().put(audit_item(entry), unique=True)


def list_audit(organization_id: str, candidate_id: str, *, offset: int, limit: int) -> list[AuditEntry]:
    """A candidate's audit entries, newest first."""
    items = table().query_offset(
        org_pk(organization_id), prefix=f"{AUDIT_PREFIX}{candidate_id}#", offset=offset, limit=limit, forward=False
    )
    return [AuditEntry.model_validate(i) for i in items]


def count_audit(organization_id: str, candidate_id: str) -> int:
    return table().count(org_pk(organization_id), prefix=f"{AUDIT_PREFIX}{candidate_id}#")
