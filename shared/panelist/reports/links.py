"""Links to a candidate's files and recordings inside reports.

A report (PDF or HTML, possibly cached for days) never embeds an S3 presigned URL, which dies with the
credentials that signed it. It links to `{base_url}/reports/files/{token}` instead: a JWT (audience
`report-file`) naming the organization, the session and the file, valid LINK_TTL, that the public route
`GET /reports/files/{token}` (`panelist.reports.files`) turns into a redirect to a fresh presigned GET of
the file as it is now (so an erased candidate's files are gone, whatever link is out there).

Making a link needs only signing: nothing here imports another part of `panelist.reports`, so the renderer
(`result`) can make links and `shares` can render without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from panelist.core.signing import sign
from panelist.models.common import now

LINK_TTL = timedelta(days=30)
AUDIENCE = "report-file"
FILES_PATH = "/reports/files/"
ANSWER = "answer:"
KINDS = ("resume", "cover_letter", "session_recording", "video_introduction")


@dataclass(frozen=True)
class ShareScope:
    """Links made for a shared report page: they work only while that share is open, and no longer."""

    share_id: str
    expires_at: datetime


def valid_kind(kind: str) -> bool:
    return kind in KINDS or (kind.startswith(ANSWER) and len(kind) > len(ANSWER))


def file_link(
    organization_id: str,
    session_id: str,
    kind: str,
    *,
    base_url: str,
    page: int | None = None,
    within: ShareScope | None = None,
) -> tuple[str, datetime]:
    """The report's link to one file and when it expires.

    kind: "resume", "cover_letter", "session_recording", "video_introduction", or "answer:<question_id>"
    (that answer's recording). `page` (1-based) opens a document at that page (`#page=N`). A link made
    `within` a share expires with it and stops working when it is revoked.
    """
    if not valid_kind(kind):
        raise ValueError(f"unknown file kind {kind!r}")
    if page is not None and page < 1:
        raise ValueError("page is 1-based")
    claims: dict[str, str | int] = {"org": organization_id, "ses": session_id, "kind": kind}
    if page is not None:
        claims["page"] = page
    ttl = LINK_TTL
    if within is not None:
        claims["shr"] = within.share_id
        ttl = min(ttl, within.expires_at - now() + timedelta(seconds=1))
    token, expires = sign(claims, audience=AUDIENCE, ttl=ttl)
    return f"{base_url.rstrip('/')}{FILES_PATH}{token}", expires
