"""Links to a candidate's files and recordings inside reports. SKELETON: interface fixed, body by the shares work.

A report (PDF or HTML, possibly cached for days) never embeds an S3 presigned URL, which dies with the
credentials that signed it. It links to `{base_url}/reports/files/{token}` instead: a JWT (audience
`report-file`) naming the organization, the session and the file, valid LINK_TTL, that the public route
`GET /reports/files/{token}` turns into a redirect to a fresh presigned GET of the file as it is now
(so an erased candidate's files are gone, whatever link is out there).
"""

from __future__ import annotations

from datetime import datetime, timedelta

LINK_TTL = timedelta(days=30)
AUDIENCE = "report-file"


def file_link(
    organization_id: str, session_id: str, kind: str, *, base_url: str, page: int | None = None
) -> tuple[str, datetime]:
    """The report's link to one file and when it expires.

    kind: "resume", "cover_letter", "session_recording", "video_introduction", or "answer:<question_id>"
    (that answer's recording). `page` (1-based) opens a document at that page (`#page=N`).
    """
    raise NotImplementedError
