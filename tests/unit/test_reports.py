"""The report renderer: data stays text (autoescaped), the layout carries the running header and page numbers."""

import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from markupsafe import Markup
from pydantic import TypeAdapter
from pypdf import PdfReader

from panelist.core.errors import BadRequest
from panelist.models.reports import (
    EXPIRATION_ERROR,
    ReportOption,
    ReportOptionParam,
    ReportShare,
    ResponseId,
    ShareRequest,
)
from panelist.reports import store
from panelist.reports.html import Report, Section, duration, elapsed, insert_at_body_start, render_html, utc
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


# ------------------------------------------------------------------ a fragment at the start of <body>

NOTE = Markup("<p>{}</p>").format("Shared <until> 5 & co")


def test_a_fragment_goes_right_after_the_body_tag():
    document = render_html(_report("an answer"))
    inserted = insert_at_body_start(document, NOTE)
    assert inserted.replace(str(NOTE), "", 1) == document
    body = inserted[inserted.lower().index("<body") :]
    assert body[body.index(">") + 1 :].startswith("<p>Shared &lt;until&gt; 5 &amp; co</p>")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ('<html><BODY class="r">x</BODY></html>', '<html><BODY class="r"><p>N</p>x</BODY></html>'),
        # a ">" in an attribute value does not end the tag, and the tag may span lines
        ('<html>\n<body data-x="a>b"\n lang=en>\nx', '<html>\n<body data-x="a>b"\n lang=en><p>N</p>\nx'),
        # "<body>" in a comment, a script or a style is not the body
        (
            "<head><!-- <body> --><script>s='<body>'</script><style>b{}</style></head><body>x",
            "<head><!-- <body> --><script>s='<body>'</script><style>b{}</style></head><body><p>N</p>x",
        ),
        ("<bodyguard>x</bodyguard><body>y", "<bodyguard>x</bodyguard><body><p>N</p>y"),
        ("no body at all", "<p>N</p>no body at all"),
        ("", "<p>N</p>"),
    ],
)
def test_the_body_tag_is_found_as_a_browser_reads_it(document, expected):
    assert insert_at_body_start(document, Markup("<p>N</p>")) == expected


# ------------------------------------------------------------------ the Xobin report routes' requests


def test_a_share_request_defaults_to_one_hour_and_echoes_what_was_sent():
    assert ShareRequest.model_validate({}).expiration_hours == 1
    for hours in (1 / 60, 0.016666666666666666, 0.5, 2, 24):
        parsed = ShareRequest.model_validate({"expiration_hours": hours}).expiration_hours
        assert (parsed, type(parsed)) == (hours, type(hours))


@pytest.mark.parametrize(
    "raw", ["0.0166", "24.01", '"2"', "-1", "NaN", "Infinity", "-Infinity", "null", "true", "0", "[2]"]
)
def test_a_share_request_refuses_with_the_seed_sentence(raw):
    with pytest.raises(BadRequest) as refused:
        ShareRequest.model_validate(json.loads(f'{{"expiration_hours": {raw}}}'))
    assert (refused.value.message, refused.value.field) == (EXPIRATION_ERROR, "expiration_hours")


def test_a_share_request_refuses_an_unknown_field_by_name():
    with pytest.raises(BadRequest) as refused:
        ShareRequest.model_validate({"expiration_hour": 2, "expiration_hours": 99})
    assert refused.value.message == "Unknown field expiration_hour: the body takes only expiration_hours"


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "1e3", "+1", " 1", "1_0", "", "1" * 16])
def test_a_response_id_is_digits_only(value):
    with pytest.raises(BadRequest) as refused:
        TypeAdapter(ResponseId).validate_python(value)
    assert refused.value.message == "response_id must be an integer"


def test_response_ids_and_options_that_are_valid():
    assert TypeAdapter(ResponseId).validate_python("318") == 318
    assert TypeAdapter(ReportOptionParam).validate_python("download") is ReportOption.download
    with pytest.raises(BadRequest) as refused:
        TypeAdapter(ReportOptionParam).validate_python("print")
    assert refused.value.message == "option must be one of: share, download"


# ------------------------------------------------------------------ the reports store's items


def test_a_share_is_stored_under_its_session_and_read_back_unchanged():
    expires = datetime(2025, 7, 9, 12, 46, 33, 163639, tzinfo=UTC)
    share = ReportShare(
        share_id="s-1",
        organization_id="o-1",
        session_id="ses-1",
        response_id=318,
        ai_interview_id=138,
        created_at=expires - timedelta(hours=2),
        expires_at=expires,
        expiration_hours=2,
        ip_salt="00" * 16,
    )
    item = store.share_item(share)
    assert (item["PK"], item["SK"]) == ("ORG#o-1", "SHARE#ses-1#s-1")
    assert item["ttl"] == int((expires + store.RETENTION).timestamp())
    assert "revoked_at" not in item
    assert store.share_of(item) == share
