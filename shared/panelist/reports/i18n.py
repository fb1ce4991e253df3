"""Report languages: the 34 JobMojito codes, their Babel locales, Amazon Translate codes and text direction.

Labels come from `locales/<code>.po` message catalogs (English is the msgids themselves, listed in
`locales/messages.pot`), read at runtime with Babel: no .mo build step. Dates and numbers are formatted with
Babel's CLDR data; the shared layer keeps only the CLDR files these languages need (`shared/prune_babel.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from gettext import NullTranslations
from importlib import resources
from importlib.resources.abc import Traversable
from io import BytesIO

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel import units as babel_units
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations


@dataclass(frozen=True)
class Language:
    code: str  # JobMojito's mojito_language_code, e.g. "br"
    locale: str  # Babel/CLDR locale, e.g. "pt_BR"
    translate_code: str  # Amazon Translate language code, e.g. "pt"
    name: str  # English name, e.g. "Portuguese (Brazil)"
    rtl: bool = False

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"


ENGLISH = Language("en", "en", "en", "English")

# JobMojito's 34 mojito_language_codes. The single source of this table: shared/prune_babel.py reads it too.
LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("ar", "ar", "ar", "Arabic", rtl=True),
        Language("bg", "bg", "bg", "Bulgarian"),
        Language("zh", "zh_Hans_CN", "zh", "Chinese (Simplified)"),
        Language("hr", "hr", "hr", "Croatian"),
        Language("cs", "cs", "cs", "Czech"),
        Language("da", "da", "da", "Danish"),
        Language("nl", "nl", "nl", "Dutch"),
        ENGLISH,
        Language("fil", "fil", "tl", "Filipino"),
        Language("fi", "fi", "fi", "Finnish"),
        Language("fr", "fr", "fr", "French"),
        Language("de", "de", "de", "German"),
        Language("el", "el", "el", "Greek"),
        Language("hi", "hi", "hi", "Hindi"),
        Language("hu", "hu", "hu", "Hungarian"),
        Language("id", "id", "id", "Indonesian"),
        Language("it", "it", "it", "Italian"),
        Language("ja", "ja", "ja", "Japanese"),
        Language("ko", "ko", "ko", "Korean"),
        Language("ms", "ms", "ms", "Malay"),
        Language("no", "nb", "no", "Norwegian"),
        Language("pl", "pl", "pl", "Polish"),
        Language("pt", "pt_PT", "pt-PT", "Portuguese (Portugal)"),
        Language("br", "pt_BR", "pt", "Portuguese (Brazil)"),
        Language("ro", "ro", "ro", "Romanian"),
        Language("ru", "ru", "ru", "Russian"),
        Language("sk", "sk", "sk", "Slovak"),
        Language("es", "es", "es", "Spanish"),
        Language("sv", "sv", "sv", "Swedish"),
        Language("ta", "ta", "ta", "Tamil"),
        Language("th", "th", "th", "Thai"),
        Language("tr", "tr", "tr", "Turkish"),
        Language("uk", "uk", "uk", "Ukrainian"),
        Language("vi", "vi", "vi", "Vietnamese"),
    )
}

# Codes a session may carry that are not JobMojito's own (normalized: lower case, "-" separated).
_ALIASES = {
    "pt-br": "br",
    "pt-pt": "pt",
    "nb": "no",
    "nn": "no",
    "tl": "fil",
    "in": "id",  # pre-1989 ISO code for Indonesian, still sent by old Java/Android stacks
    "zh-hans": "zh",
    "zh-cn": "zh",
    "zh-sg": "zh",
}
_NAMES = {lang.name.lower(): lang.code for lang in LANGUAGES.values()} | {
    "chinese": "zh",
    "portuguese": "pt",
    "brazilian portuguese": "br",
    "norwegian bokmål": "no",
    "tagalog": "fil",
}


def language(code: str) -> Language:
    """The language of a JobMojito code; an unknown code (or a session's free-form one) falls back to English.

    Accepts BCP 47 / POSIX style tags ("en-US", "pt_BR", "zh-Hans-CN"), ISO codes JobMojito spells differently
    ("nb", "tl") and English language names ("German").
    """
    return _language(code.strip().lower().replace("_", "-")) if isinstance(code, str) else ENGLISH


@cache
def _language(tag: str) -> Language:
    if tag in LANGUAGES:
        return LANGUAGES[tag]
    if tag in _NAMES:
        return LANGUAGES[_NAMES[tag]]
    parts = tag.split("-")
    for length in range(len(parts), 0, -1):
        prefix = "-".join(parts[:length])
        if prefix in _ALIASES:
            return LANGUAGES[_ALIASES[prefix]]
        if prefix in LANGUAGES:
            return LANGUAGES[prefix]
    return ENGLISH


REPORTS = "messages"  # the report labels' catalogs: locales/<code>.po
PAGES = "pages"  # the candidate pages' catalogs: locales/pages/<code>.po (one file per language and translator)


def catalog_path(code: str, domain: str = REPORTS) -> Traversable:
    """The PO catalog of a (non-English) language code, inside the package (shipped in the layer)."""
    folder = resources.files(__package__ or "panelist.reports").joinpath("locales")
    return (folder if domain == REPORTS else folder.joinpath(domain)).joinpath(f"{code}.po")


@cache
def _translations(code: str, domain: str = REPORTS) -> NullTranslations:
    if code == ENGLISH.code:
        return NullTranslations()
    path = catalog_path(code, domain)
    if not path.is_file():  # a language whose translator has not started yet: English
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=LANGUAGES[code].locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def translations(code: str, domain: str = REPORTS) -> NullTranslations:
    """The catalog of `domain` (REPORTS or PAGES) for `code` (gettext / ngettext); English is the msgids themselves.

    A msgid a catalog does not translate (yet) reads in English.
    """
    return _translations(language(code).code, domain)


def page_translations(code: str) -> NullTranslations:
    """The candidate pages' catalog (notice, consent, the session page, errors, the interviewer's fixed lines)."""
    return translations(code, PAGES)


def known_language(code: object) -> Language | None:
    """The language a tag names exactly (a code, an alias, a regional variant of one), else None: unlike
    `language`, an unknown tag is not English."""
    if not isinstance(code, str) or not code.strip() or len(code) > 35:
        return None
    tag = code.strip().lower().replace("_", "-")
    found = _language(tag)
    if found is ENGLISH and tag.split("-")[0] not in ("en", "english"):
        return None
    return found


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(language(code).locale)


@cache
def _datetime_pattern(code: str) -> str:
    """The locale's medium date joined to its short time (no seconds), as the locale's medium date-time joins them."""
    locale = _locale(code)
    joiner = str(locale.datetime_formats["medium"])
    date = locale.date_formats["medium"].pattern
    time = locale.time_formats["short"].pattern
    return joiner.replace("{1}", date).replace("{0}", time)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_datetime(moment: datetime, code: str) -> str:
    """A moment as a report shows it, in UTC, in the language's medium format (e.g. `20 Oct 2024, 10:00 UTC`).

    A naive datetime is taken to be UTC already.
    """
    text = babel_dates.format_datetime(_utc(moment), _datetime_pattern(code), tzinfo=UTC, locale=_locale(code))
    return f"{text} UTC"


def format_date(moment: datetime, code: str) -> str:
    return babel_dates.format_date(_utc(moment).date(), "medium", locale=_locale(code))


@cache
def _decimal_pattern(code: str, digits: int) -> str:
    pattern = _locale(code).decimal_formats[None].pattern
    return re.sub(r"\.[0#]+", "." + "0" * digits if digits > 0 else "", pattern)


def format_number(value: float, code: str, *, digits: int = 0) -> str:
    """`value` with exactly `digits` decimals, in the language's digits grouping and decimal sign (`3,5` in de)."""
    digits = max(digits, 0)
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return babel_numbers.format_decimal(rounded, _decimal_pattern(code, digits), locale=_locale(code))


def format_percent(value: float, code: str) -> str:
    """A 0..1 ratio as a percentage, e.g. `93 %` / `93%` / `%93` depending on the language."""
    return babel_numbers.format_percent(value, locale=_locale(code))


def format_duration(seconds: float, code: str) -> str:
    """A duration in whole minutes and seconds with the language's short units, e.g. `4 min 5 sec` / `4 Min. 5 Sek.`."""
    locale = _locale(code)
    minutes, rest = divmod(max(round(seconds), 0), 60)
    parts = []
    if minutes:
        parts.append(babel_units.format_unit(minutes, "duration-minute", length="short", locale=locale))
    if rest or not minutes:
        parts.append(babel_units.format_unit(rest, "duration-second", length="short", locale=locale))
    return " ".join(parts)


def format_minutes(minutes: int, code: str) -> str:
    """A number of minutes with the language's long unit and plural, e.g. `5 minutes` / `5 Minuten` / `5 دقائق`."""
    return babel_units.format_unit(max(int(minutes), 0), "duration-minute", length="long", locale=_locale(code))


def language_name(code: str, in_language: str) -> str:
    """A language's name as the report's language writes it (Babel), else its English name, else the code."""
    source = language(code)
    target = language(in_language)
    try:
        name = Locale.parse(source.locale).get_display_name(_locale(target.code))
    except (ValueError, TypeError, LookupError):
        name = None
    if name:
        return name[:1].upper() + name[1:]
    return source.name if source.code == code or code in ("", "en") else code
