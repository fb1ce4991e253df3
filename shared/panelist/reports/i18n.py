"""Report languages: the 34 JobMojito codes, their Babel locales, Amazon Translate codes and text direction.

SKELETON (interface fixed; implementation by the i18n work): labels come from `locales/<code>.po`
message catalogs read with Babel; dates and numbers are formatted with Babel's CLDR data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from gettext import NullTranslations


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


def language(code: str) -> Language:
    """The language of a JobMojito code; an unknown code (or a session's free-form one) falls back to English."""
    return Language("en", "en", "en", "English")


def translations(code: str) -> NullTranslations:
    """The report labels' catalog for `code` (gettext / ngettext); English is the msgids themselves."""
    return NullTranslations()


def format_datetime(moment: datetime, code: str) -> str:
    """A moment as a report shows it, in UTC, in the language's medium format (e.g. `20 Oct 2024, 10:00 UTC`)."""
    return moment.strftime("%d %b %Y, %H:%M UTC")


def format_date(moment: datetime, code: str) -> str:
    return moment.strftime("%d %b %Y")


def format_number(value: float, code: str, *, digits: int = 0) -> str:
    return f"{value:.{digits}f}"


def format_percent(value: float, code: str) -> str:
    """A 0..1 ratio as a percentage, e.g. `93 %` / `93%` / `%93` depending on the language."""
    return f"{round(value * 100)}%"
