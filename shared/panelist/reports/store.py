"""The reports domain's items, and the only module that writes them: shared report links.

A share is the item `SHARE#<session id>#<share id>` in the organization's partition (the share id is a
UUIDv7, so one descending Query lists a response's shares newest first). It expires from the table (`ttl`)
RETENTION after its link does. The rules (who may share, for how long, what a view keeps) are
`panelist.reports.shares`'; this module maps items to `ReportShare` and back and applies the writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from panelist.core.observability import logger
from panelist.core.storage import ConditionFailed, Item, org_pk, table
from panelist.models.reports import ReportShare, ShareView

PREFIX = "SHARE#"
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
