"""Reports as HTML: `base.html.j2` (print CSS, running header and footer) around one partial per section."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


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


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("panelist", "templates/reports"),
        autoescape=True,  # every template is HTML; names, answers and emails are data, never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: Report) -> str:
    return _templates().get_template("base.html.j2").render(report=report)


def utc(value: datetime | None) -> str:
    """A moment as people read it in a report: `20 Oct 2024, 10:00 UTC`."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC").lstrip("0")


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
