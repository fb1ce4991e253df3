"""Requests for an alternative process (no AI) or an accommodation, from the candidate pages to the organization.

A candidate asks from the invite page (`POST /interview/{token}/accommodation`) or the interview-for-profile page
(`POST /interview/take/{interview_id}/accommodation`): a kind, their own words (at most MAX_DETAILS_CHARS) and,
when the link names no candidate, their name. Asking starts nothing and blocks nothing. Each request is stored
once, published once as `accommodation.requested` (ids only), and listed for the organization
(`GET /api/accommodation-requests`), which answers it (`PATCH /api/accommodation-requests/{id}`). One link makes
at most MAX_PER_LINK requests. An erasure of the candidate blanks their requests' details, name and email
(`erase_for_candidate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from panelist.api.auth import Principal
from panelist.compliance import accommodation_store as store
from panelist.compliance.audit import actor_of
from panelist.compliance.notice import Notice
from panelist.core.errors import BadRequest, Conflict, PanelistError
from panelist.core.observability import logger
from panelist.core.storage import ConditionFailed
from panelist.models.accommodations import (
    MAX_DETAILS_CHARS,
    AccommodationKind,
    AccommodationRequest,
    AccommodationRequestUpdate,
    AccommodationSource,
    AccommodationStatus,
)
from panelist.models.campaigns import Invite
from panelist.models.common import new_id, now
from panelist.models.interviews import Interview
from panelist.models.webhooks import AccommodationRequestedData
from panelist.webhooks import endpoints

EVENT = "accommodation.requested"
MAX_PER_LINK = 5
MAX_NAME_CHARS = 200


class TooManyRequests(Conflict):
    """A link has made all the requests it may (MAX_PER_LINK)."""

    code = "TOO_MANY_REQUESTS"


@dataclass(frozen=True)
class Asker:
    """Who asks, as the link knows them, and about what."""

    organization_id: str
    interview_id: str
    source: AccommodationSource
    link: str  # what MAX_PER_LINK counts: the invite's or the (candidate, interview)'s id
    candidate_id: str | None = None
    name: str | None = None  # None: the form asks for it
    email: str | None = None
    invite_id: str | None = None
    campaign_id: str | None = None


@dataclass(frozen=True)
class AccommodationForm:
    kind: AccommodationKind
    details: str
    name: str | None
    notice_version: int | None
    language: str | None


def read_form(form: dict[str, Any], *, name_required: bool) -> AccommodationForm:
    """The form's fields, checked: BadRequest naming the first that is not right."""
    raw_kind = str(form.get("kind") or "").strip()
    try:
        kind = AccommodationKind(raw_kind)
    except ValueError:
        allowed = ", ".join(k.value for k in AccommodationKind)
        raise BadRequest("please choose what you are asking for", field="kind", expected=allowed) from None
    details = str(form.get("details") or "").replace("\r\n", "\n").strip()
    if len(details) > MAX_DETAILS_CHARS:
        raise BadRequest(
            "your message is too long", field="details", expected=f"at most {MAX_DETAILS_CHARS} characters"
        )
    if kind is AccommodationKind.accommodation and not details:
        raise BadRequest("please tell the organization what would help you", field="details", expected="a few words")
    name = " ".join(str(form.get("name") or "").split()) or None
    if name_required and not name:
        raise BadRequest("please tell us your name", field="name", expected="your full name")
    if name and len(name) > MAX_NAME_CHARS:
        raise BadRequest("that name is too long", field="name", expected=f"at most {MAX_NAME_CHARS} characters")
    version = str(form.get("notice_version") or "").strip()
    language = str(form.get("notice_language") or "").strip()[:8] or None
    return AccommodationForm(
        kind=kind,
        details=details,
        name=name,
        notice_version=int(version) if version.isdigit() and len(version) <= 9 else None,
        language=language,
    )


def form_context(
    url: str,
    notice: Notice,
    *,
    name_required: bool,
    problem: PanelistError | None = None,
    form: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What templates/pages/_accommodation.html.j2 needs (the `accommodation` variable)."""
    given = form or {}
    return {
        "url": url,
        "name_required": name_required,
        "problem": problem,
        "kind": str(given.get("kind") or ""),
        "details": str(given.get("details") or "")[:MAX_DETAILS_CHARS],
        "name": str(given.get("name") or "")[:MAX_NAME_CHARS],
        "max_details": MAX_DETAILS_CHARS,
        "notice_version": notice.version,
        "notice_language": notice.language,
        "alternative_contact": notice.alternative_contact,
    }


def submit(asker: Asker, form: AccommodationForm, *, language: str) -> AccommodationRequest:
    """Store the request and publish `accommodation.requested` once; TooManyRequests past MAX_PER_LINK."""
    at = now()
    request = AccommodationRequest(
        id=new_id(),
        organization_id=asker.organization_id,
        kind=form.kind,
        details=form.details,
        name=asker.name or form.name,
        email=asker.email,
        interview_id=asker.interview_id,
        candidate_id=asker.candidate_id,
        invite_id=asker.invite_id,
        campaign_id=asker.campaign_id,
        source=asker.source,
        language=language,
        notice_version=form.notice_version,
        requested_at=at,
        updated_at=at,
    )
    try:
        store.insert(request, link=asker.link, cap=MAX_PER_LINK)
    except ConditionFailed:
        raise TooManyRequests(
            f"you have already sent {MAX_PER_LINK} requests from this link; the organization will contact you",
            field="kind",
            expected=f"at most {MAX_PER_LINK} requests per link",
        ) from None
    data = AccommodationRequestedData(
        id=request.id,
        kind=request.kind.value,
        candidate_id=request.candidate_id,
        interview_id=request.interview_id,
        invite_id=request.invite_id,
        requested_at=request.requested_at,
    ).model_dump(mode="json")
    endpoints.publish(asker.organization_id, EVENT, data, idempotency_key=f"{EVENT}:{request.id}")
    logger.info("accommodation requested", extra={"request_id": request.id, "kind": request.kind.value})
    return request


# ------------------------------------------------------------------ the candidate pages' context


def page_context(
    organization_id: str, interview: Interview, url: str, *, name_required: bool, language: str | None = None
) -> dict[str, Any]:
    """The notice and the request form of a page that starts `interview` (`notice`, `accommodation`)."""
    from panelist.compliance.notice import current_notice

    notice = current_notice(organization_id, interview, language=language)
    return {"notice": notice, "accommodation": form_context(url, notice, name_required=name_required)}


def invite_page_context(invite: Invite, interview: Interview, *, language: str | None = None) -> dict[str, Any]:
    """What the invite page shows of the notice and the request form."""
    url = f"/interview/{quote(invite.token, safe='')}/accommodation"
    return page_context(
        invite.organization_id, interview, url, name_required=invite.candidate_id is None, language=language
    )


# ------------------------------------------------------------------ the organization's side


def list_requests(
    organization_id: str,
    *,
    interview_id: str | None,
    status: AccommodationStatus | None,
    offset: int,
    limit: int,
) -> tuple[list[AccommodationRequest], int]:
    return store.list_requests(organization_id, interview_id=interview_id, status=status, offset=offset, limit=limit)


def update_request(principal: Principal, request_id: str, change: AccommodationRequestUpdate) -> AccommodationRequest:
    """Apply a new status and/or note; Conflict when another change landed since this one read the request."""
    given = change.model_dump(exclude_unset=True)
    if given.get("status", ...) is None:
        raise BadRequest("status cannot be null", field="status", expected="open, in_progress or resolved")
    current = store.get(principal.organization_id, request_id)
    at = now()
    status = change.status if "status" in given and change.status else current.status
    note = change.resolution_note if "resolution_note" in given else current.resolution_note
    kept = current.resolved_at if current.status is AccommodationStatus.resolved else None
    resolved_at = (kept or at) if status is AccommodationStatus.resolved else None
    updated = current.model_copy(
        update={
            "status": status,
            "resolution_note": note or None,
            "resolved_at": resolved_at,
            "updated_at": at,
            "updated_by": actor_of(principal),
        }
    )
    try:
        store.save_change(current, updated)
    except ConditionFailed:
        raise Conflict("the request changed while this change was made; read it again and retry", field="id") from None
    return updated


# ------------------------------------------------------------------ erasure


def erase_for_candidate(organization_id: str, candidate_id: str, email: str | None = None) -> int:
    """Blank the details, name and email of the candidate's requests (those made with their candidate id, and with
    `email` when given: an invite's requests made before it had a candidate); how many were blanked. Idempotent.
    The requests stay (kind, status, dates, ids) so the organization's record of having been asked is kept."""
    request_ids, pointers = store.requests_of(organization_id, candidate_id, email)
    at = now().isoformat()
    blanked = 0
    for request_id in request_ids:
        try:
            store.blank(organization_id, request_id, at)
            blanked += 1
        except ConditionFailed:
            continue  # a pointer left without its request
    store.forget_mail_pointers(organization_id, pointers)
    return blanked


__all__ = [
    "MAX_PER_LINK",
    "AccommodationForm",
    "Asker",
    "TooManyRequests",
    "erase_for_candidate",
    "form_context",
    "invite_page_context",
    "list_requests",
    "page_context",
    "read_form",
    "submit",
    "update_request",
]
