"""Reports in the 34 report languages: localized labels in the PDF's text, right to left for Arabic."""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter

import pytest
from pypdf import PdfReader

from panelist.models.reports import DEFAULT_FEATURES
from panelist.reports.i18n import translations
from panelist.reports.pdf import render_pdf
from panelist.reports.pipeline import parts_for
from panelist.reports.result import TranslationNote, result_document
from tests.unit.reports_data import ORGANIZATION, fake_file_links, make_source

SAMPLE = ("ar", "zh", "ja", "ko", "hi", "ta", "th", "ru", "el", "uk")
TITLES = ("Transcript", "AI recruiter assessment", "Contact details", "Speech analytics")


@pytest.fixture(autouse=True)
def fake_links(monkeypatch):
    fake_file_links(monkeypatch)


def _letters(text: str) -> str:
    """Text made comparable with what a PDF's text extraction gives back.

    Compatibility forms (Arabic presentation forms) are folded and spaces dropped. So are vowel signs and
    other combining marks: shaping reorders them in Indic scripts (a Tamil or Devanagari vowel sign drawn
    before its consonant is extracted before it), so the letters' skeleton is what is compared.
    """
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c) not in ("Mn", "Mc"))


# A PDF maps each glyph back to one piece of text. WeasyPrint maps a conjunct or reordered glyph to the
# text it first drew it for, so Devanagari and Tamil words can come back with a letter swapped for one
# of another word (the page itself is right: looked at with pdftoppm). For them a title counts as found
# when three quarters of its letters are in one place.
LOSSY_EXTRACTION = {"hi": 0.75, "ta": 0.75}


def _appears(word: str, text: str, share: float = 1.0) -> bool:
    """`word` in `text`, in order or, where shaping moved letters, as (`share` of) its letters close together.

    Extraction gives right-to-left text in visual order and Indic vowel signs and reph where they are drawn,
    so the test looks for the word's letters within a window two letters longer than the word.
    """
    if word in text:
        return True
    wanted, size = Counter(word), len(word) + 2
    needed = share * len(word)
    return any(
        len(word) - (wanted - Counter(text[i : i + size])).total() >= needed
        for i in range(max(1, len(text) - size + 1))
    )


@pytest.mark.parametrize("code", SAMPLE)
def test_section_titles_are_localized_in_the_pdf(code):
    features = DEFAULT_FEATURES.model_copy(update={"mojito_language_code": code})
    [part] = parts_for(ORGANIZATION, [make_source()], code, charge=None)  # as an export prepares it
    html = result_document(
        part.source, features=features, language=part.language, base_url="https://api.test", note=part.note
    )
    text = _letters(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(render_pdf(html))).pages))
    catalog = translations(code)
    for title in TITLES:
        localized = _letters(catalog.gettext(title))
        assert localized != _letters(title), f"{code}: {title!r} is not translated"
        assert _appears(localized, text, LOSSY_EXTRACTION.get(code, 1.0)), (
            f"{code}: {catalog.gettext(title)!r} not in the PDF"
        )


def test_arabic_reports_are_laid_out_right_to_left():
    source = make_source()
    html = result_document(source, features=DEFAULT_FEATURES, language="ar", base_url="")
    assert re.search(r'<html[^>]*\blang="ar"', html)
    assert re.search(r'<html[^>]*\bdir="rtl"', html)
    english = result_document(source, features=DEFAULT_FEATURES, language="en", base_url="")
    assert re.search(r'<html[^>]*\bdir="ltr"', english)


def test_untranslated_content_keeps_its_own_direction_in_a_right_to_left_report():
    source = make_source()
    answer = source.session.answers[0].text
    untranslated = TranslationNote("en", machine_translated=False)
    html = result_document(source, features=DEFAULT_FEATURES, language="ar", base_url="", note=untranslated)
    assert f'<p class="qa-text" lang="en" dir="ltr">{answer}</p>' in html
    # Content in the labels' language (translated, or never foreign) is laid out with the page.
    translated = TranslationNote("en", machine_translated=True)
    html = result_document(source, features=DEFAULT_FEATURES, language="ar", base_url="", note=translated)
    assert f'<p class="qa-text">{answer}</p>' in html
