# ruff: noqa: RUF001
"""The report fonts (layers/pdf/fonts.py): every report language's script has glyphs, and WeasyPrint uses them.

tests/conftest.py points FONTCONFIG_FILE at the repository's .tools/fonts (installing it with fonts.py when
missing), the same fonts and fallback order as the PDF layer's /opt/fonts.
"""

import importlib.util
import io
import os
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from panelist.reports.i18n import LANGUAGES
from panelist.reports.pdf import render_pdf

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "pdf"
LOCALES = ROOT / "shared" / "panelist" / "reports" / "locales"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fonts = _load("panelist_pdf_fonts", LAYER / "fonts.py")

# A real sentence per report language: its letters and diacritics, and the punctuation its labels use (the
# full-width and curly marks are meant: RUF001 is off for this file).
SAMPLES = {
    "ar": "مرحبا بالعالم: تقرير المقابلة، المرشح ١٢٣ (٪٥٠)؟",
    "bg": "Здравейте, свят! Кандидат: Щастливи ъгли, Юлия, Ярослав.",
    "zh": "你好，世界！面试报告：候选人「张伟」的评估。",
    "hr": "Pozdrav svijete: kandidat Đurđa Čović, šećer, žuti džep.",
    "cs": "Dobrý den, světe: uchazeč. Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "da": "Hej verden: ansøger Søren Ærø, på blåbærgrød.",
    "nl": "Hallo wereld: sollicitant, één coöperatie, ‘ĳs’ en “café”.",
    "en": "Hello world: Bewerber Résumé, the candidate’s “interview” — 100% done…",
    "fil": "Kumusta mundo: aplikante, Señor Niño, panayam.",
    "fi": "Hei maailma: hakija Äänekoski, Öljy, Šakki.",
    "fr": "Bonjour le monde : candidat, Résumé, œuvre, « élève » à Noël, 1 234,5 €.",
    "de": "Hallo Welt: Bewerber Jürgen Größe, Übung, „Äpfel“.",
    "el": "Καλησπέρα κόσμε: Υποψήφιος, συνέντευξη, ΐ ΰ ς.",
    "hi": "नमस्ते दुनिया: उम्मीदवार की रिपोर्ट, क्षेत्र, श्रद्धा, द्वार, प्रश्न।",
    "hu": "Helló világ: jelentkező, őszintén, űrhajó, Árvíztűrő tükörfúrógép.",
    "id": "Halo dunia: pelamar, wawancara kerja.",
    "it": "Ciao mondo: candidato, perché, città, più.",
    "ja": "こんにちは世界：応募者レポート、面接官（カタカナ・ひらがな）。",
    "ko": "안녕하세요 세계: 지원자 보고서, 면접관 평가입니다.",
    "ms": "Helo dunia: pemohon, temu duga.",
    "no": "Hei verden: søker Åse Ødegård, Ærlig.",
    "pl": "Witaj świecie: kandydat. Zażółć gęślą jaźń, Łódź.",
    "pt": "Olá mundo: candidato, avaliação, não, à, Conceição.",
    "br": "Olá, mundo: candidato, entrevista, ação, você.",
    "ro": "Salut lume: candidat, Ștefan Țăran, încă, până, ÂÎ.",
    "ru": "Здравствуйте, мир: кандидат Ёжиков, съешь же ещё этих булок.",
    "sk": "Ahoj svet: uchádzač, ľúbostný, kôň, päť, ŕ, Ĺ.",
    "es": "Hola mundo: candidato, ¿qué tal?, ¡señor Muñoz!",
    "sv": "Hej världen: sökande, Åsa Öberg, är.",
    "ta": "வணக்கம் உலகம்: விண்ணப்பதாரர் அறிக்கை, ஸ்ரீ, க்ஷ.",
    "th": "สวัสดีชาวโลก: ผู้สมัคร รายงานการสัมภาษณ์ ฯลฯ",
    "tr": "Merhaba dünya: aday, İstanbul, ığüşöç, IĞÜŞÖÇ.",
    "uk": "Привіт, світе: кандидат, Їжак, ґанок, Євген, м’ята.",
    "vi": "Xin chào thế giới: Tiếng Việt, ứng viên, phỏng vấn, đánh giá, Ở Ữ Ỹ.",
}


def _checked(text: str) -> set[str]:
    """The characters a font must draw: not control or format characters (ZWJ, bidi marks), not newlines."""
    return {c for c in text if unicodedata.category(c) not in ("Cc", "Cf")}


@pytest.fixture(scope="module")
def font_dir() -> Path:
    conf = os.environ.get("FONTCONFIG_FILE", "")
    assert Path(conf).is_file(), "tests/conftest.py points FONTCONFIG_FILE at .tools/fonts/fonts.conf"
    folder = Path(ET.parse(conf).getroot().findtext("dir") or "")  # noqa: S314 - our own file
    assert folder.is_dir(), f"{conf} names no font folder"
    return folder


@pytest.fixture(scope="module")
def cmaps(font_dir) -> dict[str, set[int]]:
    found = {path.name: set(TTFont(path, lazy=True).getBestCmap()) for path in sorted(font_dir.glob("*.ttf"))}
    assert set(found) == {name for names in fonts.FONTS.values() for name in names}
    return found


def _uncovered(text: str, cmaps: dict[str, set[int]]) -> list[str]:
    return sorted(f"{c} U+{ord(c):04X}" for c in _checked(text) if not any(ord(c) in cmap for cmap in cmaps.values()))


def test_a_sample_for_every_report_language():
    assert set(SAMPLES) == set(LANGUAGES)


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_every_character_of_each_language_has_a_glyph(code, cmaps):
    assert _uncovered(SAMPLES[code], cmaps) == []


def test_whole_scripts_are_covered(cmaps):
    """Not only the samples' letters: Hangul syllables, kana and the common Han characters entirely."""
    blocks = {
        "Hangul syllables": range(0xAC00, 0xD7A4),
        "Hiragana": [*range(0x3041, 0x3095), *range(0x3099, 0x309F)],  # not the rare small ka, ke (3095, 3096)
        "Katakana": [*range(0x30A1, 0x30F7), *range(0x30FB, 0x30FF)],  # not the rare va, vi, ve, vo (30F7-30FA)
        # Droid Sans Fallback lacks the single angle brackets 〈〉 and the white square brackets 〚〛.
        "CJK punctuation": [c for c in range(0x3000, 0x3020) if c not in (0x3004, 0x3008, 0x3009, 0x301A, 0x301B)],
        "Thai": [*range(0x0E01, 0x0E3B), *range(0x0E3F, 0x0E5C)],
        "Tamil": [0x0B82, 0x0B83, *range(0x0B85, 0x0B8B), *range(0x0BE6, 0x0BFB)],
        "Devanagari": range(0x0900, 0x0950),
        "Arabic": range(0x0621, 0x064B),
        "Cyrillic": range(0x0400, 0x0460),
        "Greek": [c for c in range(0x0386, 0x03CF) if c not in (0x0387, 0x038B, 0x038D, 0x03A2)],
        "Vietnamese": range(0x1EA0, 0x1EFA),
    }
    everything = set().union(*cmaps.values())
    for block, chars in blocks.items():
        missing = [f"U+{c:04X}" for c in chars if c not in everything]
        assert not missing, f"{block}: {missing[:20]}"
    han = [f"U+{c:04X}" for c in range(0x4E00, 0x9FA6) if c not in everything]  # Unicode 1.1's 20,902
    assert not han, f"{len(han)} CJK unified ideographs have no glyph: {han[:20]}"


def test_every_translated_label_has_glyphs(cmaps):
    catalogs = sorted(LOCALES.glob("*.po"))
    if not catalogs:
        pytest.skip("no report catalogs (shared/panelist/reports/locales/*.po) yet")
    from babel.messages.pofile import read_po

    problems = {}
    for path in catalogs:
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
            for text in strings:
                if text and (missing := _uncovered(text, cmaps)):
                    problems[f"{path.name}: {message.id!r}"] = missing
    assert problems == {}


# ------------------------------------------------------------------ rendering


# A page per script: the family fontconfig must pick for it, and the sample drawn regular and bold.
SCRIPTS = {
    "ar": ("NotoSansArabic", "NotoSansArabicBold"),
    "hi": ("NotoSansDevanagari", "NotoSansDevanagariBold"),
    "ta": ("NotoSansTamil", "NotoSansTamilBold"),
    "th": ("NotoSansThai", "NotoSansThaiBold"),
    "zh": ("DroidSansFallback",),
    "ja": ("DroidSansFallback",),
    "ko": ("DroidSansFallback",),
    "ru": ("DejaVuSans", "DejaVuSansBold"),
    "uk": ("DejaVuSans", "DejaVuSansBold"),
    "el": ("DejaVuSans", "DejaVuSansBold"),
    "vi": ("DejaVuSans", "DejaVuSansBold"),
    "tr": ("DejaVuSans", "DejaVuSansBold"),
}
# The report stylesheet's stack (templates/reports/report.css).
PAGE = """<!doctype html><html lang="{lang}" dir="{dir}"><head><style>
@page {{ size: A5; margin: 10mm }}
body {{ font-family: "DejaVu Sans", "Helvetica Neue", Helvetica, Arial, sans-serif; font-size: 11pt }}
</style></head><body><p>{text}</p><p><b>{text}</b></p></body></html>"""


def _base_fonts(pdf: bytes) -> set[str]:
    """Embedded fonts' names without subset tag and hyphens: "ABCDEF+Noto-Sans-Tamil-Bold" is NotoSansTamilBold."""
    names: set[str] = set()

    def walk(resources: DictionaryObject) -> None:
        for font in (resources.get("/Font") or {}).values():
            name = re.sub(r"^[A-Z]{6}\+", "", str(font.get_object()["/BaseFont"]).lstrip("/"))
            names.add(name.replace("-", ""))
        for xobject in (resources.get("/XObject") or {}).values():
            inner = xobject.get_object().get("/Resources")
            if inner is not None:
                walk(inner.get_object())

    for page in PdfReader(io.BytesIO(pdf)).pages:
        walk(page["/Resources"].get_object())
    return names


@pytest.mark.parametrize("code", sorted(SCRIPTS))
def test_each_script_renders_with_its_font(code):
    rtl = LANGUAGES[code].rtl
    pdf = render_pdf(PAGE.format(lang=code, dir="rtl" if rtl else "ltr", text=SAMPLES[code]))
    embedded = _base_fonts(pdf)
    expected = set(SCRIPTS[code])
    assert expected <= embedded
    # Punctuation and digits come from DejaVu Sans (or the script's own font); nothing else is drawn with.
    assert embedded <= expected | {"DejaVuSans", "DejaVuSansBold"}, embedded


def test_a_latin_report_needs_no_fallback_font():
    pdf = render_pdf(PAGE.format(lang="de", dir="ltr", text=SAMPLES["de"] + " " + SAMPLES["cs"] + SAMPLES["ro"]))
    assert _base_fonts(pdf) == {"DejaVuSans", "DejaVuSansBold"}


# ------------------------------------------------------------------ installation


def test_fonts_conf_is_self_contained_and_orders_the_fallbacks():
    conf = ET.fromstring(fonts.fonts_conf("/opt/fonts", "/tmp/fontconfig"))  # noqa: S314 - our own text
    assert [d.text for d in conf.iter("dir")] == ["/opt/fonts"]
    assert [d.text for d in conf.iter("cachedir")] == ["/tmp/fontconfig"]
    assert not list(conf.iter("include")), "no system configuration: only the shipped fonts"
    appended = [s.text for s in conf.find("match[@target='pattern']/edit").iter("string")]
    assert appended == [fonts.SANS, *fonts.FALLBACK]


def test_a_rerun_is_a_no_op(font_dir):
    class Offline(fonts.Debian):
        def download(self, package, sources):
            raise AssertionError(f"downloaded {package} again")

    conf = (font_dir / "fonts.conf").read_text()
    assert fonts.install(font_dir, debian=Offline()) is False
    assert (font_dir / "fonts.conf").read_text() == conf


def test_the_layer_gets_the_same_fonts_for_opt_fonts(font_dir, tmp_path, monkeypatch):
    """build.py's part of the layer: fonts.install with /opt/fonts, from the .debs the local install cached."""
    cache = font_dir.parent / "cache" / "debian"
    if not list(cache.glob("*.deb")):
        pytest.skip(f"no cached packages in {cache}")

    class Cached(fonts.Debian):
        def download(self, package, sources):
            (deb,) = cache.glob(f"{package}_*.deb")
            return deb.read_bytes(), f"{package} (cached)"

    monkeypatch.syspath_prepend(str(LAYER))
    build = _load("panelist_pdf_layer_build", LAYER / "build.py")
    assert not set(build.PACKAGES) & set(fonts.FONTS), "font packages are fonts.py's"
    (tmp_path / "licenses").mkdir()
    out = tmp_path / "fonts"
    installed = fonts.install(
        out, build.LAYER_FONTS, build.FONTCONFIG_CACHE, licenses=tmp_path / "licenses", debian=Cached(), stamp=False
    )
    assert installed
    assert sorted(p.name for p in out.glob("*.ttf")) == sorted(n for names in fonts.FONTS.values() for n in names)
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".ttf") == ["fonts.conf"]  # no stamp, no lock
    assert (out / "fonts.conf").read_text() == fonts.fonts_conf("/opt/fonts", "/tmp/fontconfig")
    assert {p.name for p in (tmp_path / "licenses").iterdir()} == {f"{p}.copyright" for p in fonts.FONTS}
    sys.modules.pop("fonts", None)
