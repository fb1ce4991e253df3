"""The bias audit report (`GET /api/reports/impact`): which sessions it counts, and the report as JSON, CSV or PDF.

It counts the organization's sessions completed (by `completed_at`, UTC days `from`..`to`, both included) and
scored in the window, of one interview or of all, with their voluntary self-identification (`self_id_store`);
the arithmetic is `panelist.compliance.impact`'s. Sessions are read without a Scan: the completed-sessions list,
sorted by start, from `STARTED_BEFORE` ahead of the window (an interview lasts at most 4 hours, and a session
inactive for 30 minutes is abandoned, not completed), at most `MAX_SESSIONS` of them. No individual's
self-identification leaves this module: only counts and rates.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, timedelta
from enum import StrEnum
from functools import cache

from aws_lambda_powertools.event_handler import Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from panelist.compliance import impact, self_id_store
from panelist.core.errors import BadRequest
from panelist.interviews.store import get_interview
from panelist.models.common import now
from panelist.models.impact import ImpactReportOut
from panelist.models.sessions import Session
from panelist.sessions.store import completed_started_between

MAX_WINDOW_DAYS = 366
DEFAULT_WINDOW_DAYS = 365
STARTED_BEFORE = timedelta(days=1)  # a session completed in the window started at most this long before it
MAX_SESSIONS = 10_000


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    pdf = "pdf"


def window(period_from: date | None, period_to: date | None) -> tuple[date, date]:
    """The window asked for (default: the 365 days up to today, UTC); BadRequest naming the field otherwise."""
    today = now().astimezone(UTC).date()
    high = period_to or (today if period_from is None else min(today, period_from + timedelta(DEFAULT_WINDOW_DAYS)))
    low = period_from or high - timedelta(days=DEFAULT_WINDOW_DAYS)
    if low > high:
        raise BadRequest("from is after to", field="from", expected="a date on or before to")
    if (high - low).days + 1 > MAX_WINDOW_DAYS:
        raise BadRequest(
            f"the window is longer than {MAX_WINDOW_DAYS} days", field="to", expected=f"at most {MAX_WINDOW_DAYS} days"
        )
    return low, high


def _completed_day(session: Session) -> date:
    return (session.completed_at or session.updated_at).astimezone(UTC).date()


def audited_sessions(organization_id: str, interview_id: str | None, low: date, high: date) -> list[Session]:
    """The completed, scored sessions of the window (see the module's docstring)."""
    if interview_id is not None:
        get_interview(organization_id, interview_id)  # NotFound: unknown, or another organization's
    started_low = low - STARTED_BEFORE
    sessions = completed_started_between(
        organization_id, started_low, high, interview_id=interview_id, at_most=MAX_SESSIONS + 1
    )
    if len(sessions) > MAX_SESSIONS:
        raise BadRequest(
            f"more than {MAX_SESSIONS} sessions completed in this window",
            field="from",
            expected="a shorter window, or one interview_id",
        )
    return [s for s in sessions if s.overall_score is not None and low <= _completed_day(s) <= high]


def impact_report(
    organization_id: str, *, interview_id: str | None, period_from: date | None, period_to: date | None
) -> ImpactReportOut:
    low, high = window(period_from, period_to)
    sessions = audited_sessions(organization_id, interview_id, low, high)
    declared = self_id_store.for_sessions(organization_id, [s.id for s in sessions])
    records = []
    for session in sessions:
        answers = declared.get(session.id)
        records.append(
            impact.Scored(
                score=float(session.overall_score or 0.0),
                decision=session.decision,
                sex=answers.sex if answers else None,
                race_ethnicity=answers.race_ethnicity if answers else None,
            )
        )
    return impact.impact_report(records, interview_id=interview_id, period_from=low, period_to=high, generated_at=now())


# ------------------------------------------------------------------ formats


def filename(report: ImpactReportOut, extension: str) -> str:
    return f"impact-{report.period_from.isoformat()}-{report.period_to.isoformat()}.{extension}"


def as_csv(report: ImpactReportOut) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(impact.csv_rows(report))
    return out.getvalue()


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("panelist", "templates/reports"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def as_html(report: ImpactReportOut) -> str:
    return _templates().get_template("impact.html.j2").render(report=report)


def as_pdf(report: ImpactReportOut) -> bytes:
    from panelist.reports.pdf import render_pdf  # WeasyPrint: only the PDF format loads it

    return render_pdf(as_html(report))


def response(report: ImpactReportOut, fmt: ReportFormat) -> Response[str] | Response[bytes]:
    """The report in the format asked for (JSON in the resolver's own way, CSV and PDF as downloads)."""
    if fmt is ReportFormat.csv:
        disposition = f'attachment; filename="{filename(report, "csv")}"'
        return Response(200, "text/csv; charset=utf-8", as_csv(report), {"Content-Disposition": disposition})
    if fmt is ReportFormat.pdf:
        disposition = f'attachment; filename="{filename(report, "pdf")}"'
        return Response(200, "application/pdf", as_pdf(report), {"Content-Disposition": disposition})
    return Response(200, "application/json", report.model_dump_json())
