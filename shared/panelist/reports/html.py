"""Reports as HTML: `base.html.j2` (print CSS, running header and footer) around one partial per section.

A document holds one report or several (a combined export: a cover, then every result, each on a new page).
Labels go through the report language's catalog (`_` in templates, with the English msgids of the label list),
dates and numbers through `panelist.reports.i18n`, and the page follows the language's direction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from html.parser import HTMLParser
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from panelist.core import times
from panelist.reports import i18n


@dataclass(frozen=True)
class Section:
    """One part of a report, rendered by `templates/reports/sections/<partial>.html.j2` with `data`."""

    partial: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """A document: its title, what every page's running header says, and its sections in order."""

    title: str
    kind: str  # what the document is, e.g. "Interview transcript": first line of the title block
    running_left: str  # e.g. the candidate's name
    running_right: str  # e.g. the interview's role
    sections: Sequence[Section]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    language: str = "en"  # a JobMojito language code: labels, dates, numbers and direction
    content_language: str | None = None  # what people and models wrote, when it is not the labels' language

    @property
    def content_attrs(self) -> Markup:
        """` lang=".." dir=".."` for the elements holding written content in another language than the labels
        (an untranslated English answer in an Arabic report keeps its own direction), else nothing."""
        if self.content_language is None:
            return Markup("")
        content, labels = i18n.language(self.content_language), i18n.language(self.language)
        if content.code == labels.code:
            return Markup("")
        return Markup(' lang="{}" dir="{}"').format(content.code, content.direction)


@dataclass(frozen=True)
class Formats:
    """Dates and numbers in one language, for templates: `fmt.datetime(moment)`, `fmt.percent(0.93)`."""

    code: str

    def datetime(self, moment: dt.datetime | None) -> str:
        return "" if moment is None else i18n.format_datetime(moment.astimezone(UTC), self.code)

    def date(self, moment: dt.datetime | None) -> str:
        return "" if moment is None else i18n.format_date(moment.astimezone(UTC), self.code)

    def number(self, value: float, digits: int = 0) -> str:
        return i18n.format_number(value, self.code, digits=digits)

    def percent(self, ratio: float) -> str:
        return i18n.format_percent(ratio, self.code)


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("panelist", "templates/reports"),
        autoescape=True,  # every template is HTML; names, answers and emails are data, never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def css_string(text: str) -> str:
    """`text` as a double-quoted CSS string that cannot end the string, the rule or the <style> element."""
    out = []
    for char in text:
        if char in '"\\<>&' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_PLACEHOLDER = re.compile(r"%\((page|pages)\)s")


def page_counter_content(label: str) -> str:
    """A localized "Page %(page)s of %(pages)s" as a CSS `content` value with the page counters in place."""
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(label):
        if match.start() > position:
            parts.append(css_string(label[position : match.start()]))
        parts.append(f"counter({match.group(1)})")
        position = match.end()
    if position < len(label):
        parts.append(css_string(label[position:]))
    return " ".join(parts) or '""'


def render_document(reports: Sequence[Report], *, title: str | None = None, language: str | None = None) -> str:
    """One HTML document with every report in order, each from a new page."""
    if not reports:
        raise ValueError("a document needs at least one report")
    code = language or reports[0].language
    lang = i18n.language(code)
    catalog = i18n.translations(lang.code)
    gettext = catalog.gettext
    return (
        _templates()
        .get_template("base.html.j2")
        .render(
            reports=reports,
            partials=list(dict.fromkeys(section.partial for report in reports for section in report.sections)),
            title=title or reports[0].title,
            lang=lang,
            _=gettext,
            fmt=Formats(lang.code),
            page_content=Markup(page_counter_content(gettext("Page %(page)s of %(pages)s"))),  # noqa: S704 - CSS-escaped
        )
    )


def render_fragment(template: str, language: str, **data: Any) -> str:
    """A partial on its own (e.g. the overview table of a JSON export), with the language's labels and formats."""
    lang = i18n.language(language)
    gettext = i18n.translations(lang.code).gettext
    return _templates().get_template(template).render(lang=lang, _=gettext, fmt=Formats(lang.code), **data)


def render_html(report: Report) -> str:
    return render_document([report])


class _BodyStart(HTMLParser):
    """Finds where the first `<body>` start tag ends, the way a browser reads the document (comments,
    scripts, styles and attribute values are not tags), and stops reading there."""

    class Found(Exception):
        pass

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.position: tuple[int, int, int] | None = None  # (line, column, length) of the start tag

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            line, column = self.getpos()
            self.position = (line, column, len(self.get_starttag_text() or ""))
            raise self.Found


def insert_at_body_start(document: str, fragment: Markup) -> str:
    """`document` with `fragment` first in its body (a shared report's notice, a page's navigation).

    The fragment is Markup, so whatever it shows was escaped when it was built. A document without a
    `<body>` tag gets the fragment in front.
    """
    parser = _BodyStart()
    with contextlib.suppress(_BodyStart.Found):
        parser.feed(document)
    if parser.position is None:
        return str(fragment) + document
    line, column, length = parser.position
    line_start = 0
    for _ in range(line - 1):  # HTMLParser counts lines by "\n" only, and columns from the last one
        line_start = document.index("\n", line_start) + 1
    end = line_start + column + length
    return document[:end] + str(fragment) + document[end:]


def utc(value: datetime | None) -> str:
    """A moment as people read it in a report: `20 Oct 2024, 10:00 UTC`."""
    return times.readable(value) if value is not None else ""


def elapsed(seconds: float) -> str:
    """Time since the session started: `03:07`, or `1:02:07` past an hour."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def duration(start: datetime, end: datetime) -> str:
    """`12 min 30 s`, `1 h 05 min`, `45 s`."""
    seconds = max(0, int((end - start).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    return f"{secs} s"
