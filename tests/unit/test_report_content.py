"""What a result's report shows (seed: JobMojito `export_features_result`), in the PDF and in the JSON export.

Rendered from results built in memory; tests/functions/test_report_content.py reads them from storage.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from panelist.models.reports import DEFAULT_FEATURES, ReportFeatures
from panelist.reports import i18n
from panelist.reports.chart import COLOURS
from panelist.reports.html import css_string, page_counter_content
from panelist.reports.pdf import render_pdf
from panelist.reports.result import (
    ResultSource,
    TranslationNote,
    combined_html,
    cover_html,
    json_result,
    overview_table_html,
    result_document,
)
from tests.unit.reports_data import fake_file_links, make_interview, make_source

BASE = "https://panelist.test"
PHONE = "+44 20 7946 0958"


@pytest.fixture(autouse=True)
def fake_links(monkeypatch):
    fake_file_links(monkeypatch, base_url=BASE)


def _pdf(source: ResultSource, features: ReportFeatures = DEFAULT_FEATURES, **options) -> PdfReader:
    html = result_document(source, features=features, language=options.pop("language", "en"), base_url=BASE, **options)
    return PdfReader(io.BytesIO(render_pdf(html)))


def _text(reader: PdfReader) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _uris(reader: PdfReader) -> list[str]:
    found = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                found.append(str(action["/URI"]))
    return found


def _both(source: ResultSource, features: ReportFeatures) -> tuple[dict, PdfReader, str]:
    document = json_result(source, features=features, language="en", base_url=BASE)
    reader = _pdf(source, features)
    return document, reader, _text(reader)


def test_the_default_report_has_every_default_section_and_a_running_header_and_footer():
    source = make_source()
    reader = _pdf(source)
    text = _text(reader)
    for title in ("Interview report", "Contact details", "Score by question", "AI recruiter assessment"):
        assert title in text
    for title in ("Speech analytics", "Transcript", "Files"):
        assert title in text
    for absent in ("AI scoring rubric", "Recordings"):
        assert absent not in text
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        page_text = " ".join((page.extract_text() or "").split())
        assert f"Page {number} of {pages}" in page_text
        assert "Ada Okafor" in page_text
        assert "Senior Python Engineer" in page_text
    assert source.session.id in text
    assert "Overall score" in text


def test_contact_details():
    source = make_source()
    document, _, text = _both(source, ReportFeatures())
    assert document["data"]["candidate"]["phone"] == PHONE
    assert document["data"]["candidate"]["email"] == "ada.okafor@example.com"
    assert PHONE in text
    assert "ada.okafor@example.com" in text
    assert "London, UK" in text
    document, _, text = _both(source, ReportFeatures(contact_details=False))
    assert set(document["data"]["candidate"]) == {"name", "erased"}
    assert document["data"]["candidate"]["name"] == "Ada Okafor"
    assert PHONE not in text
    assert "ada.okafor@example.com" not in text
    assert "Contact details" not in text
    assert "Ada Okafor" in text


def test_ai_recruiter_assessment_and_its_rubric():
    source = make_source()
    weak = source.interview.questions[0].expectations.weak
    document, _, text = _both(source, ReportFeatures())
    assert document["data"]["assessment"]["why_hire"] == source.session.assessment.why_hire
    assert "scoring_rubric" not in document["data"]
    assert "Why hire" in text
    assert "Why not hire" in text
    assert "Resume analysis" in text
    assert "AI scoring rubric" not in text
    assert weak not in text

    document, _, text = _both(source, ReportFeatures(ai_scoring_rubric=True))
    rubric = document["data"]["scoring_rubric"]
    assert [q["question_id"] for q in rubric] == [q.id for q in source.interview.questions]
    assert rubric[0]["weak"] == weak
    assert "AI scoring rubric" in text
    assert weak in text
    assert "Evaluation criteria" in text

    # the rubric is part of the assessment: never without it
    document, _, text = _both(source, ReportFeatures(ai_recruiter_assessment=False, ai_scoring_rubric=True))
    assert "assessment" not in document["data"]
    assert "scoring_rubric" not in document["data"]
    assert "Why hire" not in text
    assert "AI scoring rubric" not in text
    assert weak not in text


def test_speech_analytics():
    source = make_source()
    document, _, text = _both(source, ReportFeatures())
    # The demo's answers are typed: nothing measured, shown as such, never a made-up figure.
    assert document["data"]["answers"][0]["speech"]["words_per_minute"] is None
    assert document["data"]["answers"][0]["speech"]["speech_accuracy"] is None
    assert "Speech analytics" in text
    assert "Not measured" in text
    assert "Fluency" in text
    document, _, text = _both(source, ReportFeatures(analytics=False))
    assert all("speech" not in answer for answer in document["data"]["answers"])
    assert "Speech analytics" not in text
    assert "Not measured" not in text


def test_transcript_of_answers_and_their_analysis():
    source = make_source()
    answer = source.session.answers[1]
    document, _, text = _both(source, ReportFeatures())
    entry = document["data"]["answers"][1]
    assert entry["answer"] == answer.text
    assert entry["analysis"]["bucket"] == answer.analysis.bucket.value
    assert answer.text[:60] in text
    assert "AI analysis" in text
    document, _, text = _both(source, ReportFeatures(transcript=False))
    assert all("answer" not in a and "analysis" not in a for a in document["data"]["answers"])
    assert answer.text[:60] not in text
    assert "Transcript" not in text


def test_files_resume_and_cover_letter_pages():
    source = make_source(cover_letter=True)
    session_id = source.session.id
    document, reader, text = _both(source, ReportFeatures())
    assert document["files"] == [
        {"type": "resume", "page": 1, "page_signed": f"https://links.test/{session_id}/resume?page=1"},
        {"type": "cover_letter", "page": 1, "page_signed": f"https://links.test/{session_id}/cover_letter?page=1"},
    ]
    assert f"https://links.test/{session_id}/resume?page=1" in _uris(reader)
    assert "Files" in text
    assert "Resume" in text
    assert "Cover letter" in text
    assert "expire on" in text
    document, reader, text = _both(source, ReportFeatures(files=False))
    assert document["files"] == []
    assert not [uri for uri in _uris(reader) if "links.test" in uri]
    assert "Cover letter" not in text


def test_answer_and_session_recordings():
    source = make_source(recordings=True)
    session_id = source.session.id
    document, reader, text = _both(source, ReportFeatures())
    assert "recording_url" not in document["data"]["answers"][0]
    assert "session_recording_url" not in document["data"]
    assert "Recordings" not in text
    assert not [u for u in _uris(reader) if "recording" in u or "video" in u]

    document, reader, text = _both(source, ReportFeatures(answer_recording=True))
    first = source.session.answers[0].question_id
    assert (
        document["data"]["answers"][0]["recording_url"] == f"https://links.test/{session_id}/answer:{first}?page=None"
    )
    types = [f["type"] for f in document["files"]]
    assert types.count("answer_recording") == 5
    assert "session_recording" not in types
    assert f"https://links.test/{session_id}/answer:{first}?page=None" in _uris(reader)
    assert "Recordings" in text
    assert "Answer recording" in text
    assert "Session recording" not in text

    document, reader, text = _both(source, ReportFeatures(session_recording=True))
    assert document["data"]["session_recording_url"].endswith("/session_recording?page=None")
    assert document["data"]["video_introduction_url"].endswith("/video_introduction?page=None")
    types = [f["type"] for f in document["files"]]
    assert {"session_recording", "video_introduction"} <= set(types)
    assert "answer_recording" not in types
    uris = _uris(reader)
    assert any(u.endswith("/session_recording?page=None") for u in uris)
    assert any(u.endswith("/video_introduction?page=None") for u in uris)
    assert "Session recording" in text
    assert "Video introduction" in text


def test_group_by_question_shows_unreached_questions_in_interview_order():
    source = make_source(answered=3)
    questions = source.interview.questions
    # the candidate answered question 2 first, then 1, then 3
    answers = source.session.answers
    answers[1] = answers[1].model_copy(update={"started_at": 1.0, "ended_at": 2.0})
    source = ResultSource(source.session.model_copy(update={"answers": answers}), source.interview, source.candidate)

    document, _, text = _both(source, ReportFeatures())
    assert [a["question_id"] for a in document["data"]["answers"]] == [questions[i].id for i in (1, 0, 2)]
    assert "Not reached" not in text
    assert questions[4].prompt not in text
    assert text.index(answers[1].text[:50]) < text.index(answers[0].text[:50])

    document, _, text = _both(source, ReportFeatures(group_by_question=True))
    entries = document["data"]["answers"]
    assert [a["question_id"] for a in entries] == [q.id for q in questions]
    assert [a["reached"] for a in entries] == [True, True, True, False, False]
    assert "answer" not in entries[4]
    assert "Not reached" in text
    assert "This question was not reached in the interview." in text
    assert questions[4].prompt in text
    assert text.index(answers[0].text[:50]) < text.index(answers[1].text[:50])


def test_the_score_chart_is_inline_svg_with_a_bar_per_answered_question():
    source = make_source(answered=3)
    html = result_document(source, features=ReportFeatures(), language="en", base_url=BASE)
    svg = re.search(r"<svg[^>]*score-chart.*?</svg>", html, re.S)
    assert svg is not None
    bars = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', svg.group(0))
    assert len([fill for fill in bars if fill in COLOURS.values()]) == 3
    assert "stroke-dasharray" in svg.group(0)  # the overall score
    assert "Question 3" in svg.group(0)
    assert "Question 4" not in svg.group(0)


def test_several_results_get_a_cover_with_an_overview_table():
    interview = make_interview()
    names = ["Ada Okafor", "Liam Chen", "Sofia Rossi"]
    sources = [
        make_source(name=name, interview=interview, strength=strength)
        for name, strength in zip(names, ["strong", "moderate", "strong"], strict=True)
    ]
    cover = PdfReader(io.BytesIO(render_pdf(cover_html(sources, features=ReportFeatures(), language="en"))))
    text = _text(cover)
    assert "Combined interview report" in text
    assert "Overview" in text
    assert "3 results" in text
    for name, source in zip(names, sources, strict=True):
        assert name in text
        assert source.session.id not in text  # the cover has no result's details
    for label in ("Candidate", "Interview", "Status", "Score", "Completed", "Response ID"):
        assert label in text

    table = overview_table_html(sources, language="en")
    assert table.count("<tr>") == 4  # the header row and one per result
    assert all(name in table for name in names)

    combined = PdfReader(
        io.BytesIO(render_pdf(combined_html(sources, features=ReportFeatures(), language="en", base_url=BASE)))
    )
    pages = [" ".join((page.extract_text() or "").split()) for page in combined.pages]
    assert "Overview" in pages[0]
    starts = [next(i for i, page in enumerate(pages) if source.session.id in page) for source in sources]
    assert 0 < starts[0] < starts[1] < starts[2]
    for start, name in zip(starts, names, strict=True):  # each from a new page, with its own running header
        assert "Interview report" in pages[start]
        assert f"{name} · Senior Python Engineer" in pages[start]
        assert f"{name} · Senior Python Engineer" not in pages[start - 1]
    assert f"Page 1 of {len(pages)}" in pages[0]


def test_an_erased_candidate_shows_none_of_their_personal_data():
    source = make_source(recordings=True, cover_letter=True)
    erased = source.candidate.model_copy(update={"erased_at": datetime(2024, 11, 1, tzinfo=UTC)})
    source = ResultSource(source.session, source.interview, erased)
    everything = ReportFeatures(ai_scoring_rubric=True, answer_recording=True, session_recording=True)
    document, reader, text = _both(source, everything)
    html = result_document(source, features=everything, language="en", base_url=BASE)
    dumped = json.dumps(document)
    for personal in ("Ada", "Okafor", "ada.okafor@example.com", PHONE, "linkedin.com/in/ada", "London, UK"):
        assert personal not in text
        assert personal not in html
        assert personal not in dumped
    assert document["data"]["candidate"]["name"] == "erased"
    assert document["files"] == []
    assert "Erased candidate" in text
    assert "personal data has been erased" in text
    assert not [uri for uri in _uris(reader) if "links.test" in uri]
    overview = overview_table_html([source], language="en")
    assert "Erased candidate" in overview
    assert "Ada" not in overview


def test_answers_are_escaped():
    source = make_source()
    answers = list(source.session.answers)
    answers[0] = answers[0].model_copy(update={"text": "<script>alert('x')</script> & <b>bold</b>"})
    source = ResultSource(source.session.model_copy(update={"answers": answers}), source.interview, source.candidate)
    html = result_document(source, features=ReportFeatures(), language="en", base_url=BASE)
    assert "<script>" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>alert('x')</script> & <b>bold</b>" in _text(_pdf(source))


def test_a_translation_note_is_shown():
    source = make_source()
    text = _text(_pdf(source, note=TranslationNote("fr", machine_translated=True)))
    assert "Translated from French by machine translation." in text
    text = _text(_pdf(source, note=TranslationNote("fr", machine_translated=False)))
    assert "Not translated: machine translation is not available here" in text
    assert "French" in text
    document = json_result(
        source, features=DEFAULT_FEATURES, language="en", base_url=BASE, note=TranslationNote("fr", True)
    )
    assert document["data"]["translation"] == {"source_language": "fr", "machine_translated": True}


def test_the_json_result_identifies_the_result():
    source = make_source()
    data = json_result(source, features=DEFAULT_FEATURES, language="en", base_url=BASE)["data"]
    assert data["interview_result_id"] == source.session.id
    assert data["response_id"] == source.session.number
    assert data["ai_interview_id"] == source.interview.number
    assert data["interview"] == {
        "id": source.interview.id,
        "name": source.interview.name,
        "role": "Senior Python Engineer",
    }
    assert data["status"] == "completed"
    assert data["started_at"] == "2024-10-20T10:00:00Z"
    assert data["completed_at"].endswith("Z")
    assert data["duration_minutes"] == source.session.duration_minutes
    assert data["score"] == source.session.assessment.score
    assert data["integrity"] == {"tab_switches": 0, "pastes": 0}
    json.dumps(data)


def test_a_missing_interview_or_candidate_degrades_gracefully():
    source = make_source()
    bare = ResultSource(source.session, None, None)
    document = json_result(bare, features=DEFAULT_FEATURES, language="en", base_url=BASE)
    assert document["data"]["interview"] is None
    assert document["data"]["candidate"]["name"] is None
    assert document["files"] == []
    text = _text(_pdf(bare, ReportFeatures(group_by_question=True, ai_scoring_rubric=True)))
    assert "Not available" in text
    assert source.session.answers[0].text[:50] in text


def test_the_page_direction_follows_the_language():
    source = make_source()
    html = result_document(source, features=DEFAULT_FEATURES, language="ar", base_url=BASE)
    assert f'dir="{i18n.language("ar").direction}"' in html


def test_the_page_footer_label_cannot_break_out_of_css():
    assert page_counter_content("Page %(page)s of %(pages)s") == '"Page " counter(page) " of " counter(pages)'
    assert page_counter_content("%(page)s / %(pages)s") == 'counter(page) " / " counter(pages)'
    hostile = css_string('"; } </style><script>x</script>\\')
    assert '"' not in hostile[1:-1]
    assert "<" not in hostile
    assert "\\\\" not in hostile
