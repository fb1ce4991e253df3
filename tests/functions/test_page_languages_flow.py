"""The candidate pages in the interview's language through the handlers: the invite page, its language switch
(`candidate_languages`), the start form's `lang`, the session's language, the interviewer's fixed lines and
the errors a candidate reads."""

from __future__ import annotations

import json

import pytest

from panelist.interviews import ai
from panelist.interviews.ai.model import provenance
from panelist.interviews.ai.offline import OFFLINE_ENGINE
from panelist.interviews.store import get_interview, save_new_interview
from panelist.reports.i18n import page_translations
from tests.functions.test_interview_flow import _answer, _interview, _invite, _page, _session_of, _start, _token
from tests.functions.test_interviews_resource import _create, _patch

EXAMPLE = "Can you give a concrete example: what you did, the tools you used, and the result?"


def _t(code: str, message: str, **values: object) -> str:
    text = page_translations(code).gettext(message)
    return text % values if values else text


class Example:
    """The offline interviewer's own follow-up line to every main answer."""

    def follow_up_decision(self, question, answer_text: str) -> ai.FollowUp:
        return ai.FollowUp(EXAMPLE, provenance(OFFLINE_ENGINE))


@pytest.fixture
def example(monkeypatch):
    monkeypatch.setattr(ai, "provider", Example)


@pytest.fixture
def japanese(tenant_a):
    interview = _interview(tenant_a.id)
    interview = save_new_interview(
        interview.model_copy(update={"id": interview.id + "j", "language": "ja", "candidate_languages": ["ar", "en"]})
    )
    return interview, _invite(tenant_a.id, interview)


def _invite_page(api, token: str, query: dict[str, str] | None = None, headers: dict[str, str] | None = None):
    return api(
        "open_invite",
        path=f"/interview/{token}",
        path_params={"token": token},
        query=query or {},
        headers=headers or {},
    )


def test_the_invite_page_is_in_the_interviews_language_and_switches_only_to_offered_ones(api, japanese):
    _, invite = japanese
    page = _invite_page(api, invite.token)
    assert page.status == 200
    assert '<html lang="ja" dir="ltr">' in page.body
    assert _t("ja", "Start the interview") in page.body
    assert 'name="lang" value="ja"' in page.body
    assert f"/interview/{invite.token}?lang=ar" in page.body  # the switch: each offered language
    assert 'lang="ar" dir="rtl" hreflang="ar">العربية</a>' in page.body

    arabic = _invite_page(api, invite.token, {"lang": "ar"})
    assert '<html lang="ar" dir="rtl">' in arabic.body
    assert _t("ar", "Start the interview") in arabic.body
    assert "Start the interview" not in arabic.body

    for ignored in ("de", "xx", "<b>", "a" * 100):  # not offered, unknown, hostile: the interview's own
        assert '<html lang="ja" dir="ltr">' in _invite_page(api, invite.token, {"lang": ignored}).body


def test_a_broken_invite_link_speaks_the_browsers_language(api, tenant_a):
    page = _invite_page(api, "inv_nothing", headers={"Accept-Language": "de-CH, de;q=0.9, en;q=0.5"})
    assert page.status == 404
    assert '<html lang="de" dir="ltr">' in page.body
    assert _t("de", "Invite not found.") in page.body
    assert _t("de", "This link does not work") in page.body
    english = _invite_page(api, "inv_nothing")
    assert '<html lang="en" dir="ltr">' in english.body
    assert "Invite not found." in english.body


def test_a_refused_start_says_why_in_the_chosen_language(api, japanese):
    _, invite = japanese
    reply = _start(api, invite.token, {"name": "Amal", "lang": "ar"})
    assert reply.status == 400
    assert '<html lang="ar" dir="rtl">' in reply.body
    assert _t("ar", "Please agree to take part before you start.") in reply.body


def test_the_session_continues_in_the_chosen_language_with_the_interviewers_lines(api, japanese, example):
    interview, invite = japanese
    token = _token(_start(api, invite.token, {"name": "Amal Hassan", "consent": "on", "lang": "ar"}))
    session = _session_of(token)
    assert session.language == "ar"
    greeting = session.turns[0].text
    assert greeting == _t(
        "ar",
        "Hello %(name)s! Thank you for joining this interview for %(role)s.",
        name="Amal Hassan",
        role=interview.role,
    )
    assert "Hello" not in greeting
    page = _page(api, token)
    assert '<html lang="ar" dir="rtl">' in page.body
    assert _t("ar", "Question %(number)s of %(total)s", number=1, total=3) in page.body
    # the script's strings, in its JSON data (\u escapes)
    assert json.dumps(_t("ar", "Recording saved. It is sent with your answer."))[1:-1] in page.body
    assert _answer(api, token, "I used SQL.").status == 303
    follow_up = _session_of(token).turns[-1].text
    assert follow_up == _t("ar", EXAMPLE) != EXAMPLE
    assert _t("ar", "Follow-up") in _page(api, token).body


def test_without_a_choice_the_session_keeps_the_interviews_language_tag(api, tenant_a, example):
    interview = _interview(tenant_a.id)
    interview = save_new_interview(interview.model_copy(update={"id": interview.id + "d", "language": "de-AT"}))
    invite = _invite(tenant_a.id, interview)
    token = _token(_start(api, invite.token, {"name": "Anna", "consent": "on", "lang": "fr"}))  # not offered
    session = _session_of(token)
    assert session.language == "de-AT"  # as before: the transcription uses it
    assert session.turns[0].text.startswith("Hallo Anna!")
    assert '<html lang="de" dir="ltr">' in _page(api, token).body


def test_candidate_languages_through_the_api(api, tenant_a):
    created = _create(api, tenant_a, candidate_languages=["pt-BR", "ar", "ar"])
    assert created.status == 201, created.body
    assert created.body["candidate_languages"] == ["br", "ar"]
    assert _create(api, tenant_a).body["candidate_languages"] == []  # default: no switch
    bad = _create(api, tenant_a, candidate_languages=["xx"])
    assert bad.status == 400
    assert bad.body["error"]["details"]["field"].startswith("candidate_languages")
    interview_id = created.body["id"]
    changed = _patch(api, tenant_a, interview_id, candidate_languages=["ja"])
    assert changed.status == 200, changed.body
    assert changed.body["candidate_languages"] == ["ja"]
    assert changed.body["version"] == created.body["version"]  # not content: no new version
    refused = _patch(api, tenant_a, interview_id, candidate_languages=["klingon"])
    assert refused.status == 400
    assert refused.body["error"]["details"]["field"].startswith("candidate_languages")
    assert get_interview(tenant_a.id, interview_id).candidate_languages == ["ja"]
