"""GET /api/session/{id}/pdf: the formatted transcript (seed: InterviewRelay `Download formatted PDF transcript`)."""

import base64
import copy
import io
import json
from urllib.parse import parse_qs, unquote, urlparse

import boto3
from pypdf import PdfReader

from panelist.api import auth
from panelist.interviews.store import save_new_interview
from panelist.models.common import new_id
from panelist.models.interviews import Interview
from panelist.models.sessions import Session, Turn
from panelist.reports import exports
from panelist_local.gateway import http_response
from tests.functions.harness import invoke, sample_event
from tests.functions.test_sessions import BUCKET, make_session

TURNS = [
    Turn(timestamp=0, speaker="ai", text="Hello! Thank you for joining today."),
    Turn(timestamp=4.2, speaker="ai", text="How would you make a slow Django endpoint fast again?"),
    Turn(
        timestamp=19.5,
        speaker="participant",
        text="I profile it first, then fix the N+1 queries with select_related.",
        sentiment="positive",
    ),
    Turn(timestamp=75, speaker="ai", text="That's all my questions. Thank you for your time!"),
]


def _session(tenant, *, erased: bool = False, interview: bool = True) -> Session:
    interview_id = new_id()
    if interview:
        event = sample_event("persist_interview")["interview"]
        draft = {**event, "id": interview_id, "organization_id": tenant.id, "role": "Staff Platform Engineer"}
        interview_id = save_new_interview(Interview.model_validate(draft)).id
    return make_session(
        tenant, audio=False, erased=erased, interview_id=interview_id, turns=TURNS, email="ada.okafor@example.com"
    )


def _get_pdf(tenant, session_id: str) -> dict:
    """The handler's raw result (the `api` fixture reads bodies as JSON, and this one is a PDF)."""
    event = copy.deepcopy(sample_event("get_session_pdf"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/api/session/{session_id}/pdf"
    event["pathParameters"] = {"id": session_id}
    event["headers"] = {k: v for k, v in event["headers"].items() if k not in ("authorization", "apikey")}
    event["headers"].update(tenant.as_member())
    event["requestContext"]["authorizer"] = {"lambda": auth.authorize({"headers": event["headers"]})["context"]}
    return invoke("get_session_pdf", event)


def _text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pages)


def test_the_pdf_is_the_formatted_transcript(tenant_a):
    session = _session(tenant_a)
    result = _get_pdf(tenant_a, session.id)
    assert result["statusCode"] == 200
    assert result["isBase64Encoded"] is True
    assert result["headers"]["Content-Type"] == "application/pdf"
    assert result["headers"]["Content-Disposition"] == f'attachment; filename="transcript-{session.number}.pdf"'
    pdf = base64.b64decode(result["body"])
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    for expected in ("Ada Okafor", "ada.okafor@example.com", "Staff Platform Engineer", session.id, "Page 1 of 1"):
        assert expected in text
    for turn in TURNS:
        assert turn.text in text
    for expected in ("00:19", "01:15", "20 Oct 2024, 10:00 UTC", "12 min"):  # elapsed mm:ss, UTC, duration
        assert expected in text
    # API Gateway (here the local runtime's) decodes the base64 body: the client gets the PDF's bytes.
    assert http_response(result).body == pdf


def test_an_erased_candidate_is_shown_as_erased(tenant_a):
    session = _session(tenant_a, erased=True)
    result = _get_pdf(tenant_a, session.id)
    assert result["statusCode"] == 200
    text = _text(base64.b64decode(result["body"]))
    assert "Ada Okafor" not in text
    assert "ada.okafor@example.com" not in text
    assert "erased" in text
    assert TURNS[2].text in text


def test_a_missing_interview_gets_a_neutral_title(tenant_a):
    session = _session(tenant_a, interview=False)
    result = _get_pdf(tenant_a, session.id)
    assert result["statusCode"] == 200
    assert "Interview details not available" in _text(base64.b64decode(result["body"]))


def test_an_unknown_session_is_a_404_in_the_relay_format(tenant_a):
    result = _get_pdf(tenant_a, "nope")
    assert result["statusCode"] == 404
    assert json.loads(result["body"])["error"]["code"] == "NOT_FOUND"


def test_a_pdf_too_large_for_a_response_is_a_redirect_to_a_stored_copy(tenant_a, monkeypatch):
    session = _session(tenant_a)
    monkeypatch.setattr(exports, "INLINE_LIMIT_BYTES", 1000)
    result = _get_pdf(tenant_a, session.id)
    assert result["statusCode"] == 302
    location = urlparse(result["headers"]["Location"])
    query = parse_qs(location.query)
    assert "X-Amz-Signature" in query or "Signature" in query
    assert query.get("X-Amz-Expires", ["900"]) == ["900"]
    assert query["response-content-disposition"] == [f'attachment; filename="transcript-{session.number}.pdf"']
    key = unquote(location.path).split(f"/{BUCKET}/", 1)[-1].lstrip("/")
    assert key.startswith(f"exports/sessions/{tenant_a.id}/{session.id}/")
    assert key.endswith(f"/transcript-{session.number}.pdf")
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)
    assert stored["ContentType"] == "application/pdf"
    assert stored["Body"].read().startswith(b"%PDF-")


def test_the_inline_limit_leaves_room_in_a_lambda_response():
    encoded = 4 * -(-exports.INLINE_LIMIT_BYTES // 3)  # base64 length
    assert encoded + 64 * 1024 <= 6 * 1024 * 1024  # Lambda's synchronous response limit, with room for headers
