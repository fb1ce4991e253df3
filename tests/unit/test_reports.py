"""The report renderer: data stays text (autoescaped), the layout carries the running header and page numbers."""

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from panelist.reports.html import Report, Section, duration, elapsed, render_html, utc
from panelist.reports.pdf import render_pdf

HOSTILE = "<script>alert('x')</script> & <b>bold</b>"


def _report(text: str, turns: int = 1) -> Report:
    summary = {
        "heading": "Ada <i>Okafor</i>",
        "candidate": "Ada <i>Okafor</i>",
        "erased": False,
        "email": "ada@example.com",
        "role": "Data Engineer",
        "interview": "Data Engineer - screen",
        "session_id": "s-1",
        "response_id": 7,
        "status": "Completed",
        "status_key": "completed",
        "started": "20 Oct 2024, 10:00 UTC",
        "completed": "20 Oct 2024, 10:12 UTC",
        "duration": "12 min",
    }
    rows = [
        {
            "elapsed": elapsed(i * 30),
            "speaker": "Candidate",
            "speaker_key": "participant",
            "text": text,
            "sentiment": "neutral",
        }
        for i in range(turns)
    ]
    return Report(
        title="Interview transcript",
        kind="Interview transcript",
        running_left="Ada <i>Okafor</i>",
        running_right="Data Engineer",
        sections=[Section("session_summary", summary), Section("transcript", {"turns": rows})],
    )


def _text(pdf: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_data_is_escaped_in_the_html():
    html = render_html(_report(HOSTILE))
    assert "<script>" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "Ada &lt;i&gt;Okafor&lt;/i&gt;" in html


def test_markup_in_data_is_printed_as_text():
    (page,) = _text(render_pdf(render_html(_report(HOSTILE))))
    assert HOSTILE in page
    assert "Ada <i>Okafor</i>" in page


def test_every_page_has_the_running_header_and_its_number():
    pages = _text(render_pdf(render_html(_report("A long answer about pipelines. " * 60, turns=8))))
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Ada <i>Okafor</i> · Data Engineer" in page


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "00:00"), (3.9, "00:03"), (75, "01:15"), (3599, "59:59"), (3727, "1:02:07")]
)
def test_elapsed_time_is_mm_ss(seconds, shown):
    assert elapsed(seconds) == shown


def test_durations_and_times_read_naturally():
    start = datetime(2024, 10, 20, 10, 0, tzinfo=UTC)
    assert duration(start, start + timedelta(seconds=45)) == "45 s"
    assert duration(start, start + timedelta(minutes=12)) == "12 min"
    assert duration(start, start + timedelta(minutes=12, seconds=5)) == "12 min 05 s"
    assert duration(start, start + timedelta(hours=1, minutes=5)) == "1 h 05 min"
    paris = timezone(timedelta(hours=2))
    assert utc(datetime(2024, 10, 5, 14, 0, tzinfo=paris)) == "5 Oct 2024, 12:00 UTC"
    assert utc(None) == ""
