"""The AI notice on the invite and take pages, before anything starts, and the consent that records its version."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from panelist.candidates.campaigns import get_invite_by_token
from panelist.compliance import store as compliance_store
from panelist.compliance.notice import notice_for
from panelist.models.compliance import HiringSettings, RetentionPolicy
from panelist.sessions.store import candidate_session_ids, get_session
from panelist_local import demo
from tests.functions.test_interview_flow import FORM, _interview, _invite, _session_of, _token

OWN_WORDS = "Acme reviews every AI score by hand before any decision."


def _settings(org_id: str, *, version: int = 3, **extra) -> HiringSettings:
    settings = HiringSettings(
        organization_id=org_id,
        notice_text={"en": OWN_WORDS, "de": "Acme prüft jede KI-Bewertung von Hand."},
        alternative_contact="people@acme.example",
        retention=RetentionPolicy(recordings_days=30, transcripts_days=90, results_days=365),
        notice_version=version,
        **extra,
    )
    compliance_store.put_settings(settings, read_revision=None)
    return settings


def _open_invite(api, token: str):
    return api("open_invite", path=f"/interview/{token}", path_params={"token": token})


def _start(api, token: str, form: dict[str, str]):
    return api(
        "start_interview",
        path=f"/interview/{token}/start",
        path_params={"token": token},
        raw_body=urlencode(form),
        headers=FORM,
    )


def _take_link(api, tenant, interview_id: str, candidate_id: str) -> str:
    body = {"type": "interview-for-profile", "interview_id": interview_id, "interview_profile_id": candidate_id}
    reply = api("create_job_interview_token", body=body, headers=tenant.as_member())
    assert reply.status == 200, reply.body
    return reply.body


def _take(api, url: str, form: str | None = None):
    parts = urlsplit(url)
    interview_id = parts.path.split("/")[3]
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if form is None:
        return api("take_interview", path=parts.path, path_params={"interview_id": interview_id}, query=query)
    return api(
        "start_profile_interview",
        path=parts.path.rstrip("/"),
        path_params={"interview_id": interview_id},
        query=query,
        raw_body=form,
        headers=FORM,
    )


def _assert_notice_before_the_form(html: str, version: int) -> None:
    notice_at = html.index('id="ai-notice"')
    form_at = html.index('name="consent"')
    assert notice_at < form_at, "the notice comes before the start form"
    notice = html[notice_at:form_at]
    assert "An AI interviewer conducts this interview and scores your answers." in notice
    assert OWN_WORDS in notice
    assert "30 days after the interview" in notice
    assert "90 days after the interview" in notice
    assert "365 days after the interview" in notice
    assert "people@acme.example" in notice
    assert "alternative process" in notice
    assert f'name="notice_version" value="{version}"' in html
    assert html.index('id="accommodation"') > 0


@pytest.fixture
def invited(tenant_a):
    interview = _interview(tenant_a.id)
    return tenant_a, interview, _invite(tenant_a.id, interview)


def test_the_invite_page_shows_the_notice_before_the_start_form(api, invited):
    tenant, interview, invite = invited
    _settings(tenant.id)
    reply = _open_invite(api, invite.token)
    assert reply.status == 200, reply.body
    _assert_notice_before_the_form(reply.body, 3)
    for skill in interview.skills:
        assert f"<li>{skill.name}</li>" in reply.body, "what is assessed: the interview's skills"


def test_the_take_page_shows_the_notice_before_the_start_form(api, tenant_a):
    _settings(tenant_a.id, version=4)
    interview = _interview(tenant_a.id)
    candidate = demo._candidate(tenant_a.id, "Chen Wei", "chen@example.com", "+1 555 0100", "Toronto", ["Engineer"])
    reply = _take(api, _take_link(api, tenant_a, interview.id, candidate.id))
    assert reply.status == 200, reply.body
    _assert_notice_before_the_form(reply.body, 4)


def test_an_organization_without_settings_shows_the_default_notice(api, invited):
    _, _, invite = invited
    html = _open_invite(api, invite.token).body
    assert "An AI interviewer conducts this interview" in html
    assert "Until the organization deletes them or you ask for erasure" in html
    assert OWN_WORDS not in html
    assert 'name="notice_version" value="1"' in html


def test_consent_records_the_notice_version_and_language(api, invited):
    tenant, _, invite = invited
    _settings(tenant.id)
    started = _start(api, invite.token, {"consent": "on", "name": "Sam Lee", "notice_version": "3", "lang": "en"})
    session = _session_of(_token(started))
    assert (session.consent_notice_version, session.consent_language) == (3, "en")
    detail = api(
        "get_session", path=f"/api/sessions/{session.id}", path_params={"id": session.id}, headers=tenant.as_member()
    )
    assert detail.status == 200, detail.body
    assert detail.body["consent"]["notice_version"] == 3
    assert detail.body["consent"]["language"] == "en"
    assert detail.body["consent"]["at"].startswith(session.consented_at.isoformat()[:19])


def test_a_start_without_a_version_agrees_to_the_current_notice(api, invited):
    tenant, _, invite = invited
    _settings(tenant.id, version=7)
    session = _session_of(_token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"})))
    assert session.consent_notice_version == 7


def test_a_stale_notice_version_is_refused_and_the_new_notice_shown(api, invited):
    tenant, _, invite = invited
    _settings(tenant.id, version=5)
    refused = _start(api, invite.token, {"consent": "on", "name": "Sam Lee", "notice_version": "4"})
    assert refused.status == 409, refused.body
    assert refused.headers["Content-Type"].startswith("text/html")
    assert 'role="alert"' in refused.body
    assert 'name="notice_version" value="5"' in refused.body, "the page again, with the current notice"
    assert get_invite_by_token(tenant.id, invite.token).session_id is None, "nothing started"
    assert _start(api, invite.token, {"consent": "on", "name": "Sam Lee", "notice_version": "5"}).status == 303


def test_a_version_that_is_not_a_number_is_a_400_naming_it(api, invited):
    _, _, invite = invited
    reply = _start(api, invite.token, {"consent": "on", "name": "Sam Lee", "notice_version": "v2<script>"})
    assert reply.status == 400
    assert "notice version" in reply.body.lower()
    assert "<script>" not in reply.body


def test_the_take_start_records_the_version_and_refuses_a_stale_one(api, tenant_a):
    _settings(tenant_a.id, version=2)
    interview = _interview(tenant_a.id)
    candidate = demo._candidate(tenant_a.id, "Chen Wei", "chen@example.com", "+1 555 0100", "Toronto", ["Engineer"])
    url = _take_link(api, tenant_a, interview.id, candidate.id)
    refused = _take(api, url, "consent=on&notice_version=1")
    assert refused.status == 409
    assert 'name="notice_version" value="2"' in refused.body
    assert candidate_session_ids(tenant_a.id, candidate.id) == []
    started = _take(api, url, "consent=on&notice_version=2")
    assert started.status == 303, started.body
    [session_id] = candidate_session_ids(tenant_a.id, candidate.id)
    assert get_session(tenant_a.id, session_id).consent_notice_version == 2


def test_the_notice_is_in_the_interviews_language_else_english(tenant_a):
    interview = _interview(tenant_a.id)
    settings = HiringSettings(organization_id=tenant_a.id, notice_text={"en": "E", "de": "D"})
    german = interview.model_copy(update={"language": "de-DE"})
    assert (notice_for(settings, german).organization_text, notice_for(settings, german).language) == ("D", "de")
    japanese = interview.model_copy(update={"language": "ja"})
    assert notice_for(settings, japanese).organization_text == "E"
    assert notice_for(settings, japanese).organization_text_language == "en"
    bare = HiringSettings(organization_id=tenant_a.id, notice_text={"fr": "F"})
    assert notice_for(bare, japanese).organization_text is None
    assert notice_for(settings, interview).skills == list(dict.fromkeys(s.name for s in interview.skills))


def test_the_organizations_words_are_escaped(api, invited):
    tenant, _, invite = invited
    compliance_store.put_settings(
        HiringSettings(organization_id=tenant.id, notice_text={"en": "<img src=x onerror=alert(1)>"}),
        read_revision=None,
    )
    html = _open_invite(api, invite.token).body
    assert "<img src=x" not in html
    assert re.search(r"&lt;img src=x onerror=alert\(1\)&gt;", html)
