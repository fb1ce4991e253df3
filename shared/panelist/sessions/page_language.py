"""Which language a candidate page is shown in, its language switch, and the candidate-facing error messages.

A page about an interview is in the interview's language (one of the 34 of panelist.reports.i18n), or in one
of the interview's `candidate_languages` the candidate chose with the switch (`?lang=xx` on the page, the
`lang` field of its start form); anything else asked for (an unknown code, a language the interview does not
offer) is ignored. The language chosen when the interview starts is the session's (`Session.language`): its
pages and the interviewer's fixed lines follow it. A page that cannot name its interview (a broken link) is
in the language asked for with `?lang=`, else the browser's first Accept-Language the pages speak, else English.

Errors raised in English by the flow (`BadRequest("please tell us your name")`) are translated where a page
shows them: `problem_text` turns the message into the sentence the page prints and looks it up in the pages'
catalog (its msgid is listed below with `N_`, so the extraction finds it); an unlisted message stays English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from panelist.reports.i18n import ENGLISH, LANGUAGES, Language, known_language, language, language_name


def N_(message: str) -> str:
    return message


# The sentences of errors a candidate may see on a page, exactly as the page prints them (capitalized, with a
# full stop): the flow's, the invite's and the links' messages.
MESSAGES = frozenset(
    {
        N_("Please agree to take part before you start."),
        N_("Please tell us your name."),
        N_("That name is too long."),
        N_("This interview is archived: it starts no new sessions."),
        N_("This interview has no questions yet."),
        N_("This form is out of date."),
        N_("That answer is for another question than the one being asked."),
        N_("Please write an answer (or record one) before you continue."),
        N_("That answer is too long."),
        N_("This interview has ended."),
        N_("This interview no longer exists."),
        N_("This interview link is not valid; it may be incomplete or mistyped."),
        N_("This interview link has expired."),
        N_("This link is not valid; it may be incomplete or mistyped."),
        N_("This link has expired."),
        N_("Invite not found."),
        N_("The invite has expired."),
        N_("The invitation was withdrawn by the organization that sent it."),
        N_("Candidate not found."),
        N_("Interview not found."),
        N_("Session not found."),
    }
)
# Messages with a variable part: the page shows the sentence without it.
_PATTERNS = ((re.compile(r"^this interview is closed \(the campaign is \w+\)$"), N_("This interview is closed.")),)
# Page titles of errors (by status, or an error's own `page_title`).
TITLES = frozenset(
    {
        N_("This link is not valid"),
        N_("This link does not work"),
        N_("This link has expired"),
        N_("This link has been used"),
        N_("Something went wrong"),
        N_("This invitation has been revoked"),
        N_("The notice has changed"),
    }
)


def page_text(code: str, message: str, **values: object) -> str:
    """A fixed line of the pages' catalog in a language, its %(placeholders)s filled (the interviewer's lines)."""
    from panelist.reports.i18n import page_translations

    text = page_translations(code).gettext(message)
    return text % values if values else text


def sentence(message: str) -> str:
    """An error message as a page prints it: its first letter capitalized, ending with a full stop."""
    text = message.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def problem_text(message: str, gettext: Callable[[str], str]) -> str:
    """The sentence a page shows for an error message, in the page's language where the catalog has it."""
    for pattern, msgid in _PATTERNS:
        if pattern.match(message.strip()):
            return gettext(msgid)
    text = sentence(message)
    return gettext(text) if text in MESSAGES else text


def title_text(title: str, gettext: Callable[[str], str]) -> str:
    return gettext(title) if title in TITLES else title


def _code(value: object) -> str | None:
    found = known_language(value)
    return found.code if found else None


def offered(interview_language: str, candidate_languages: Iterable[str] = ()) -> list[str]:
    """The languages a candidate may take an interview in: its own first, then the ones it allows (codes)."""
    codes = [language(interview_language).code]
    for code in candidate_languages:
        found = _code(code)
        if found and found not in codes:
            codes.append(found)
    return codes


def choose(interview_language: str, candidate_languages: Iterable[str] = (), requested: object = None) -> str:
    """The page's language: `requested` when the interview offers it, else the interview's own."""
    codes = offered(interview_language, candidate_languages)
    wanted = _code(requested)
    return wanted if wanted in codes else codes[0]


def from_accept_language(header: str | None) -> str | None:
    """The first language of an Accept-Language header (by q) that the pages speak, else None."""
    if not header or len(header) > 1000:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:30]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    for _, _, tag in sorted(ranked):
        if code := _code(tag):
            return code
    return None


def without_interview(requested: object = None, accept_language: str | None = None) -> str:
    """The language of a page that cannot name its interview: `?lang=`, else the browser's, else English."""
    return _code(requested) or from_accept_language(accept_language) or ENGLISH.code


@dataclass(frozen=True)
class Requested:
    """What the request asks for: the `lang` query parameter (or form field) and the Accept-Language header."""

    lang: str | None = None
    accept_language: str | None = None

    @classmethod
    def of(cls, query: dict[str, str] | None, headers: dict[str, str] | None) -> Requested:
        lang = (query or {}).get("lang")
        accept = next((v for k, v in (headers or {}).items() if k.lower() == "accept-language"), None)
        return cls(lang if isinstance(lang, str) else None, accept if isinstance(accept, str) else None)


def switch(current: str, codes: list[str], path: str, query: dict[str, str] | None = None) -> list[dict[str, object]]:
    """The language switch's links (none for a single language): each language by its own name, linking to
    the same page (`path`, keeping `query`) with `?lang=`."""
    if len(codes) < 2:
        return []
    links = []
    for code in codes:
        target: Language = LANGUAGES[code]
        href = f"{path}?{urlencode({**(query or {}), 'lang': code})}"
        links.append(
            {
                "code": code,
                "name": language_name(code, code),
                "href": href,
                "current": code == current,
                "dir": target.direction,
            }
        )
    return links


# The offline interviewer's fixed follow-up lines (panelist.interviews.ai.offline, English), in the session's
# language: the parts they quote (a question, a criterion) stay as the interview wrote them.
_FOLLOW_UPS = (
    (
        re.compile(r"^Let's come back to the question: (?P<question>.+)$", re.S),
        N_("Let's come back to the question: %(question)s"),
    ),
    (
        re.compile(
            r"^Could you go deeper on one point: (?P<point>.+)\? What exactly did you do, and what was the result\?$",
            re.S,
        ),
        N_("Could you go deeper on one point: %(point)s? What exactly did you do, and what was the result?"),
    ),
    (
        re.compile(r"^Can you give a concrete example: what you did, the tools you used, and the result\?$"),
        N_("Can you give a concrete example: what you did, the tools you used, and the result?"),
    ),
)


def localized_follow_up(text: str, code: str) -> str:
    """A follow-up of the offline interviewer in language `code`; any other text (a model's) unchanged."""
    if language(code).code == ENGLISH.code:
        return text
    for pattern, msgid in _FOLLOW_UPS:
        if found := pattern.match(text):
            return page_text(code, msgid, **found.groupdict())
    return text


GREETING = N_("Hello %(name)s! Thank you for joining this interview for %(role)s.")


def greeting(code: str, name: str, role: str) -> str:
    """The interviewer's first line, in the session's language."""
    return page_text(code, GREETING, name=name, role=role)
