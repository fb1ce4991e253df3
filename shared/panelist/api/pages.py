"""Server-rendered pages for candidates (Jinja2, autoescaped): what a link in an email opens."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from panelist.candidates.campaigns import open_invite
from panelist.candidates.store import get_campaign
from panelist.core.errors import PanelistError
from panelist.interviews.store import get_interview
from panelist.sessions.flow import invite_context

HTML = "text/html; charset=utf-8"
_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("panelist", "templates/pages"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, status: int = 200, **context: Any) -> Response[str]:
    body = _templates().get_template(template).render(**context)
    return Response(status_code=status, content_type=HTML, body=body, headers=dict(_HEADERS))


# Pages behind a link that is itself the credential (shared reports, report files): never indexed either.
_LINK_HEADERS = {**_HEADERS, "X-Robots-Tag": "noindex, nofollow"}
_LINK_TITLES = {
    403: "This link is not valid",
    404: "This link does not work",
    410: "This link has expired",
}


def link_error(exc: PanelistError, *, title: str | None = None) -> Response[str]:
    """A plain page for a shared report or report file link that cannot be opened, saying why."""
    body = (
        _templates()
        .get_template("link_error.html.j2")
        .render(title=title or _LINK_TITLES.get(exc.status, "Something went wrong"), exc=exc)
    )
    return Response(status_code=exc.status, content_type=HTML, body=body, headers=dict(_LINK_HEADERS))


def link_document(document: str) -> Response[str]:
    """A complete HTML document (a shared report) opened through a link, with the link pages' headers."""
    return Response(status_code=200, content_type=HTML, body=document, headers=dict(_LINK_HEADERS))


_TITLES = {404: "This link does not work", 410: "This link has expired", 409: "This link has been used"}


def error(exc: PanelistError) -> Response[str]:
    """A plain page saying what happened, with the error's status."""
    return render("error.html.j2", exc.status, title=_TITLES.get(exc.status, "Something went wrong"), exc=exc)


def invite(token: str, *, problem: PanelistError | None = None, form: dict[str, Any] | None = None) -> Response[str]:
    """The page an invite link opens: marks the invite opened and shows what the interview is.

    It holds the start form (consent, a name when the candidate is unknown), or a link back into a session
    in progress; after a refused start it shows the form again (`problem`, the fields sent) with its status.
    """
    try:
        opened = open_invite(token)
        campaign = get_campaign(opened.organization_id, opened.campaign_id)
        interview = get_interview(opened.organization_id, campaign.script_id)
        start = invite_context(opened)
    except PanelistError as exc:
        return error(exc)
    return render(
        "invite.html.j2",
        problem.status if problem else 200,
        invite=opened,
        interview=interview,
        start_url=f"/interview/{token}/start",
        problem=problem,
        form=form or {},
        **start,
    )


def link_page(template: str, **context: Any) -> Response[str]:
    """A page opened through a link that is itself the credential (JobMojito's interview pages), never indexed."""
    body = _templates().get_template(template).render(**context)
    return Response(status_code=200, content_type=HTML, body=body, headers=dict(_LINK_HEADERS))
