"""Shared report links (Xobin `POST /ai-interviews/report/{response_id}/share`): create, list, revoke, open.

A share's link carries a JWT (audience `report-share`) naming only the organization, the session and the
share, expiring with the share; the page checks the share itself too, so a revoked share stops working at
once. Shares are stored by `panelist.reports.store` (`SHARE#<session id>#<share id>`).

Every view is recorded in the share: `view_count` counts them all and `views` keeps the latest
MAX_VIEWS_KEPT (time, a hash of the IP keyed by the share's own random salt, the user agent cut to
USER_AGENT_MAX characters), so a share never grows past a few kilobytes however often the link is opened.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from aws_lambda_powertools.event_handler import Response
from markupsafe import Markup

from panelist.api import pages
from panelist.compliance import audit
from panelist.core import times
from panelist.core.errors import Forbidden, Gone, NotFound, PanelistError
from panelist.core.observability import logger
from panelist.core.signing import key_ring, link_claims, sign
from panelist.interviews.store import interview_for
from panelist.models.common import new_id, now
from panelist.models.compliance import AuditAction
from panelist.models.reports import ReportShare, ReportShareOut, ReportSharesOut, ShareOut, ShareStatus, ShareView
from panelist.reports import store
from panelist.sessions.store import get_session, get_session_by_number

AUDIENCE = "report-share"
SHARED_PATH = "/interviews/ai/report/shared/"
MAX_VIEWS_KEPT = 20
USER_AGENT_MAX = 256
MAX_LISTED = 100
_SHARE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ShareRevoked(Forbidden):
    pass


def status(share: ReportShare, at: datetime | None = None) -> ShareStatus:
    if share.revoked_at is not None:
        return ShareStatus.revoked
    if (at or now()) >= share.expires_at:
        return ShareStatus.expired
    return ShareStatus.active


def share_out(share: ReportShare) -> ReportShareOut:
    return ReportShareOut(
        share_id=share.share_id,
        created_at=times.naive_micros(share.created_at),
        expires_at=times.naive_micros(share.expires_at),
        expiration_hours=share.expiration_hours,
        status=status(share),
        revoked_at=times.naive_micros(share.revoked_at) if share.revoked_at else None,
        view_count=share.view_count,
        views=list(reversed(share.views)),
    )


# ------------------------------------------------------------------ the API key routes


def create_share(
    organization_id: str, response_id: int, hours: int | float, *, base_url: str, actor: str | None = None
) -> ShareOut:
    """A new link to the report of `response_id`, valid `hours`; NotFound for another organization's response.
    With `actor`, the share is audited (`report.shared`)."""
    session = get_session_by_number(organization_id, response_id)
    interview = interview_for(session)
    share_id = new_id()
    claims = {"org": organization_id, "ses": session.id, "shr": share_id}
    created = now()
    expires = created + timedelta(hours=hours)
    # The token outlives the share by under a second (its times are whole seconds); the share decides.
    token, _ = sign(claims, audience=AUDIENCE, ttl=timedelta(hours=hours, seconds=1))
    store.put_share(
        ReportShare(
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
    )
    if actor is not None:
        audit.record(
            organization_id,
            session.candidate_id,
            AuditAction.report_shared,
            actor,
            session_id=session.id,
            share_id=share_id,
            expiration_hours=hours,
        )
    return ShareOut(
        signed_url=f"{base_url.rstrip('/')}{SHARED_PATH}{token}",
        expires_at=times.naive_micros(expires),
        expiration_hours=hours,
        response_id=session.number,
        ai_interview_id=interview.number,
    )


def list_shares(organization_id: str, response_id: int) -> ReportSharesOut:
    """The response's links, newest first (the latest MAX_LISTED, in one Query)."""
    session = get_session_by_number(organization_id, response_id)
    return ReportSharesOut(
        shares=[share_out(s) for s in store.shares_of(organization_id, session.id, limit=MAX_LISTED)]
    )


def revoke_share(organization_id: str, response_id: int, share_id: str) -> ReportShareOut:
    """Revoke a link (again: unchanged); NotFound for a share that is not this response's."""
    session = get_session_by_number(organization_id, response_id)
    revoked = store.revoke_share(organization_id, session.id, share_id, now()) if _SHARE_ID.match(share_id) else None
    if revoked is None:
        raise NotFound("share not found", field="share_id")
    return share_out(revoked)


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
    share = store.get_share(organization_id, session_id, share_id)
    if share is None:
        raise Forbidden("this link is not a valid shared report link")
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
    key = hmac.new(key_ring().ip_hash_key.encode(), bytes.fromhex(share.ip_salt), hashlib.sha256).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


def record_view(share: ReportShare, *, ip: str, user_agent: str, at: datetime | None = None) -> None:
    """Count a view and keep it among the latest MAX_VIEWS_KEPT."""
    view = ShareView(
        viewed_at=times.naive_micros(at or now()),
        ip_hash=ip_hash(share, ip),
        user_agent=user_agent[:USER_AGENT_MAX],
    )
    store.add_view(share, view, keep=MAX_VIEWS_KEPT)


BANNER = "This report was shared with you until %(time)s."
# A style element, not a style attribute: the page's Content-Security-Policy names it by its hash, and a
# style attribute would need 'unsafe-hashes'.
_BANNER_HTML = Markup(
    "<style>.shared-banner{{background:#fff8e1;border-bottom:1px solid #f0d58c;color:#5c4400;"
    "font:14px/1.4 -apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;padding:8px 16px;text-align:center}}"
    '</style><div role="note" class="shared-banner">{}</div>'
)


def banner_text(expires_at: datetime, language: str) -> str:
    """The notice in the report's language (the report catalogs' label); English if that fails."""
    from panelist.reports import i18n

    try:
        return i18n.translations(language).gettext(BANNER) % {"time": i18n.format_datetime(expires_at, language)}
    except Exception:  # a label must never cost the viewer the report
        logger.exception("shared report banner fell back to English", extra={"language": language})
        return BANNER % {"time": times.readable(expires_at)}


def shared_page(token: str, *, ip: str, user_agent: str, base_url: str) -> Response[str]:
    """What a shared link opens: the report while the share is valid (the view recorded), else a plain page.

    The report says at the top of its body until when it is shared.
    """
    # The rendering stack, only for the page that needs it (it never imports this module back).
    from panelist.reports.html import insert_at_body_start
    from panelist.reports.links import ShareScope
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
    audit.record(
        share.organization_id,
        session.candidate_id,
        AuditAction.shared_report_viewed,
        f"link:{share.share_id}",
        session_id=session.id,
    )
    notice = _BANNER_HTML.format(banner_text(share.expires_at, session.language))
    return pages.link_document(insert_at_body_start(document, notice))
