"""The candidate pages in the 34 languages: pages.pot is current, every catalog translates every msgid with the same
placeholders, and a page renders in the interview's language (lang, dir, translated text, errors, switch)."""

import importlib.util
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po

from panelist.api import pages
from panelist.core.errors import BadRequest, Forbidden
from panelist.reports import i18n
from panelist.sessions import page_language

SHARED = Path(__file__).resolve().parents[2] / "shared"
PAGES = SHARED / "panelist" / "reports" / "locales" / "pages"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
OTHERS = sorted(set(i18n.LANGUAGES) - {"en"})


def _extractor():  # the script `make generate` runs
    spec = importlib.util.spec_from_file_location("extract_page_messages", SHARED / "extract_page_messages.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _pot() -> set[str]:
    with (PAGES / "pages.pot").open("rb") as source:
        return _ids(read_po(source))


def test_pot_is_current() -> None:
    """Every `_()` of templates/pages/*.j2 (any new template too) and every N_/page_text of the page modules."""
    extractor = _extractor()
    assert (PAGES / "pages.pot").read_bytes() == extractor.render(), "run `make generate` (pages.pot is stale)"
    found = _ids(extractor.catalog())
    assert (
        "I agree to take part in this interview conducted by an AI interviewer. My answers, any recordings and "
        "the signals this page observes (tab switches, pasted text) are shared with the employer." in found
    )
    assert "Please agree to take part before you start." in found  # a flow error, listed in page_language
    assert "Hello %(name)s! Thank you for joining this interview for %(role)s." in found  # the interviewer's line


def _missing() -> dict[str, list[str]]:
    """msgid -> the languages whose catalog does not translate it (or changes its placeholders)."""
    wanted = _pot()
    missing: dict[str, list[str]] = {}
    for code in OTHERS:
        path = PAGES / f"{code}.po"
        strings: dict[str, str] = {}
        if path.is_file():
            with path.open("rb") as source:
                strings = {m.id: m.string for m in read_po(source) if m.id and not m.fuzzy and isinstance(m.id, str)}
        for msgid in wanted:
            string = strings.get(msgid)
            if not (isinstance(string, str) and string.strip()):
                missing.setdefault(msgid, []).append(code)
            elif sorted(PLACEHOLDER.findall(string)) != sorted(PLACEHOLDER.findall(msgid)):
                missing.setdefault(msgid, []).append(f"{code} (placeholders differ)")
    return missing


def test_every_language_translates_every_page_msgid() -> None:
    missing = _missing()
    report = "\n".join(f"  {msgid!r}: {', '.join(codes)}" for msgid, codes in sorted(missing.items()))
    assert not missing, f"{len(missing)} page msgids lack a translation (msgid: languages):\n{report}"


@pytest.mark.parametrize("code", OTHERS)
def test_catalog_has_no_stale_or_html_entries(code: str) -> None:
    path = PAGES / f"{code}.po"
    if not path.is_file():
        pytest.skip(f"no catalog for {code} yet")
    with path.open("rb") as source:
        catalog = read_po(source)
    stale = _ids(catalog) - _pot()
    assert not stale, f"{code}: msgids no longer used: {sorted(stale)}"
    for message in catalog:
        if message.id and isinstance(message.string, str):
            assert not set("<>") & set(message.string), f"{code}: {message.string!r}"


def _render(template: str, language: str, **context):
    return pages.render(template, 200, language=language, **context).body


def test_error_page_in_arabic_is_right_to_left_and_translated() -> None:
    body = _render(
        "error.html.j2", "ar", title="This link has expired", exc=Forbidden("this interview link has expired")
    )
    assert '<html lang="ar" dir="rtl">' in body
    assert "This link has expired" not in body
    assert i18n.page_translations("ar").gettext("This interview link has expired.") in body
    english = _render(
        "error.html.j2", "en", title="This link has expired", exc=Forbidden("this interview link has expired")
    )
    assert '<html lang="en" dir="ltr">' in english
    assert "This interview link has expired." in english


def test_unknown_message_stays_english_and_known_one_is_translated() -> None:
    ja = i18n.page_translations("ja").gettext
    assert page_language.problem_text("please tell us your name", ja) == ja("Please tell us your name.")
    assert ja("Please tell us your name.") != "Please tell us your name."
    assert page_language.problem_text("something new", ja) == "Something new."
    assert page_language.problem_text("this interview is closed (the campaign is paused)", ja) == ja(
        "This interview is closed."
    )


def _interview(**overrides):
    fields = {"role": "Data Engineer", "language": "ja", "candidate_languages": ["ar", "en"], "duration_minutes": 20}
    return SimpleNamespace(**{**fields, **overrides})


def test_language_choice_only_among_offered() -> None:
    assert page_language.choose("ja", ["ar", "en"], "ar") == "ar"
    assert page_language.choose("ja", ["ar", "en"], "de") == "ja"  # not offered: ignored
    assert page_language.choose("ja", [], "ar") == "ja"  # no switch
    assert page_language.choose("pt-BR", [], None) == "br"
    assert page_language.choose("ja", ["ar"], "<script>") == "ja"
    assert page_language.from_accept_language("xx, de-CH;q=0.8, ar;q=0.9") == "ar"
    assert page_language.without_interview(None, "fr-CA,fr;q=0.9") == "fr"
    assert page_language.without_interview("zz", None) == "en"


def test_switch_links_keep_the_token_and_name_each_language_in_itself() -> None:
    links = page_language.switch("ja", ["ja", "ar"], "/interview/take/i-1/", {"interview_token": "t"})
    assert [(link["code"], link["current"]) for link in links] == [("ja", True), ("ar", False)]
    assert links[1]["href"] == "/interview/take/i-1/?interview_token=t&lang=ar"
    assert links[1]["name"] == "العربية"
    assert links[1]["dir"] == "rtl"
    assert page_language.switch("ja", ["ja"], "/x") == []


def test_interviewer_lines_follow_the_session_language() -> None:
    assert page_language.greeting("en", "Ana", "Chef") == "Hello Ana! Thank you for joining this interview for Chef."
    de = page_language.greeting("de", "Ana", "Chef")
    assert "Ana" in de
    assert "Chef" in de
    assert "Hello" not in de
    english = "Can you give a concrete example: what you did, the tools you used, and the result?"
    assert page_language.localized_follow_up(english, "ja") != english
    deeper = "Could you go deeper on one point: test coverage? What exactly did you do, and what was the result?"
    assert "test coverage" in page_language.localized_follow_up(deeper, "fr")
    assert page_language.localized_follow_up("A model's own question?", "fr") == "A model's own question?"


def test_concurrent_languages_do_not_leak() -> None:
    """Translations travel in the render context, not in the shared environment."""
    exc = BadRequest("please tell us your name")
    ar = _render("error.html.j2", "ar", title="Something went wrong", exc=exc)
    en = _render("error.html.j2", "en", title="Something went wrong", exc=exc)
    assert "Please tell us your name." in en
    assert "Please tell us your name." not in ar


def test_dates_use_the_page_language() -> None:
    moment = datetime(2026, 3, 4, 10, 5, tzinfo=UTC)
    assert pages.language_context("de")["format_datetime"](moment) == i18n.format_datetime(moment, "de")
    assert pages.language_context("ar")["page_dir"] == "rtl"
    assert pages.language_context("ja")["page_dir"] == "ltr"
