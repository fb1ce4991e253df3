"""Shared report links (Xobin `POST /ai-interviews/report/{response_id}/share`): create, list, revoke, open.

A share is an item `SHARE#<session id>#<share id>` in the organization's partition (the share id is a
UUIDv7, so one descending Query lists a response's shares newest first). Its link carries a JWT (audience
`report-share`) naming only the organization, the session and the share, expiring with the share; the
page checks the item too, so a revoked share stops working at once. Items expire from the table
(`ttl`) RETENTION after their links do.

Every view is recorded in the share item: `view_count` counts them all and `views` keeps the latest
MAX_VIEWS_KEPT (time, a hash of the IP keyed by the share's own random salt, the user agent cut to
USER_AGENT_MAX characters), so an item never grows past a few kilobytes however often the link is opened.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.event_handler import Response
from markupsafe import escape

from panelist.api import pages
from panelist.core.errors import BadRequest, Forbidden, Gone, NotFound, PanelistError
from panelist.core.observability import logger
from panelist.core.signing import key_ring, link_claims, sign
from panelist.core.storage import ConditionFailed, org_pk, table
from panelist.interviews.store import get_interview
from panelist.models.common import new_id, now
from panelist.models.reports import (
    ReportOption,
    ReportShare,
    ReportShareOut,
    ReportSharesOut,
    ShareOut,
    ShareStatus,
    ShareView,
)
from panelist.sessions.store import get_session, get_session_by_number

AUDIENCE = "report-share"
PREFIX = "SHARE#"
SHARED_PATH = "/interviews/ai/report/shared/"
MIN_HOURS = 1 / 60
MAX_HOURS = 24.0
DEFAULT_HOURS = 1
EXPIRATION_ERROR = "expiration_hours must be between 1 minute and 24 hours"
MAX_VIEWS_KEPT = 20
USER_AGENT_MAX = 256
MAX_LISTED = 100
RETENTION = timedelta(days=90)
_RECORD_ATTEMPTS = 5
_NOT_REVOKED = "attribute_exists(PK) AND (attribute_not_exists(revoked_at) OR attribute_type(revoked_at, :null))"
_SHARE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ShareRevoked(Forbidden):
    pass


# ------------------------------------------------------------------ request parts


def wire_time(moment: datetime) -> str:
    """Naive UTC ISO 8601 with microseconds ("2025-07-09T12:46:33.163639"), as Xobin's examples."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def parse_response_id(value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,15}", value):
        raise BadRequest("response_id must be an integer", field="response_id", expected="integer")
    return int(value)


def parse_option(value: str) -> ReportOption:
    try:
        return ReportOption(value)
    except ValueError:
        allowed = ", ".join(option.value for option in ReportOption)
        raise BadRequest(f"option must be one of: {allowed}", field="option", expected=allowed) from None


def expiration_hours(body: str | None) -> int | float:
    """`expiration_hours` of a share request's body: a JSON number in [1/60, 24]; 1 when absent.

    The resolver has already refused a body that is not a JSON object. Python's json reads NaN and
    Infinity, which are refused here with strings, null and booleans.
    """
    parsed: Any = json.loads(body) if body else {}
    if not isinstance(parsed, dict):
        return DEFAULT_HOURS
    unknown = sorted(set(parsed) - {"expiration_hours"})
    if unknown:  # a misspelt field would otherwise share for the default hour without a word
        raise BadRequest(f"Unknown field {unknown[0]}: the body takes only expiration_hours", field=unknown[0])
    if "expiration_hours" not in parsed:
        return DEFAULT_HOURS
    value = parsed["expiration_hours"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequest(EXPIRATION_ERROR, field="expiration_hours", expected="a number from 1/60 to 24")
    if not MIN_HOURS <= value <= MAX_HOURS:
        raise BadRequest(EXPIRATION_ERROR, field="expiration_hours", expected="a number from 1/60 to 24")
    return value  # echoed as sent: 2 stays 2, as the seed's example shows 1


# ------------------------------------------------------------------ storage


def share_sk(session_id: str, share_id: str) -> str:
    return f"{PREFIX}{session_id}#{share_id}"


def _item(share: ReportShare) -> dict[str, Any]:
    return {
        "PK": org_pk(share.organization_id),
        "SK": share_sk(share.session_id, share.share_id),
        "type": "ReportShare",
        "ttl": int((share.expires_at + RETENTION).timestamp()),
        **share.model_dump(mode="json", exclude_none=True),
    }


def _share(item: dict[str, Any]) -> ReportShare:
    return ReportShare.model_validate(item)


def status(share: ReportShare, at: datetime | None = None) -> ShareStatus:
    if share.revoked_at is not None:
        return ShareStatus.revoked
    if (at or now()) >= share.expires_at:
        return ShareStatus.expired
    return ShareStatus.active


def share_out(share: ReportShare) -> ReportShareOut:
    return ReportShareOut(
        share_id=share.share_id,
        created_at=wire_time(share.created_at),
        expires_at=wire_time(share.expires_at),
        expiration_hours=share.expiration_hours,
        status=status(share),
        revoked_at=wire_time(share.revoked_at) if share.revoked_at else None,
        view_count=share.view_count,
        views=list(reversed(share.views)),
    )


# ------------------------------------------------------------------ the API key routes


def create_share(organization_id: str, response_id: int, hours: int | float, *, base_url: str) -> ShareOut:
    """A new link to the report of `response_id`, valid `hours`; NotFound for another organization's response."""
    session = get_session_by_number(organization_id, response_id)
    interview = get_interview(organization_id, session.interview_id)
    share_id = new_id()
    claims = {"org": organization_id, "ses": session.id, "shr": share_id}
    created = now()
    expires = created + timedelta(hours=hours)
    # The token outlives the share by under a second (its times are whole seconds); the share decides.
    token, _ = sign(claims, audience=AUDIENCE, ttl=timedelta(hours=hours, seconds=1))
    share = ReportShare(
        share_id=share_id,
        organization_id=organization_id,
        session_id=session.id,
        response_id=session.number,
        ai_interview_id=interview.number,
        created_at=created,
        expires_at=expires,
        expiration_hours=hours,
        ip_salt=secrets.token_hex(16),
    )
    table().put(_item(share), unique=True)
    return ShareOut(
        signed_url=f"{base_url.rstrip('/')}{SHARED_PATH}{token}",
        expires_at=wire_time(expires),
        expiration_hours=hours,
        response_id=session.number,
        ai_interview_id=interview.number,
    )


def list_shares(organization_id: str, response_id: int) -> ReportSharesOut:
    """The response's links, newest first (the latest MAX_LISTED, in one Query)."""
    session = get_session_by_number(organization_id, response_id)
    page = table().query(org_pk(organization_id), prefix=f"{PREFIX}{session.id}#", limit=MAX_LISTED, forward=False)
    return ReportSharesOut(shares=[share_out(_share(item)) for item in page.items])


def revoke_share(organization_id: str, response_id: int, share_id: str) -> ReportShareOut:
    """Revoke a link (again: unchanged); NotFound for a share that is not this response's."""
    session = get_session_by_number(organization_id, response_id)
    if not _SHARE_ID.match(share_id):
        raise NotFound("share not found", field="share_id")
    pk, sk = org_pk(organization_id), share_sk(session.id, share_id)
    try:
        item = table().update(
            pk,
            sk,
            "SET revoked_at = :now",
            condition=_NOT_REVOKED,
            now=now().isoformat(),
            null="NULL",
        )
    except ConditionFailed:
        found = table().get(pk, sk)  # revoked already (unchanged), or no such share
        if found is None:
            raise NotFound("share not found", field="share_id") from None
        item = found
    return share_out(_share(item))


# ------------------------------------------------------------------ the shared page


def open_share(token: str) -> ReportShare:
    """The share a link's token grants, while it is valid: Gone once expired, Forbidden otherwise."""
    claims = link_claims(
        token,
        audience=AUDIENCE,
        required=("org", "ses", "shr"),
        expired="this shared report link has expired",
        invalid="this link is not a valid shared report link; it may be incomplete or mistyped",
    )
    return open_share_of(claims["org"], claims["ses"], claims["shr"])


def open_share_of(organization_id: str, session_id: str, share_id: str) -> ReportShare:
    """The share while it is open: Forbidden when unknown or revoked, Gone once expired."""
    item = table().get(org_pk(organization_id), share_sk(session_id, share_id))
    if item is None:
        raise Forbidden("this link is not a valid shared report link")
    share = _share(item)
    if share.revoked_at is not None:
        raise ShareRevoked("the person who shared this report has revoked the link")
    if now() >= share.expires_at:
        raise Gone("this shared report link has expired")
    return share


def ip_hash(share: ReportShare, ip: str) -> str:
    """The viewer's IP under a key made of a deployment secret and the share's salt.

    The same viewer is recognisable within one share only, and the table alone (which holds the salt)
    is not enough to try every IPv4 address against a hash.
    """
    key = hmac.new(key_ring().platform_admin_key.encode(), bytes.fromhex(share.ip_salt), hashlib.sha256).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


def record_view(share: ReportShare, *, ip: str, user_agent: str, at: datetime | None = None) -> None:
    """Count a view and keep it among the latest MAX_VIEWS_KEPT (an optimistic write, retried on a race)."""
    view = ShareView(
        viewed_at=wire_time(at or now()), ip_hash=ip_hash(share, ip), user_agent=user_agent[:USER_AGENT_MAX]
    )
    pk, sk = org_pk(share.organization_id), share_sk(share.session_id, share.share_id)
    current: ReportShare | None = share
    for _ in range(_RECORD_ATTEMPTS):
        if current is None:
            return
        views = [v.model_dump() for v in [*current.views, view][-MAX_VIEWS_KEPT:]]
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
            item = table().get(pk, sk)
            current = _share(item) if item else None
    # Still racing: the count stays exact, this view is left out of the latest ones.
    logger.warning("share view kept out of the latest views after repeated races", extra={"share_id": share.share_id})
    table().update(pk, sk, "ADD view_count :one", condition="attribute_exists(PK)", one=1)


BANNER = "This report was shared with you until %(time)s."


def banner_text(expires_at: datetime, language: str) -> str:
    """The notice in the report's language (the report catalogs' label); English if that fails."""
    from panelist.reports import i18n

    try:
        return i18n.translations(language).gettext(BANNER) % {"time": i18n.format_datetime(expires_at, language)}
    except Exception:  # a label must never cost the viewer the report
        logger.exception("shared report banner fell back to English", extra={"language": language})
        return BANNER % {"time": expires_at.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")}


def banner(document: str, text: str) -> str:
    """The report with a notice at the top of its body saying until when it is shared."""
    notice = (
        '<div role="note" class="shared-banner" style="background:#fff8e1;border-bottom:1px solid #f0d58c;'
        "color:#5c4400;font:14px/1.4 -apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;"
        f'padding:8px 16px;text-align:center">{escape(text)}</div>'
    )
    match = re.search(r"<body[^>]*>", document, flags=re.IGNORECASE)
    if match is None:
        return notice + document
    return document[: match.end()] + notice + document[match.end() :]


def shared_page(token: str, *, ip: str, user_agent: str, base_url: str) -> Response[str]:
    """What a shared link opens: the report while the share is valid (the view recorded), else a plain page."""
    from panelist.reports.links import ShareScope  # the rendering stack, only for the page that needs it
    from panelist.reports.result import result_html

    try:
        share = open_share(token)
        session = get_session(share.organization_id, share.session_id)
        within = ShareScope(share.share_id, share.expires_at)  # its file links die with the share
        document = result_html(share.organization_id, share.session_id, base_url=base_url, within=within)
    except PanelistError as exc:
        title = "This link has been revoked" if isinstance(exc, ShareRevoked) else None
        return pages.link_error(exc, title=title)
    record_view(share, ip=ip, user_agent=user_agent)
    return pages.link_document(banner(document, banner_text(share.expires_at, session.language)))
