"""Reports rendered to PDF: Jinja2 templates under templates/reports (autoescaped), then WeasyPrint.

A report (`Report`) is a title, a running header and a list of sections; `base.html.j2` lays out the pages
(print CSS, the running header, "Page X of Y") and each section is rendered by its own partial,
`sections/<partial>.html.j2`. The transcript is the first report; a candidate report adds sections.
"""

from panelist.reports.exports import Download, deliver
from panelist.reports.html import Report, Section, render_html
from panelist.reports.pdf import render_pdf
from panelist.reports.transcript import transcript_download, transcript_pdf, transcript_report

__all__ = [
    "Download",
    "Report",
    "Section",
    "deliver",
    "render_html",
    "render_pdf",
    "transcript_download",
    "transcript_pdf",
    "transcript_report",
]
