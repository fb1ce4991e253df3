"""JobMojito's signed interview pages (`POST /job-interview-token`) and the public pages their links open.

A link carries a JWT (audience `jobmojito-page`, LINK_TTL) that grants one page and nothing else: the
organization (`org`), the page type (`typ`), the id in the page's path (`res`), whether the navigation
menu is shown (`menu`), and for `interview-for-profile` the candidate (`cand`). A page answers 403 for
a token that is forged, tampered, of another type or for another id, 410 once it expired; every read
is made in the token's organization, so no link reaches another organization's data.

A list page links to its rows with tokens of its own (`interview-result-candidate` from a profile's
results, `interview-result-talent-seeker` from a position's results) that expire with the list's token
and name the list they came from (`up`), so the row's page can link back to the list in its menu.

The API key decides the organization; `merchant_id` names a sub-merchant, honoured only for an admin
key of its parent organization (anything else is the seed's 500 naming `merchant_id`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from aws_lambda_powertools.event_handler import Response
from markupsafe import Markup

from panelist.accounts.organizations import get_organization
from panelist.api import pages
from panelist.api.auth import Principal
from panelist.candidates.store import get_candidate
from panelist.compliance import accommodations, audit
from panelist.compliance.notice import NoticeChanged, current_notice
from panelist.core import times
from panelist.core.errors import BadRequest, Forbidden, NotFound, PanelistError, Unprocessable
from panelist.core.signing import link_claims, sign
from panelist.interviews.store import get_interview
from panelist.models.candidate_pages import JobInterviewTokenRequest, PageType
from panelist.models.candidates import Candidate
from panelist.models.common import now
from panelist.models.compliance import AuditAction
from panelist.models.interviews import Interview
from panelist.models.sessions import Session, SessionStatus
from panelist.reports.i18n import format_date, language
from panelist.sessions import page_language
from panelist.sessions.flow import session_path, session_token, start_session
from panelist.sessions.page_language import N_
from panelist.sessions.pages import see_other
from panelist.sessions.store import get_session, get_sessions, indexed_session_ids

AUDIENCE = "jobmojito-page"
LINK_TTL = timedelta(days=7)
MAX_LISTED = 200  # the latest sessions a results page shows
REQUIRED = "Field is required."
TOKEN_PARAM = "interview_token"  # noqa: S105 - the query parameter's name, not a secret
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")

PATHS = {
    PageType.interview_for_profile: "/interview/take/{id}/",
    PageType.results_for_profile: "/interview/profile/{id}/results",
    PageType.interview_result_candidate: "/interview/result/{id}/candidate",
    PageType.interview_result_talent_seeker: "/interview/result/{id}",
    PageType.interview_results_for_position: "/interview/position/{id}/results",
}
_WITH_VIEW = {PageType.interview_for_profile, PageType.results_for_profile}  # the seed's URLs with `view_hm`
# Which fields each type needs, in the order they are checked; the first is the id in the page's path.
_FIELDS = {
    PageType.interview_for_profile: ("interview_id", "interview_profile_id"),
    PageType.results_for_profile: ("interview_profile_id",),
    PageType.interview_result_candidate: ("interview_result_id",),
    PageType.interview_result_talent_seeker: ("interview_result_id",),
    PageType.interview_results_for_position: ("interview_id",),
}
_NOT_FOUND = {
    "interview_id": "Interview not found.",
    "interview_profile_id": "Interview profile not found.",
    "interview_result_id": "Interview result not found.",
}
_INVALID = "this link is not valid; it may be incomplete or mistyped"
_EXPIRED = "this link has expired"

T = TypeVar("T")


class MerchantNotAllowed(PanelistError):
    """The seed answers a merchant_id the caller may not act for with its 500 ("includes authorization failures")."""

    status, code = 500, "MERCHANT_NOT_ALLOWED"


# ------------------------------------------------------------------ issuing links


def acting_organization(principal: Principal, merchant_id: str | None) -> str:
    """The organization a link is for: the caller's, or a sub-merchant of it named by an admin key."""
    if not merchant_id or merchant_id == principal.organization_id:
        return principal.organization_id
    refused = MerchantNotAllowed("Not authorized to act for this merchant.", field="merchant_id")
    if not principal.is_admin or not _ID.match(merchant_id):
        raise refused
    try:
        merchant = get_organization(merchant_id)
    except NotFound:
        raise refused from None
    if merchant.parent_id != principal.organization_id:
        raise refused
    return merchant.id


def _found(lookup: Callable[[str, str], T], organization_id: str, value: str, field: str) -> T:
    """The resource `value` names in the organization; 422 naming `field` when there is none."""
    if not _ID.match(value):
        raise Unprocessable(_NOT_FOUND[field], field=field)
    try:
        return lookup(organization_id, value)
    except NotFound:
        raise Unprocessable(_NOT_FOUND[field], field=field) from None


def _live_candidate(organization_id: str, candidate_id: str) -> Candidate:
    candidate = get_candidate(organization_id, candidate_id)
    if candidate.erased_at is not None:
        raise NotFound("candidate not found", field="candidate_id")
    return candidate


_LOOKUPS: dict[str, Callable[[str, str], Any]] = {
    "interview_id": get_interview,
    "interview_profile_id": _live_candidate,
    "interview_result_id": get_session,
}


def page_url(base_url: str, kind: PageType, resource_id: str, token: str, *, menu: bool) -> str:
    query = {TOKEN_PARAM: token}
    if kind in _WITH_VIEW:
        query["view_hm"] = "false" if menu else "true"
    return f"{base_url.rstrip('/')}{PATHS[kind].format(id=quote(resource_id, safe=''))}?{urlencode(query)}"


def issue_link(principal: Principal, request: JobInterviewTokenRequest, *, base_url: str) -> str:
    """The signed URL of the page `request.type` names (seed 003), valid LINK_TTL."""
    if not request.type:
        raise Unprocessable(REQUIRED, field="type")
    try:
        kind = PageType(request.type)
    except ValueError:
        allowed = ", ".join(t.value for t in PageType)
        raise Unprocessable(f"Invalid type: must be one of {allowed}.", field="type", expected=allowed) from None
    fields = _FIELDS[kind]
    values: dict[str, str] = {}
    for field in fields:
        value = getattr(request, field)
        if not value:
            raise Unprocessable(REQUIRED, field=field)
        values[field] = value
    organization_id = acting_organization(principal, request.merchant_id)
    for field in fields:
        _found(_LOOKUPS[field], organization_id, values[field], field)
    menu = request.hide_menu == "false"  # the seed: only the string 'false' shows the menu
    resource_id = values[fields[0]]
    claims: dict[str, Any] = {"org": organization_id, "typ": kind.value, "res": resource_id, "menu": menu}
    if kind is PageType.interview_for_profile:
        claims["cand"] = values["interview_profile_id"]
    token, _ = sign(claims, audience=AUDIENCE, ttl=LINK_TTL)
    return page_url(base_url, kind, resource_id, token, menu=menu)


# ------------------------------------------------------------------ opening links


@dataclass(frozen=True)
class Grant:
    """What a verified page token allows: one page of one organization."""

    organization_id: str
    kind: PageType
    resource_id: str
    menu: bool
    expires_at: datetime
    token: str
    candidate_id: str = ""
    up: str = ""  # the list page this row's token was made on

    def derived(self, kind: PageType, resource_id: str, *, up: str = "") -> str:
        """A token for another page, made on this one: it expires with this page's token (LINK_TTL at most)."""
        ttl = min(max(self.expires_at - now(), timedelta(seconds=1)), LINK_TTL)
        claims: dict[str, Any] = {"org": self.organization_id, "typ": kind.value, "res": resource_id}
        claims["menu"] = self.menu
        if up:
            claims["up"] = up
        token, _ = sign(claims, audience=AUDIENCE, ttl=ttl)
        return token

    def link(self, base_url: str, kind: PageType, resource_id: str, *, up: str = "") -> str:
        return page_url(base_url, kind, resource_id, self.derived(kind, resource_id, up=up), menu=self.menu)


def open_grant(token: str | None, kind: PageType, resource_id: str) -> Grant:
    """The grant of a page's token: Forbidden unless it is ours, of this type and for this id; Gone once expired."""
    if not token:
        raise Forbidden(_INVALID)
    claims = link_claims(token, audience=AUDIENCE, required=("org", "typ", "res"), expired=_EXPIRED, invalid=_INVALID)
    if claims["typ"] != kind.value or claims["res"] != resource_id:
        raise Forbidden(_INVALID)
    candidate_id = claims.get("cand")
    if kind is PageType.interview_for_profile and not (isinstance(candidate_id, str) and candidate_id):
        raise Forbidden(_INVALID)
    up = claims.get("up") or ""
    return Grant(
        organization_id=claims["org"],
        kind=kind,
        resource_id=resource_id,
        menu=claims.get("menu") is True,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        token=token,
        candidate_id=candidate_id if isinstance(candidate_id, str) else "",
        up=up if isinstance(up, str) else "",
    )


def _sessions(organization_id: str, owner: str, owner_id: str) -> list[Session]:
    """The latest MAX_LISTED sessions of a candidate or an interview, newest first (an index, never a Scan)."""
    ids = indexed_session_ids(organization_id, owner, owner_id, newest_first=True, limit=MAX_LISTED)
    return get_sessions(organization_id, ids)


def score_of(session: Session) -> float | None:
    """The overall score, as the report shows it: the assessment's, else the mean of the answers'."""
    if session.assessment is not None:
        return session.assessment.score
    scores = [a.analysis.score for a in session.answers if a.analysis]
    return round(sum(scores) / len(scores), 1) if scores else None


def score_text(score: float | None) -> str:
    if score is None:
        return "—"
    return f"{score:.0f}" if float(score).is_integer() else f"{score:.1f}"


def _day(moment: datetime | None) -> str:
    return times.day(moment) if moment else ""


STATUS_LABELS = {
    SessionStatus.in_progress: N_("In progress"),
    SessionStatus.completed: N_("Completed"),
    SessionStatus.abandoned: N_("Not finished"),
}
# The menu's labels, translated where the page shows them.
_NAV_LABELS = (N_("Interview"), N_("Your results"), N_("Result"), N_("All your results"))


def _nav(items: list[tuple[str, str, bool]]) -> list[dict[str, Any]]:
    return [{"label": label, "href": href, "current": current} for label, href, current in items]


def _interviews(organization_id: str) -> Callable[[str], Interview | None]:
    cache: dict[str, Interview | None] = {}

    def lookup(interview_id: str) -> Interview | None:
        if interview_id not in cache:
            try:
                cache[interview_id] = get_interview(organization_id, interview_id)
            except NotFound:
                cache[interview_id] = None
        return cache[interview_id]

    return lookup


# ------------------------------------------------------------------ the pages


def _taken(organization_id: str, candidate_id: str, interview_id: str) -> list[Session]:
    """The candidate's sessions of this interview."""
    return [s for s in _sessions(organization_id, "CANDIDATE", candidate_id) if s.interview_id == interview_id]


def take_page(
    interview_id: str,
    token: str | None,
    *,
    base_url: str,
    problem: PanelistError | None = None,
    lang: str | None = None,
    accept_language: str | None = None,
) -> Response[str]:
    """interview-for-profile: what the interview is, and the start form (or the way back into the session)."""
    try:
        grant = open_grant(token, PageType.interview_for_profile, interview_id)
        interview = get_interview(grant.organization_id, interview_id)
        candidate = _live_candidate(grant.organization_id, grant.candidate_id)
    except PanelistError as exc:
        return pages.link_error(exc, language=page_language.without_interview(lang, accept_language))
    chosen = page_language.choose(interview.language, interview.candidate_languages, lang)
    here_path = PATHS[PageType.interview_for_profile].format(id=quote(interview.id, safe=""))
    switch = page_language.switch(
        chosen,
        page_language.offered(interview.language, interview.candidate_languages),
        here_path,
        {TOKEN_PARAM: grant.token},
    )
    nav = _nav(
        [
            ("Interview", "", True),
            ("Your results", grant.link(base_url, PageType.results_for_profile, candidate.id), False),
        ]
    )
    taken = _taken(grant.organization_id, candidate.id, interview.id)
    ongoing = next((s for s in taken if s.status is SessionStatus.in_progress), None)
    notice = current_notice(grant.organization_id, interview, language=chosen)  # in the page's language
    here = PATHS[PageType.interview_for_profile].format(id=quote(interview.id, safe="")).rstrip("/")
    accommodation_url = f"{here}/accommodation?{urlencode({TOKEN_PARAM: grant.token})}"
    page = pages.link_page(
        "take_interview.html.j2",
        language=chosen,
        language_switch=switch,
        notice=notice,
        accommodation=accommodations.form_context(accommodation_url, notice, name_required=False),
        interview=interview,
        first_name=candidate.name.split()[0] if candidate.name.split() else "",
        nav=nav if grant.menu else [],
        continue_url=session_path(session_token(ongoing, interview)) if ongoing else None,
        finished=any(s.status is SessionStatus.completed for s in taken),
        problem=problem,
    )
    if problem is not None:
        page.status_code = problem.status
    return page


def start_from_profile(interview_id: str, token: str | None, form: dict[str, Any], *, base_url: str) -> Response[str]:
    """POST /interview/take/{interview_id}/: the candidate the link names starts the interview (303 to it).

    One session at a time: with one in progress, or one completed, the page says so instead.
    """
    try:
        grant = open_grant(token, PageType.interview_for_profile, interview_id)
        candidate = _live_candidate(grant.organization_id, grant.candidate_id)
        taken = [
            s for s in _sessions(grant.organization_id, "CANDIDATE", candidate.id) if s.interview_id == interview_id
        ]
        if any(s.status is not SessionStatus.abandoned for s in taken):
            return take_page(interview_id, token, base_url=base_url)
        consented = str(form.get("consent") or "").lower() in ("on", "yes", "true", "1")
        started = start_session(
            grant.organization_id,
            interview_id,
            candidate,
            consented=consented,
            notice_version=form.get("notice_version"),
            notice_language=str(form.get("lang") or "") or None,  # the page's language, as its form posts it
        )
    except (BadRequest, NoticeChanged) as exc:
        return take_page(interview_id, token, base_url=base_url, problem=exc, lang=str(form.get("lang") or ""))
    except PanelistError as exc:
        return pages.link_error(exc)
    return see_other(session_path(started.token))


def profile_results_page(profile_id: str, token: str | None, *, base_url: str) -> Response[str]:
    """results-for-profile: the candidate's interviews, newest first, each linking to its candidate view."""
    try:
        grant = open_grant(token, PageType.results_for_profile, profile_id)
        candidate = _live_candidate(grant.organization_id, profile_id)
    except PanelistError as exc:
        return pages.link_error(exc)
    interview_of = _interviews(grant.organization_id)
    found = _sessions(grant.organization_id, "CANDIDATE", candidate.id)
    found.sort(key=lambda s: s.started_at, reverse=True)
    rows = []
    for session in found:
        interview = interview_of(session.interview_id)
        rows.append(
            {
                "interview": interview.role if interview else "Interview",
                "status": STATUS_LABELS[session.status],
                "score": score_text(score_of(session)),
                "date": _day(session.completed_at or session.started_at),
                "href": grant.link(base_url, PageType.interview_result_candidate, session.id, up=candidate.id),
            }
        )
    nav = _nav([("Your results", "", True)])
    return pages.link_page(
        "profile_results.html.j2",
        first_name=candidate.name.split()[0] if candidate.name.split() else "",
        rows=rows,
        nav=nav if grant.menu else [],
    )


def candidate_result_page(result_id: str, token: str | None, *, base_url: str) -> Response[str]:
    """interview-result-candidate: the interview as the candidate gave it: facts, overall score, their answers.

    No recruiter material: no assessment text (why hire, why not, resume analysis), no per-answer analysis
    or score, no scoring rubric, no integrity signals.
    """
    try:
        grant = open_grant(token, PageType.interview_result_candidate, result_id)
        session = get_session(grant.organization_id, result_id)
        _live_candidate(grant.organization_id, session.candidate_id)
    except PanelistError as exc:
        return pages.link_error(exc)
    interview = _interviews(grant.organization_id)(session.interview_id)
    prompts = {q.id: q.prompt for q in interview.questions} if interview else {}
    answers = [
        {"question": prompts.get(a.question_id, ""), "text": a.text, "follow_up": a.follow_up} for a in session.answers
    ]
    items = [("Result", "", True)]
    if grant.up:
        items.append(("All your results", grant.link(base_url, PageType.results_for_profile, grant.up), False))
    code = language(session.language).code  # the language the candidate took the interview in
    return pages.link_page(
        "candidate_result.html.j2",
        language=code,
        role=interview.role if interview else "Interview",
        status=STATUS_LABELS[session.status],
        date=format_date(session.completed_at or session.started_at, code),
        duration=session.duration_minutes,
        score=score_text(score_of(session)) if session.status is SessionStatus.completed else "",
        answers=answers,
        nav=_nav(items) if grant.menu else [],
    )


_NAV_LINK = Markup('<a href="{}">{}</a>')
_NAV_CURRENT = Markup('<span aria-current="page">{}</span>')
# Its own style element, not style attributes: the page's Content-Security-Policy names it by its hash.
_NAV_BAR = Markup(
    "<style>nav.report-pages{{background:#fff;border-bottom:1px solid #d9e2ec;"
    "font:15px/1.4 -apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;padding:10px 16px}}"
    "nav.report-pages a,nav.report-pages span{{margin-right:16px}}nav.report-pages a{{color:#1f4f8a}}"
    "nav.report-pages [aria-current]{{font-weight:600}}</style>"
    '<nav class="report-pages" aria-label="Interview pages">{}</nav>'
)


def _with_nav(document: str, nav: list[dict[str, Any]]) -> str:
    """The report with the navigation menu at the top of its body (every label and link escaped)."""
    if not nav:
        return document
    from panelist.reports.html import insert_at_body_start  # the rendering stack, like the report itself

    links = Markup("").join(
        _NAV_CURRENT.format(item["label"]) if item["current"] else _NAV_LINK.format(item["href"], item["label"])
        for item in nav
    )
    return insert_at_body_start(document, _NAV_BAR.format(links))


def recruiter_result_page(result_id: str, token: str | None, *, base_url: str) -> Response[str]:
    """interview-result-talent-seeker: the whole report, as the organization's own report shows it."""
    from panelist.compliance.reviews import with_advisory_banner  # the human review gate (issue 17)
    from panelist.reports.result import result_html  # the rendering stack, only for the page that needs it

    try:
        grant = open_grant(token, PageType.interview_result_talent_seeker, result_id)
        document = result_html(grant.organization_id, result_id, base_url=base_url)
        document = with_advisory_banner(grant.organization_id, result_id, document)
    except PanelistError as exc:
        return pages.link_error(exc)
    actor = f"link:{PageType.interview_result_talent_seeker.value}"  # a recruiter's signed link: no key, no share
    audit.record_for_session(grant.organization_id, result_id, AuditAction.report_viewed, actor)
    items = [("Result", "", True)]
    if grant.up:
        position = PageType.interview_results_for_position
        items.append(("All results of the position", grant.link(base_url, position, grant.up), False))
    return pages.link_document(_with_nav(document, _nav(items) if grant.menu else []))


SORTS = ("date", "score")
ORDERS = ("desc", "asc")


def _sorted(rows: list[dict[str, Any]], sort: str, order: str) -> list[dict[str, Any]]:
    """Rows by score or date; rows without one come last either way."""
    key = "score_value" if sort == "score" else "date_value"
    present = [r for r in rows if r[key] is not None]
    missing = [r for r in rows if r[key] is None]
    present.sort(key=lambda r: r[key], reverse=order == "desc")
    return present + missing


def position_results_page(
    interview_id: str, token: str | None, *, base_url: str, sort: str | None, order: str | None
) -> Response[str]:
    """interview-results-for-position: every result of the interview, by date or score, each linking to its report."""
    try:
        grant = open_grant(token, PageType.interview_results_for_position, interview_id)
        interview = get_interview(grant.organization_id, interview_id)
    except PanelistError as exc:
        return pages.link_error(exc)
    sort = sort if sort in SORTS else "date"
    order = order if order in ORDERS else "desc"
    rows = []
    for session in _sessions(grant.organization_id, "INTERVIEW", interview.id):
        try:
            candidate: Candidate | None = get_candidate(grant.organization_id, session.candidate_id)
        except NotFound:
            candidate = None
        erased = candidate is None or candidate.erased_at is not None
        score = score_of(session)
        rows.append(
            {
                "candidate": "Erased candidate" if erased or candidate is None else candidate.name,
                "status": STATUS_LABELS[session.status],
                "score": score_text(score),
                "score_value": score,
                "completed": _day(session.completed_at) or "Not completed",
                "date_value": (session.completed_at or session.started_at).astimezone(UTC),
                "href": grant.link(base_url, PageType.interview_result_talent_seeker, session.id, up=interview.id),
            }
        )
    here = base_url.rstrip("/") + PATHS[PageType.interview_results_for_position].format(id=quote(interview.id, safe=""))

    def sorted_by(column: str) -> dict[str, Any]:
        flipped = "asc" if sort == column and order == "desc" else "desc"
        query = urlencode({TOKEN_PARAM: grant.token, "sort": column, "order": flipped})
        state = ("descending" if order == "desc" else "ascending") if sort == column else "none"
        return {"href": f"{here}?{query}", "state": state}

    nav = _nav([("All results", "", True)])
    return pages.link_page(
        "position_results.html.j2",
        interview=interview,
        rows=_sorted(rows, sort, order),
        by_score=sorted_by("score"),
        by_date=sorted_by("date"),
        nav=nav if grant.menu else [],
    )
