"""What a report's file link opens (public `GET /reports/files/{token}`): the file as it is now, or why not.

The link (`panelist.reports.links`) names the organization, the session and the file; this turns it into a
redirect to a fresh presigned GET, OPEN_SECONDS long. A link made for a shared report page names its share
too, and opens only while that share does.
"""

from __future__ import annotations

import re

from panelist.candidates.store import get_candidate
from panelist.core import aws
from panelist.core.errors import Forbidden, Gone, NotFound
from panelist.core.settings import get_settings
from panelist.core.signing import link_claims
from panelist.models.candidates import Candidate, FileType
from panelist.models.sessions import Session
from panelist.reports.links import ANSWER, AUDIENCE, valid_kind
from panelist.reports.shares import open_share_of
from panelist.sessions.store import get_session

OPEN_SECONDS = 300  # the presigned GET a link redirects to: long enough to start a download or a stream


def _file_key(session: Session, candidate: Candidate, kind: str) -> str | None:
    """The S3 key of `kind` as the session and candidate are now (None: there is no such file)."""
    if kind in (FileType.resume.value, FileType.cover_letter.value):
        found = [f for f in candidate.files if f.type.value == kind]
        return found[-1].key if found else None
    if kind == "session_recording":
        return session.recording_key or session.audio_key
    if kind == "video_introduction":
        return session.intro_video_key
    question_id = kind.removeprefix(ANSWER)
    return next((a.audio_key for a in session.answers if a.question_id == question_id and a.audio_key), None)


def _disposition(candidate: Candidate, kind: str) -> str | None:
    names = [f.name for f in candidate.files if f.type.value == kind]
    if not names:
        return None
    safe = re.sub(r"[^A-Za-z0-9._ -]", "_", names[-1])[:100] or "file"
    return f'inline; filename="{safe}"'


def file_location(token: str) -> str:
    """Where a report's file link leads now: a fresh presigned GET (with `#page=N`), or why it cannot.

    Forbidden for a token that is not ours; Gone when it expired or the candidate was erased; NotFound
    when the session or the file is no longer there.
    """
    invalid = "this file link is not valid; it may be incomplete or mistyped"
    claims = link_claims(
        token,
        audience=AUDIENCE,
        required=("org", "ses", "kind"),
        expired="this file link has expired; open the report again for a fresh one",
        invalid=invalid,
    )
    organization_id, session_id, kind = claims["org"], claims["ses"], claims["kind"]
    page = claims.get("page")
    if not valid_kind(kind) or not (page is None or (isinstance(page, int) and page >= 1)):
        raise Forbidden(invalid)
    share_id = claims.get("shr")
    if share_id is not None:
        open_share_of(organization_id, session_id, str(share_id))
    try:
        session = get_session(organization_id, session_id)
        candidate = get_candidate(organization_id, session.candidate_id)
    except NotFound:
        raise NotFound("the interview this file belongs to no longer exists") from None
    if candidate.erased_at is not None:
        raise Gone("the candidate's data has been erased, and this file with it")
    key = _file_key(session, candidate, kind)
    if not key:
        raise NotFound("this file is not available")
    params = {"Bucket": get_settings().bucket, "Key": key}
    disposition = _disposition(candidate, kind)
    if disposition:
        params["ResponseContentDisposition"] = disposition
    url = str(aws.client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=OPEN_SECONDS))
    return f"{url}#page={page}" if page is not None else url
