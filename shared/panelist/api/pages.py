"""Server-rendered pages for candidates (Jinja2, autoescaped): what a link in an email opens.

Every page carries a strict Content-Security-Policy (`content_security_policy`): nothing loads or runs but
the page's own inline styles and script, named by a nonce drawn for each response (the templates put
`nonce="{{ csp_nonce }}"` on each `<style>` and `<script>`), or, for a complete document rendered elsewhere
(a report), by the SHA-256 hashes of its inline styles. No inline event handler or style attribute of a
template would run or apply: there are none.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from functools import cache
from html.parser import HTMLParser
from typing import Any

from aws_lambda_powertools.event_handler import Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.ext import _make_new_gettext, _make_new_ngettext

from panelist.candidates.campaigns import open_invite
from panelist.candidates.store import get_campaign
from panelist.compliance.accommodations import invite_page_context
from panelist.core.errors import PanelistError
from panelist.interviews.store import get_interview
from panelist.reports import i18n
from panelist.sessions import page_language
from panelist.sessions.flow import invite_context
from panelist.sessions.page_language import Requested

HTML = "text/html; charset=utf-8"
CSP = "Content-Security-Policy"
_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def content_security_policy(
    *,
    scripts: Iterable[str] = (),
    styles: Iterable[str] = (),
    connect: Iterable[str] = (),
    images: Iterable[str] = ("'self'",),
    media: Iterable[str] = (),
) -> str:
    """A policy that allows nothing but the sources named: `scripts` and `styles` ('nonce-…', 'sha256-…'),
    `connect` (origins the page's script may fetch from), `images` (default: the page's own origin), `media`
    (origins of audio the page plays, e.g. the interviewer's recorded voice; none by default); forms
    post only to the page's own origin, and no other site may frame the page."""
    directives = ["default-src 'none'"]
    for name, sources in (
        ("script-src", scripts),
        ("style-src", styles),
        ("connect-src", connect),
        ("media-src", media),
    ):
        if listed := " ".join(sources):
            directives.append(f"{name} {listed}")
    directives += [f"img-src {' '.join(images)}", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"]
    return "; ".join(directives)


@cache
def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("panelist", "templates/pages"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return environment


@cache
def language_context(code: str) -> dict[str, Any]:
    """What a page needs to be in a language: `_`/`gettext`/`ngettext` of the pages' catalog (new style:
    `_("Hello %(name)s", name=x)`, autoescaped), the `<html>` attributes, the language's date and number
    formats, and the translation of an error's message and title. Passed in the render context, not
    installed in the shared environment: concurrent requests in other languages never see each other's."""
    found = i18n.language(code)
    catalog = i18n.page_translations(found.code)
    gettext = _make_new_gettext(catalog.gettext)
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": _make_new_ngettext(catalog.ngettext),
        "page_lang": found.code,
        "page_dir": found.direction,
        "problem_sentence": lambda message: page_language.problem_text(str(message), catalog.gettext),
        "title_text": lambda title: page_language.title_text(str(title), catalog.gettext),
        "format_datetime": lambda moment: i18n.format_datetime(moment, found.code),
        "format_date": lambda moment: i18n.format_date(moment, found.code),
        "format_number": lambda value, digits=0: i18n.format_number(value, found.code, digits=digits),
        "format_minutes": lambda minutes: i18n.format_minutes(minutes, found.code),
    }


def _page(
    template: str,
    status: int,
    headers: Mapping[str, str],
    context: Mapping[str, Any],
    connect: Iterable[str] = (),
    media: Iterable[str] = (),
    language: str = "en",
) -> Response[str]:
    """A template rendered with a fresh nonce, and the policy that lets only what carries it run or apply;
    in `language` (a code of the 34; anything else reads in English)."""
    nonce = secrets.token_urlsafe(18)
    page = {"language_switch": [], **context, **language_context(i18n.language(language).code)}
    body = _templates().get_template(template).render(**page, csp_nonce=nonce)
    source = f"'nonce-{nonce}'"
    connect = ["'self'", *connect] if connect else []
    policy = content_security_policy(scripts=[source], styles=[source], connect=connect, media=media)
    return Response(status_code=status, content_type=HTML, body=body, headers={**headers, CSP: policy})


def render(
    template: str,
    status: int = 200,
    *,
    connect_to: Iterable[str] = (),
    media_from: Iterable[str] = (),
    language: str = "en",
    **context: Any,
) -> Response[str]:
    """A page; `connect_to`: origins besides its own that its script fetches from (where uploads go);
    `media_from`: origins of the audio it plays; `language`: the page's language."""
    return _page(template, status, _HEADERS, context, connect_to, media_from, language)


# Pages behind a link that is itself the credential (shared reports, report files): never indexed either.
_LINK_HEADERS = {**_HEADERS, "X-Robots-Tag": "noindex, nofollow"}
_LINK_TITLES = {
    403: "This link is not valid",
    404: "This link does not work",
    410: "This link has expired",
}


def link_error(exc: PanelistError, *, title: str | None = None, language: str = "en") -> Response[str]:
    """A plain page for a shared report or report file link that cannot be opened, saying why."""
    context = {"title": title or _LINK_TITLES.get(exc.status, "Something went wrong"), "exc": exc}
    return _page("link_error.html.j2", exc.status, _LINK_HEADERS, context, language=language)


class _InlineCode(HTMLParser):
    """The inline scripts, style elements and style attributes of a document, as the browser hashes them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.style_attributes: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.style_attributes += [value for name, value in attrs if name == "style" and value]
        if tag in ("script", "style"):
            self._open = self.scripts if tag == "script" else self.styles
            self._open.append("")

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._open = None


def _sha256(text: str) -> str:
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")  # as the browser's input stream has it
    return f"'sha256-{base64.b64encode(hashlib.sha256(normalized.encode()).digest()).decode()}'"


def document_policy(document: str) -> str:
    """The Content-Security-Policy of a complete document: its own inline styles and scripts, by hash.

    A style attribute applies only through 'unsafe-hashes' with its own hash: the exact attributes the
    document was rendered with, and no other.
    """
    found = _InlineCode()
    found.feed(document)
    found.close()
    styles = sorted({_sha256(style) for style in found.styles})
    if found.style_attributes:
        styles += ["'unsafe-hashes'", *sorted({_sha256(style) for style in found.style_attributes})]
    return content_security_policy(scripts=sorted({_sha256(script) for script in found.scripts}), styles=styles)


def link_document(document: str) -> Response[str]:
    """A complete HTML document (a shared report) opened through a link, with the link pages' headers."""
    headers = {**_LINK_HEADERS, CSP: document_policy(document)}
    return Response(status_code=200, content_type=HTML, body=document, headers=headers)


_TITLES = {404: "This link does not work", 410: "This link has expired", 409: "This link has been used"}


def error(exc: PanelistError, *, language: str = "en") -> Response[str]:
    """A plain page saying what happened, with the error's status."""
    title = getattr(exc, "page_title", None) or _TITLES.get(exc.status, "Something went wrong")
    return render("error.html.j2", exc.status, title=title, exc=exc, language=language)


def invite(
    token: str,
    *,
    problem: PanelistError | None = None,
    form: dict[str, Any] | None = None,
    requested: Requested | None = None,
) -> Response[str]:
    """The page an invite link opens: marks the invite opened and shows what the interview is.

    It holds the start form (consent, a name when the candidate is unknown), or a link back into a session
    in progress; after a refused start it shows the form again (`problem`, the fields sent) with its status.
    """
    requested = requested or Requested()
    try:
        opened = open_invite(token)
        campaign = get_campaign(opened.organization_id, opened.campaign_id)
        interview = get_interview(opened.organization_id, campaign.script_id)
        start = invite_context(opened)
    except PanelistError as exc:
        return error(exc, language=page_language.without_interview(requested.lang, requested.accept_language))
    allowed = getattr(interview, "candidate_languages", [])
    chosen = page_language.choose(interview.language, allowed, (form or {}).get("lang") or requested.lang)
    codes = page_language.offered(interview.language, allowed)
    return render(
        "invite.html.j2",
        problem.status if problem else 200,
        language=chosen,
        language_switch=page_language.switch(chosen, codes, f"/interview/{token}"),
        invite=opened,
        interview=interview,
        start_url=f"/interview/{token}/start",
        **invite_page_context(opened, interview, language=chosen),
        problem=problem,
        form=form or {},
        **start,
    )


def link_page(template: str, *, language: str = "en", **context: Any) -> Response[str]:
    """A page opened through a link that is itself the credential (JobMojito's interview pages), never indexed."""
    return _page(template, 200, _LINK_HEADERS, context, language=language)
