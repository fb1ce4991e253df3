"""The candidate pages in the interview's language, in a real browser (Chromium, Playwright) on `panelist serve --demo`.

An Arabic interview's invite page is right to left, its notice, consent and errors in Arabic; the consent checkbox
works and the start leads to the session page in Arabic. A Japanese interview's interview-for-profile page (the
signed link of POST /job-interview-token) is in Japanese, and its session too. The Arabic interview lets the
candidate switch to English (`candidate_languages`): the switch's link shows the page in English, a language it
does not offer is ignored. Chromium enforces each page's Content-Security-Policy: the test fails on a violation.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from panelist.reports.i18n import page_translations
from tests.e2e.test_browser_interview import CHROMIUM, PHONE, _csp_violations, _shot

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)"
)
CONSENT = (
    "I agree to take part in this interview conducted by an AI interviewer. My answers, any recordings and the "
    "signals this page observes (tab switches, pasted text) are shared with the employer."
)


def _t(code: str, message: str, **values: object) -> str:
    text = page_translations(code).gettext(message)
    return text % values if values else text


def _interview(client, key: dict[str, str], language: str, candidate_languages: list[str]) -> dict:
    body = {
        "role": "Data Engineer",
        "description": "Builds and runs the data pipelines of a retailer.",
        "skills": [{"name": "SQL"}],
        "questions": [
            {
                "skill": "SQL",
                "prompt": "سؤال: كيف تحسّن استعلامًا بطيئًا؟" if language == "ar" else "遅いクエリをどう改善しますか",
                "evaluation_criteria": ["Measures before changing"],
                "expectations": {"strong": "Profiles first", "moderate": "Adds an index", "weak": "Guesses"},
            }
        ],
        "duration_minutes": 15,
        "language": language,
        "candidate_languages": candidate_languages,
        "status": "published",
    }
    created = client.request("POST", "/api/interviews", body=body, headers=key)
    assert created.status == 201, created.raw
    assert created.json["candidate_languages"] == candidate_languages
    return created.json


@pytest.fixture(scope="module")
def key(served) -> dict[str, str]:
    return {"Authorization": f"Bearer {served['demo']['admin_key']}"}


@pytest.fixture(scope="module")
def browser(served):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (dev dependency)")
    with sync_api.sync_playwright() as running:
        launched = running.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


def _page(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors, _csp_violations(page)


def _html(page) -> tuple[str | None, str | None]:
    root = page.locator("html")
    return root.get_attribute("lang"), root.get_attribute("dir")


def _notice_heading(page, code: str) -> None:
    """The AI notice is on the page before the start form, its heading in the page's language."""
    heading = page.locator("#ai-notice-heading")
    expected = _t(code, "About this AI interview")
    assert expected != "About this AI interview"
    assert heading.inner_text() == expected
    assert heading.is_visible()
    before_consent = "document.getElementById('ai-notice').compareDocumentPosition(document.querySelector("
    before_consent += "'input[name=consent]')) & Node.DOCUMENT_POSITION_FOLLOWING"
    assert page.evaluate(before_consent), "the notice comes before the consent"


def test_an_arabic_invite_is_right_to_left_and_starts_an_arabic_session(browser, client, served, key):
    interview = _interview(client, key, "ar", ["en"])
    project = client.request("POST", "/api/projects", body={"name": "Arabic hiring"}, headers=key)
    assert project.status == 201, project.raw
    body = {"name": "AR", "script_id": interview["id"], "project_id": project.json["id"]}
    campaign = client.request("POST", "/api/campaigns", body=body, headers=key)
    assert campaign.status == 201, campaign.raw
    invited = client.request(
        "POST", f"/api/campaigns/{campaign.json['id']}/invites", body={"emails": ["amal@example.com"]}, headers=key
    )
    assert invited.status == 201, invited.raw
    token = invited.json["invites"][0]["token"]
    context, page, errors, violations = _page(browser)
    base = served["base_url"]

    page.goto(f"{base}/interview/{token}?lang=de")  # not offered: ignored, the interview's Arabic
    assert _html(page) == ("ar", "rtl")
    assert page.get_by_role("heading", level=1).inner_text() == _t(
        "ar", "Your interview for %(role)s", role="Data Engineer"
    )
    consent = page.get_by_label(_t("ar", CONSENT), exact=True)
    assert _t("ar", CONSENT) != CONSENT
    assert consent.count() == 1
    _notice_heading(page, "ar")
    _shot(page, "lang-01-invite-ar")

    # The switch: English, then back to Arabic.
    page.get_by_role("link", name="English").click()
    assert _html(page) == ("en", "ltr")
    assert page.get_by_label(CONSENT, exact=True).count() == 1
    page.get_by_role("link", name="العربية").click()
    assert _html(page) == ("ar", "rtl")

    page.get_by_role("textbox", name=_t("ar", "Your full name"), exact=True).first.fill("أمل حسن")
    page.get_by_role("button", name=_t("ar", "Start the interview")).click()
    assert page.get_by_role("alert").inner_text() == _t("ar", "Please agree to take part before you start.")
    assert _html(page) == ("ar", "rtl")
    page.get_by_label(_t("ar", CONSENT), exact=True).check()
    assert page.get_by_label(_t("ar", CONSENT), exact=True).is_checked()
    page.get_by_role("button", name=_t("ar", "Start the interview")).click()
    page.wait_for_url(re.compile(r"/interview/session/"))
    assert _html(page) == ("ar", "rtl")
    assert page.locator("#progress-label").inner_text() == _t(
        "ar", "Question %(number)s of %(total)s", number=1, total=1
    )
    assert page.get_by_label(_t("ar", "Your answer")).count() == 1
    _shot(page, "lang-02-session-ar")
    assert not errors, errors
    assert not violations, violations
    context.close()


def test_a_japanese_interview_for_profile_page_and_session(browser, client, served, key):
    interview = _interview(client, key, "ja", [])
    body = {
        "type": "interview-for-profile",
        "interview_id": interview["id"],
        "interview_profile_id": served["demo"]["ids"]["candidates"][0]["id"],
    }
    link = client.request("POST", "/job-interview-token", body=body, headers={"apiKey": served["demo"]["admin_key"]})
    assert link.status == 200, link.raw
    url = urlsplit(link.json)
    context, page, errors, violations = _page(browser)

    page.goto(f"{served['base_url']}{url.path}?{url.query}&lang=ar")  # no switch: stays Japanese
    assert _html(page) == ("ja", "ltr")
    assert page.get_by_role("heading", name=_t("ja", "Before you start")).count() == 1
    assert not page.locator("nav.languages").count()
    _notice_heading(page, "ja")
    page.get_by_role("button", name=_t("ja", "Start the interview")).click()
    assert page.get_by_role("alert").inner_text() == _t("ja", "Please agree to take part before you start.")
    consent = page.get_by_label(_t("ja", CONSENT), exact=True)
    consent.check()
    assert consent.is_checked()
    _shot(page, "lang-03-take-ja")
    page.get_by_role("button", name=_t("ja", "Start the interview")).click()
    page.wait_for_url(re.compile(r"/interview/session/"))
    assert _html(page) == ("ja", "ltr")
    assert page.get_by_role("button", name=_t("ja", "Submit answer")).count() == 1
    assert page.locator("#progress-label").inner_text() == _t(
        "ja", "Question %(number)s of %(total)s", number=1, total=1
    )
    _shot(page, "lang-04-session-ja")
    assert not errors, errors
    assert not violations, violations
    context.close()
