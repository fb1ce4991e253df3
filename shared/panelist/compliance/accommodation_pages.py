"""The candidate pages' routes for a request for an alternative process or an accommodation: the form posted from an
invite's page or an interview-for-profile link's page, answered with a page saying it was received, or with the form
again naming the field that is not right."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from aws_lambda_powertools.event_handler import Response

from panelist.api import pages
from panelist.candidates.campaigns import open_invite
from panelist.candidates.store import get_campaign, get_candidate
from panelist.compliance.accommodations import (
    Asker,
    TooManyRequests,
    form_context,
    read_form,
    submit,
)
from panelist.compliance.notice import Notice, current_notice
from panelist.core.errors import BadRequest, PanelistError
from panelist.interviews.store import get_interview
from panelist.models.accommodations import AccommodationSource
from panelist.models.candidate_pages import PageType
from panelist.reports.i18n import LANGUAGES
from panelist.sessions import candidate_pages


def _page_language(form: dict[str, Any], default: str) -> str:

    posted = str(form.get("notice_language") or "")
    return posted if posted in LANGUAGES else default


def _answer(
    page: Callable[..., Response[str]],
    asker: Asker,
    notice: Notice,
    form: dict[str, Any],
    *,
    url: str,
    back_url: str,
    name_required: bool,
) -> Response[str]:
    """Store the request and say so, or show the form again naming the field that is not right (4xx)."""
    language = _page_language(form, notice.language)
    try:
        submit(asker, read_form(form, name_required=name_required), language=language)
    except (BadRequest, TooManyRequests) as exc:
        context = form_context(url, notice, name_required=name_required, problem=exc, form=form)
        answered = page(
            "accommodation_received.html.j2",
            received=False,
            accommodation=context,
            back_url=back_url,
            language=language,
        )
        answered.status_code = exc.status
        return answered
    context = form_context(url, notice, name_required=name_required)
    return page(
        "accommodation_received.html.j2", received=True, accommodation=context, back_url=back_url, language=language
    )


def from_invite(token: str, form: dict[str, Any]) -> Response[str]:
    """POST /interview/{token}/accommodation: a request from an invite link's page."""

    try:
        invite = open_invite(token)
        org = invite.organization_id
        campaign = get_campaign(org, invite.campaign_id)
        interview = get_interview(org, campaign.script_id)
        candidate = get_candidate(org, invite.candidate_id) if invite.candidate_id else None
    except PanelistError as exc:
        return pages.error(exc)
    notice = current_notice(org, interview, language=str(form.get("notice_language") or "") or None)
    asker = Asker(
        organization_id=org,
        interview_id=interview.id,
        source=AccommodationSource.invite,
        link=f"invite:{invite.id}",
        candidate_id=invite.candidate_id,
        name=candidate.name if candidate and not candidate.erased_at else None,
        email=invite.email,
        invite_id=invite.id,
        campaign_id=campaign.id,
    )
    url = f"/interview/{quote(token, safe='')}"
    return _answer(
        pages.render, asker, notice, form, url=f"{url}/accommodation", back_url=url, name_required=candidate is None
    )


def from_take_link(interview_id: str, token: str | None, form: dict[str, Any]) -> Response[str]:
    """POST /interview/take/{interview_id}/accommodation?interview_token=: a request from an interview-for-profile
    link's page, verified exactly as its start form is."""

    try:
        grant = candidate_pages.open_grant(token, PageType.interview_for_profile, interview_id)
        interview = get_interview(grant.organization_id, interview_id)
        candidate = candidate_pages._live_candidate(grant.organization_id, grant.candidate_id)
    except PanelistError as exc:
        return pages.link_error(exc)
    notice = current_notice(grant.organization_id, interview, language=str(form.get("notice_language") or "") or None)
    asker = Asker(
        organization_id=grant.organization_id,
        interview_id=interview.id,
        source=AccommodationSource.take,
        link=f"take:{candidate.id}:{interview.id}",
        candidate_id=candidate.id,
        name=candidate.name,
        email=candidate.email,
    )
    query = urlencode({candidate_pages.TOKEN_PARAM: grant.token})
    path = f"/interview/take/{quote(interview.id, safe='')}"
    return _answer(
        _link_page,
        asker,
        notice,
        form,
        url=f"{path}/accommodation?{query}",
        back_url=f"{path}/?{query}",
        name_required=False,
    )


def _link_page(template: str, **context: Any) -> Response[str]:

    return pages.link_page(template, **context)
