"""The reports domain's items, and the only module that writes them: shared report links and stored exports.

A share is the item `SHARE#<session id>#<share id>` in the organization's partition (the share id is a
UUIDv7, so one descending Query lists a response's shares newest first). It expires from the table (`ttl`)
RETENTION after its link does. The rules (who may share, for how long, what a view keeps) are
`panelist.reports.shares`'; this module maps items to `ReportShare` and back and applies the writes.

A report file stored in the bucket under a key that names no session (a `/job-interview-pdf` PDF, of one
result or of up to 50 combined) is indexed under every session it holds: `EXPORT#<session id>#<export id>`,
naming the key and all the export's sessions. Erasing any one of its candidates finds it with one Query per
session (`exports_of`) and deletes the file and every index item of it (`forget_exports`). An export the
bucket's lifecycle expires (`exports/`) leaves the table EXPIRING_RETENTION after it was made; a kept one
(`store_file`) stays indexed as long as the file is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from panelist.core.observability import logger
from panelist.core.storage import ConditionFailed, Item, delete_op, org_pk, put_op, table
from panelist.models.reports import ReportShare, ShareView

PREFIX = "SHARE#"
EXPORT_PREFIX = "EXPORT#"
EXPIRING_RETENTION = timedelta(days=8)  # the bucket's lifecycle deletes exports/ after 7 days
TRANSACTION_ITEMS = 100
RETENTION = timedelta(days=90)
VIEW_ATTEMPTS = 5  # optimistic writes of a view before it is only counted
_NOT_REVOKED = "attribute_exists(PK) AND (attribute_not_exists(revoked_at) OR attribute_type(revoked_at, :null))"


def share_sk(session_id: str, share_id: str) -> str:
    return f"{PREFIX}{session_id}#{share_id}"


def share_item(share: ReportShare) -> Item:
    """The item a share is stored as."""
    return {
        "PK": org_pk(share.organization_id),
        "SK": share_sk(share.session_id, share.share_id),
        "type": "ReportShare",
        "ttl": int((share.expires_at + RETENTION).timestamp()),
        **share.model_dump(mode="json", exclude_none=True),
    }


def share_of(item: dict[str, Any]) -> ReportShare:
    return ReportShare.model_validate(item)


def put_share(share: ReportShare) -> None:
    """Store a new share (never over another one)."""
    table().put(share_item(share), unique=True)


def get_share(organization_id: str, session_id: str, share_id: str) -> ReportShare | None:
    item = table().get(org_pk(organization_id), share_sk(session_id, share_id))
    return share_of(item) if item else None


def shares_of(organization_id: str, session_id: str, *, limit: int) -> list[ReportShare]:
    """A session's latest `limit` shares, newest first, in one Query."""
    page = table().query(org_pk(organization_id), prefix=f"{PREFIX}{session_id}#", limit=limit, forward=False)
    return [share_of(item) for item in page.items]


def revoke_share(organization_id: str, session_id: str, share_id: str, at: datetime) -> ReportShare | None:
    """Mark a share revoked `at`; one revoked already is returned unchanged, and None when there is no such share."""
    pk, sk = org_pk(organization_id), share_sk(session_id, share_id)
    try:
        item = table().update(pk, sk, "SET revoked_at = :now", condition=_NOT_REVOKED, now=at.isoformat(), null="NULL")
    except ConditionFailed:
        return get_share(organization_id, session_id, share_id)
    return share_of(item)


def add_view(share: ReportShare, view: ShareView, *, keep: int) -> None:
    """Count a view and keep it among the share's latest `keep` views.

    An optimistic write on `view_count`, read again and retried on a race; still racing after VIEW_ATTEMPTS,
    the view is only counted (the count stays exact, the list of latest views leaves it out).
    """
    pk, sk = org_pk(share.organization_id), share_sk(share.session_id, share.share_id)
    current: ReportShare | None = share
    for _ in range(VIEW_ATTEMPTS):
        if current is None:
            return
        views = [v.model_dump() for v in [*current.views, view][-keep:]]
        try:
            table().update(
                pk,
                sk,
                "SET #views = :views, view_count = :next",
                condition="view_count = :seen",
                names={"#views": "views"},
                views=views,
                next=current.view_count + 1,
                seen=current.view_count,
            )
            return
        except ConditionFailed:
            current = get_share(share.organization_id, share.session_id, share.share_id)
    logger.warning("share view kept out of the latest views after repeated races", extra={"share_id": share.share_id})
    table().update(pk, sk, "ADD view_count :one", condition="attribute_exists(PK)", one=1)


# ------------------------------------------------------------------ stored exports


@dataclass(frozen=True)
class StoredExport:
    """A report file in the bucket and every session whose result it holds."""

    organization_id: str
    export_id: str
    key: str
    session_ids: tuple[str, ...]


def export_sk(session_id: str, export_id: str) -> str:
    return f"{EXPORT_PREFIX}{session_id}#{export_id}"


def record_export(export: StoredExport, *, created_at: datetime, expires_at: datetime | None) -> None:
    """Index an export under each of its sessions; before its file is written, so no file goes unindexed.

    `expires_at`: when the bucket deletes the file by itself (the index follows EXPIRING_RETENTION later), or
    None for a file kept until deleted.
    """
    pk = org_pk(export.organization_id)
    fields: Item = {
        "type": "ReportExport",
        "export_id": export.export_id,
        "key": export.key,
        "session_ids": list(export.session_ids),
        "created_at": created_at.isoformat(),
    }
    if expires_at is not None:
        fields["ttl"] = int((expires_at + EXPIRING_RETENTION).timestamp())
    ops = [put_op({"PK": pk, "SK": export_sk(sid, export.export_id), **fields}) for sid in export.session_ids]
    for start in range(0, len(ops), TRANSACTION_ITEMS):
        table().transact(*ops[start : start + TRANSACTION_ITEMS])


def exports_of(organization_id: str, session_id: str) -> list[StoredExport]:
    """Every stored export that holds the session's result (one Query, paged)."""
    found: list[StoredExport] = []
    partition, cursor = org_pk(organization_id), None
    while True:
        page = table().query(partition, prefix=f"{EXPORT_PREFIX}{session_id}#", limit=100, cursor=cursor)
        found += [
            StoredExport(organization_id, str(i["export_id"]), str(i["key"]), tuple(map(str, i["session_ids"])))
            for i in page.items
        ]
        if not (cursor := page.cursor):
            return found


def forget_exports(exports: Sequence[StoredExport]) -> None:
    """Delete every index item of these exports (their files are gone), under each session they held."""
    keys = {
        (org_pk(export.organization_id), export_sk(session_id, export.export_id))
        for export in exports
        for session_id in export.session_ids
    }
    ops = [delete_op(pk, sk) for pk, sk in sorted(keys)]
    for start in range(0, len(ops), TRANSACTION_ITEMS):
        table().transact(*ops[start : start + TRANSACTION_ITEMS])
