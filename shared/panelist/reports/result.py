"""SKELETON: the report of one result (a session with its interview and candidate), by the report-content work."""

from __future__ import annotations

from panelist.models.reports import DEFAULT_FEATURES, ReportFeatures
from panelist.reports.html import render_html
from panelist.reports.transcript import transcript_report
from panelist.sessions import get_session


def result_html(
    organization_id: str,
    session_id: str,
    *,
    base_url: str,
    features: ReportFeatures = DEFAULT_FEATURES,
    language: str | None = None,
) -> str:
    """The whole report of one result as an HTML document (NotFound for another organization's session)."""
    return render_html(transcript_report(get_session(organization_id, session_id)))
