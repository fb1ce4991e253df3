"""Report languages: the catalogs cover every label, the language table, Babel formatting, the layer's pruned CLDR."""

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import babel
import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from jinja2 import Environment

from panelist.reports import i18n
from panelist.reports.i18n import LANGUAGES, format_date, format_datetime, format_number, format_percent, language

SHARED = Path(__file__).resolve().parents[2] / "shared"
REPORTS = SHARED / "panelist" / "reports"
LOCALES = REPORTS / "locales"
TEMPLATES = SHARED / "panelist" / "templates" / "reports"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
CODES = [
    *("ar", "bg", "zh", "hr", "cs", "da", "nl", "en", "fil", "fi", "fr", "de", "el", "hi", "hu", "id", "it"),
    *("ja", "ko", "ms", "no", "pl", "pt", "br", "ro", "ru", "sk", "es", "sv", "ta", "th", "tr", "uk", "vi"),
]
MOMENT = datetime(2024, 10, 20, 10, 5, tzinfo=UTC)


def _pot() -> list[str]:
    with (LOCALES / "messages.pot").open("rb") as source:
        return [message.id for message in read_po(source) if message.id]


def _used() -> dict[str, str]:
    """Every literal label the report templates and modules translate: msgid -> where."""
    used: dict[str, str] = {}
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    for path in sorted(TEMPLATES.rglob("*.j2")):
        for line, _function, message in env.extract_translations(path.read_text(encoding="utf-8")):
            for text in message if isinstance(message, tuple) else (message,):
                if isinstance(text, str):
                    used.setdefault(text, f"{path.relative_to(SHARED)}:{line}")
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    for path in sorted(REPORTS.glob("*.py")):
        with path.open("rb") as source:
            for line, text, _comments, _context in extract("python", source, keywords=keywords):
                for item in text if isinstance(text, tuple) else (text,):
                    if item:
                        used.setdefault(item, f"{path.relative_to(SHARED)}:{line}")
    return used


def test_pot_lists_unique_labels() -> None:
    msgids = _pot()
    assert len(msgids) == len(set(msgids)) > 50


def test_every_label_used_in_reports_has_translations() -> None:
    """A label added to a template or a report module must be added to messages.pot (and so to every catalog)."""
    missing = {msgid: where for msgid, where in _used().items() if msgid not in set(_pot())}
    assert not missing, f"add to shared/panelist/reports/locales/messages.pot and every <code>.po: {missing}"


def test_one_catalog_per_language_but_english() -> None:
    assert sorted(path.stem for path in LOCALES.glob("*.po")) == sorted(set(CODES) - {"en"})


@pytest.mark.parametrize("code", sorted(set(CODES) - {"en"}))
def test_catalog_translates_every_label_keeping_placeholders(code: str) -> None:
    with (LOCALES / f"{code}.po").open("rb") as source:
        catalog = read_po(source)
    strings = {message.id: message.string for message in catalog if message.id}
    assert set(strings) == set(_pot()), "catalog and messages.pot differ"
    for msgid, string in strings.items():
        assert isinstance(string, str), f"{code}: {msgid!r}"
        assert string.strip(), f"{code}: no translation for {msgid!r}"
        assert sorted(PLACEHOLDER.findall(string)) == sorted(PLACEHOLDER.findall(msgid)), f"{code}: {string!r}"
        assert not any(message.fuzzy for message in catalog if message.id), f"{code}: fuzzy entries"
    # The runtime catalog really is this file and formats its placeholders.
    gettext = i18n.translations(code).gettext
    assert gettext("Overall score") == strings["Overall score"]
    page = gettext("Page %(page)s of %(pages)s") % {"page": 2, "pages": 5}
    assert "2" in page
    assert "5" in page
    assert "%" not in page


def test_english_is_the_msgids() -> None:
    assert i18n.translations("en").gettext("Resume") == "Resume"
    assert i18n.translations("en-US").gettext("Page %(page)s of %(pages)s") == "Page %(page)s of %(pages)s"


def test_known_translations() -> None:
    assert i18n.translations("de").gettext("Resume") == "Lebenslauf"
    assert i18n.translations("ja").gettext("Resume") == "履歴書"
    assert i18n.translations("ar").gettext("Resume") == "السيرة الذاتية"
    assert i18n.translations("pt-BR").gettext("Candidate") == "Candidato"
    assert i18n.translations("br") is i18n.translations("pt-br")  # loaded once per process


def test_language_table() -> None:
    assert list(LANGUAGES) == CODES
    assert {code for code, lang in LANGUAGES.items() if lang.rtl} == {"ar"}
    assert language("ar").direction == "rtl"
    assert language("en").direction == "ltr"
    translate = {code: lang.translate_code for code, lang in LANGUAGES.items() if lang.translate_code != code}
    assert translate == {"fil": "tl", "pt": "pt-PT", "br": "pt"}
    locales = {code: lang.locale for code, lang in LANGUAGES.items() if lang.locale != code}
    assert locales == {"zh": "zh_Hans_CN", "no": "nb", "pt": "pt_PT", "br": "pt_BR"}
    for code, lang in LANGUAGES.items():
        assert language(code) is lang
        assert lang.code == code
        assert lang.name


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("pt-BR", "br"),
        ("pt_BR", "br"),
        ("pt-PT", "pt"),
        ("pt", "pt"),
        ("en-GB", "en"),
        ("EN-us", "en"),
        ("nb", "no"),
        ("nb-NO", "no"),
        ("nn", "no"),
        ("tl", "fil"),
        ("fil-PH", "fil"),
        ("zh-Hans-CN", "zh"),
        ("zh-CN", "zh"),
        ("es-419", "es"),
        ("de-AT", "de"),
        ("German", "de"),
        (" fr ", "fr"),
        ("xx", "en"),
        ("", "en"),
        ("klingon", "en"),
    ],
)
def test_language_maps_session_codes(given: str, code: str) -> None:
    assert language(given).code == code


def test_numbers_follow_the_language() -> None:
    assert format_number(3.5, "de", digits=1) == "3,5"
    assert format_number(3.5, "en", digits=1) == "3.5"
    assert format_number(2.25, "en", digits=1) == "2.3"  # half up, not banker's rounding
    assert format_number(3.0, "en", digits=2) == "3.00"
    assert format_number(1234567, "en") == "1,234,567"
    assert format_number(1234567, "hi") == "12,34,567"  # Indian grouping
    assert format_number(1234567, "fr").replace("\u202f", " ") == "1 234 567"
    assert format_percent(0.934, "en") == "93%"
    assert format_percent(0.934, "tr") == "%93"
    assert format_percent(0.934, "de").replace("\xa0", " ") == "93 %"


def test_dates_follow_the_language_in_utc() -> None:
    assert format_datetime(MOMENT, "en") == "Oct 20, 2024, 10:05\u202fAM UTC"
    assert format_datetime(MOMENT, "de") == "20.10.2024, 10:05 UTC"
    assert format_date(MOMENT, "de") == "20.10.2024"
    assert format_date(MOMENT, "zh") == "2024年10月20日"
    assert format_date(MOMENT, "ja") == "2024/10/20"
    assert "okt" in format_date(MOMENT, "no")  # Bokmål month names
    # Another zone (or a naive UTC datetime) renders the same UTC moment.
    assert format_datetime(MOMENT.astimezone(timezone(timedelta(hours=9))), "ja") == "2024/10/20 10:05 UTC"
    assert format_datetime(MOMENT.replace(tzinfo=None), "fr") == format_datetime(MOMENT, "fr")


@pytest.mark.parametrize("code", CODES)
def test_every_language_formats(code: str) -> None:
    text = format_datetime(MOMENT, code)
    assert text.endswith(" UTC")
    assert "2024" in text  # Gregorian year, Western digits
    assert "05" in text
    assert "2024" in format_date(MOMENT, code)
    assert re.fullmatch(r"[\d.,\s\u202f\xa0\u2019']+", format_number(1234.5, code, digits=1))
    assert "93" in format_percent(0.93, code)
    assert i18n.format_duration(245, code).startswith("4")


def test_pruned_locale_data_serves_every_language(tmp_path: Path) -> None:
    """What the shared layer's Makefile does to Babel (prune_babel.py), then every language still formats."""
    copy = tmp_path / "babel"
    shutil.copytree(Path(babel.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    data = copy / "locale-data"
    before = len(list(data.glob("*.dat")))
    run = subprocess.run(
        [sys.executable, str(SHARED / "prune_babel.py"), str(data)], capture_output=True, text=True, check=True
    )
    kept = {path.stem for path in data.glob("*.dat")}
    assert {"root", "pt_BR", "pt_PT", "pt", "nb", "no", "zh_Hans_CN", "zh_Hans", "zh", "fil", "ar"} <= kept
    assert len(kept) < 60 < before, run.stdout
    script = f"""
import sys
sys.path.insert(0, {str(tmp_path)!r})
from datetime import UTC, datetime
import babel
assert babel.__file__.startswith({str(tmp_path)!r}), babel.__file__
import prune_babel
i18n = prune_babel._i18n()
moment = datetime(2024, 10, 20, 10, 5, tzinfo=UTC)
for code in {CODES!r}:
    assert "2024" in i18n.format_datetime(moment, code) and "2024" in i18n.format_date(moment, code), code
    assert i18n.format_number(1234.5, code, digits=1) and i18n.format_percent(0.5, code), code
    i18n.format_duration(245, code)
print(len({CODES!r}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=SHARED, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "34"
