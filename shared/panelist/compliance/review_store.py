"""The only writer of the human reviews of sessions: `REVIEW#<session id>#<time>#<review id>` in the organization's
partition, oldest first (a session's reviews are listed newest first by querying backwards)."""

from __future__ import annotations

from typing import Any

from panelist.core.storage import Item, org_pk, put_op, table
from panelist.models.reviews import Review

PREFIX = "REVIEW#"


def review_sk(review: Review) -> str:
    return f"{PREFIX}{review.session_id}#{review.created_at.isoformat()}#{review.id}"


def review_item(review: Review) -> Item:
    return {"PK": org_pk(review.organization_id), "SK": review_sk(review), "type": "Review"} | review.model_dump(
        mode="json"
    )


def review_op(review: Review) -> dict[str, Any]:
    """The review as a transaction item (the session's decision and the audit entry go in the same write)."""
    return put_op(review_item(review), unique=True)


def _session_prefix(session_id: str) -> str:
    return f"{PREFIX}{session_id}#"


def list_reviews(organization_id: str, session_id: str, *, offset: int, limit: int) -> list[Review]:
    """A session's reviews, newest first."""
    items = table().query_offset(
        org_pk(organization_id), prefix=_session_prefix(session_id), offset=offset, limit=limit, forward=False
    )
    return [Review.model_validate(i) for i in items]


def count_reviews(organization_id: str, session_id: str) -> int:
    return table().count(org_pk(organization_id), prefix=_session_prefix(session_id))
