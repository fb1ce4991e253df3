"""The AI notice a candidate reads before an interview starts, and the consent that names its version.

The invite page (`/interview/{token}`) and the interview-for-profile page (`/interview/take/{id}`) show it above
their start forms: that an AI conducts and scores the interview, what it assesses (the interview's skills), what is
recorded, how long each kind of data is kept (the organization's retention policy), how to ask for an alternative
process or an accommodation, and the organization's own words in the page's language (else English). The start
forms post the `notice_version` they showed; a start whose version is no longer the organization's current one
(the notice changed while the page was open) is refused with NoticeChanged (409) and the page shown again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from panelist.compliance.settings import hiring_settings
from panelist.core.errors import BadRequest, PanelistError
from panelist.models.compliance import HiringSettings
from panelist.models.interviews import Interview

FALLBACK_LANGUAGE = "en"


class NoticeChanged(PanelistError):
    """The start form showed a notice the organization has changed since: the candidate must read the new one."""

    status, code = 409, "NOTICE_CHANGED"
    page_title = "The notice has changed"


@dataclass(frozen=True)
class Retention:
    """Days each kind of data is kept after the interview ends; None: until the organization deletes it or the
    candidate asks for erasure."""

    recordings_days: int | None
    transcripts_days: int | None
    results_days: int | None


@dataclass(frozen=True)
class Recorded:
    """What the interview keeps: written answers always; the rest as the interview and the candidate's browser allow."""

    text_answers: bool = True
    audio: bool = True  # the page offers to record each answer where the browser can; the candidate chooses
    video: bool = False  # the interview pages record no video
    tab_switches: bool = False
    pastes: bool = False
    resume: bool = True  # the candidate may attach a résumé (optional)


@dataclass(frozen=True)
class Notice:
    version: int
    language: str  # the page's language (a code of panelist.reports.i18n.LANGUAGES)
    ai_conducts: bool
    ai_scores: bool
    role: str
    skills: list[str]
    questions: int
    duration_minutes: int
    recorded: Recorded
    retention: Retention
    alternative_contact: str | None
    organization_text: str | None
    organization_text_language: str | None
    human_review: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def page_language(interview: Interview, requested: str | None = None) -> str:
    """The language code a page about `interview` is shown in: `requested` when it is one of the 34, else the
    interview's (normalized), else English."""
    from panelist.reports.i18n import LANGUAGES, language  # the 34 candidate-page languages

    if requested and requested in LANGUAGES:
        return requested
    return language(interview.language).code


def notice_for(settings: HiringSettings, interview: Interview, *, language: str | None = None) -> Notice:
    """The notice for `interview` under the organization's `settings`, in the page's language."""
    shown = page_language(interview, language)
    own = settings.notice_text
    text_language = shown if own.get(shown) else (FALLBACK_LANGUAGE if own.get(FALLBACK_LANGUAGE) else None)
    retention = settings.retention
    skills = list(dict.fromkeys(s.name for s in interview.skills if s.name.strip()))
    return Notice(
        version=settings.notice_version,
        language=shown,
        ai_conducts=True,
        ai_scores=True,
        role=interview.role,
        skills=skills,
        questions=len(interview.questions),
        duration_minutes=interview.duration_minutes,
        recorded=Recorded(
            tab_switches=interview.proctoring.tab_switch_detection,
            pastes=interview.proctoring.paste_detection,
        ),
        retention=Retention(
            recordings_days=retention.recordings_days,
            transcripts_days=retention.transcripts_days,
            results_days=retention.results_days,
        ),
        alternative_contact=settings.alternative_contact,
        organization_text=own[text_language] if text_language else None,
        organization_text_language=text_language,
        human_review=settings.human_review_required,
    )


def current_notice(organization_id: str, interview: Interview, *, language: str | None = None) -> Notice:
    return notice_for(hiring_settings(organization_id), interview, language=language)


def consented_version(organization_id: str, posted: Any) -> int:
    """The notice version a start form agreed to: the current one. A version posted that is not the current one is
    NoticeChanged (409); one that is not a number is a BadRequest naming `notice_version`. A form that posts none
    (a client other than the pages) agrees to the current notice."""
    current = hiring_settings(organization_id).notice_version
    text = "" if posted is None else str(posted).strip()
    if not text:
        return current
    if not text.isdigit() or len(text) > 9:
        raise BadRequest("the notice version is not valid", field="notice_version", expected="a whole number")
    if int(text) != current:
        raise NoticeChanged(
            "the organization changed its notice about this AI interview since this page was opened; "
            "please read it again before you start",
            field="notice_version",
            expected=str(current),
        )
    return current


__all__ = [
    "Notice",
    "NoticeChanged",
    "Recorded",
    "Retention",
    "consented_version",
    "current_notice",
    "notice_for",
    "page_language",
]
