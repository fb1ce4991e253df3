"""SKELETON (interface fixed; render-once cache, worker pool and merge come with the pipeline work)."""

from __future__ import annotations

from panelist.models.reports import DEFAULT_FEATURES, ReportFeatures
from panelist.reports.exports import Download, deliver
from panelist.reports.pdf import render_pdf
from panelist.reports.result import result_html
from panelist.sessions import get_session


def result_download(
    organization_id: str,
    session_id: str,
    *,
    base_url: str,
    features: ReportFeatures = DEFAULT_FEATURES,
) -> Download:
    """One result's report PDF as a download (`report-<response_id>.pdf`): inline, or a link when too large."""
    session = get_session(organization_id, session_id)
    pdf = render_pdf(result_html(organization_id, session_id, base_url=base_url, features=features))
    return deliver(organization_id, session_id, f"report-{session.number}.pdf", pdf, "application/pdf")
