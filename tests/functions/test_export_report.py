"""POST /job-interview-pdf (seed 001, JobMojito): PDF, HTML and JSON exports, one result or up to 50."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import urlparse

import boto3
import pytest
from botocore.exceptions import ClientError
from pypdf import PdfReader

from panelist.billing import credits
from panelist.core.settings import get_settings
from panelist.models.common import new_id
from panelist.models.sessions import SessionStatus
from panelist.reports import pipeline
from panelist.reports.pipeline import RenderStats, report_pdf
from panelist.reports.result import load_result
from panelist.sessions.lifecycle import finish_session
from panelist.sessions.store import get_session
from tests.functions.reports_data import make_interview, make_result
from tests.functions.test_sessions import BUCKET

NAMES = ["Ada Okafor", "Bruno Silva", "Chen Wei"]


def _export(api, tenant, **body):
    return api("export_report", body=body, headers=tenant.as_member())


def _stored(url: str) -> tuple[str, bytes]:
    """The S3 key a presigned URL points at, and the object's bytes."""
    key = urlparse(url).path.lstrip("/").removeprefix(f"{BUCKET}/")
    return key, boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def _text(pdf: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def _balance(organization_id: str) -> int:
    found = credits.get_credits(organization_id)
    assert found is not None
    return found.total


@pytest.fixture
def results(tenant_a):
    interview = make_interview(tenant_a.id)
    return [
        make_result(tenant_a.id, name=name, interview=interview, strength=strength)
        for name, strength in zip(NAMES, ("strong", "moderate", "strong"), strict=True)
    ]


def test_a_pdf_export_is_stored_and_linked_until_the_time_it_gives(api, tenant_a, results):
    reply = _export(api, tenant_a, interview_result_id=results[0].id, export_type="pdf")
    assert reply.status == 200
    assert set(reply.body) == {"pdf_export_url", "pdf_export_valid_until"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", reply.body["pdf_export_valid_until"])
    key, pdf = _stored(reply.body["pdf_export_url"])
    assert key.startswith(f"exports/reports/{tenant_a.id}/")  # emptied by the bucket's lifecycle
    assert key.endswith(f"/report-{results[0].number}.pdf")
    text = _text(pdf)
    assert "Ada Okafor" in text
    assert "Senior Python Engineer" in text

    kept = _export(api, tenant_a, interview_result_id=results[0].id, export_type="pdf", store_file=True)
    assert _stored(kept.body["pdf_export_url"])[0].startswith(f"reports/exports/{tenant_a.id}/")


def test_html_and_json_exports_of_one_result(api, tenant_a, results):
    html = _export(api, tenant_a, interview_result_id=results[1].id, export_type="html")
    assert html.status == 200
    assert list(html.body) == ["html_export"]
    assert html.body["html_export"].startswith("<!DOCTYPE html>")
    assert "Bruno Silva" in html.body["html_export"]

    exported = _export(api, tenant_a, interview_result_id=results[1].id, export_type="json")
    assert exported.status == 200
    body = exported.body["json_export"]
    assert "table" not in body  # only multi-result exports have the overview table
    (result,) = body["results"]
    assert set(result) == {"data", "files"}
    assert result["data"]["interview_result_id"] == results[1].id
    assert result["data"]["response_id"] == results[1].number
    for entry in result["files"]:
        assert set(entry) == {"type", "page", "page_signed"}
    resume = result["files"][0]
    assert (resume["type"], resume["page"]) == ("resume", 1)
    assert resume["page_signed"].startswith("https://")


def test_a_combined_export_has_a_cover_with_one_overview_row_per_result(api, tenant_a, results):
    ids = [r.id for r in results]
    exported = _export(api, tenant_a, interview_result_ids=ids, export_type="json")
    body = exported.body["json_export"]
    assert [r["data"]["interview_result_id"] for r in body["results"]] == ids
    assert body["table"].count("<tr") == 1 + len(results)  # header row + one per result
    for name in NAMES:
        assert name in body["table"]

    reply = _export(api, tenant_a, interview_result_ids=ids, export_type="pdf")
    _, pdf = _stored(reply.body["pdf_export_url"])
    reader = PdfReader(io.BytesIO(pdf))
    cover = " ".join((reader.pages[0].extract_text() or "").split())
    assert all(name in cover for name in NAMES)
    assert [item.title for item in reader.outline] == [
        f"{n} - #{r.number}" for n, r in zip(NAMES, results, strict=True)
    ]
    # Each candidate's pages are numbered on their own: every part starts again at "Page 1 of".
    starts = [i for i, page in enumerate(reader.pages) if re.search(r"Page 1 of \d", page.extract_text() or "")]
    assert len(starts) == 1 + len(results)  # the cover, then each candidate
    assert starts[:2] == [0, 1]


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"export_type": "pdf"}, "interview_result_id"),
        ({"interview_result_ids": [], "export_type": "pdf"}, "interview_result_ids"),
        ({"interview_result_id": "not-a-uuid", "export_type": "pdf"}, "interview_result_id"),
        ({"interview_result_ids": ["x"], "export_type": "pdf"}, "interview_result_ids.0"),
        ({"interview_result_ids": [new_id() for _ in range(51)], "export_type": "pdf"}, "interview_result_ids"),
        ({"interview_result_id": new_id()}, "export_type"),
        ({"interview_result_id": new_id(), "export_type": "docx"}, "export_type"),
        ({"interview_result_id": new_id(), "export_type": "pdf", "store_file": "yes"}, "store_file"),
        ({"interview_result_id": new_id(), "export_type": "pdf", "colour": "blue"}, "colour"),
        (
            {"interview_result_id": new_id(), "export_type": "pdf", "export_features_result": {"transcript": "no"}},
            "export_features_result.transcript",
        ),
        (
            {"interview_result_id": new_id(), "export_type": "pdf", "export_features_result": {"charts": True}},
            "export_features_result.charts",
        ),
        (
            {
                "interview_result_id": new_id(),
                "export_type": "pdf",
                "export_features_result": {"mojito_language_code": "xx"},
            },
            "export_features_result.mojito_language_code",
        ),
    ],
)
def test_invalid_requests_are_422_naming_the_field(api, tenant_a, body, name):
    reply = api("export_report", body=body, headers=tenant_a.as_member())
    assert reply.status == 422
    assert reply.body["name"] == name
    assert set(reply.body) == {"error", "name"}


def test_missing_result_id_is_the_seeds_error(api, tenant_a):
    reply = _export(api, tenant_a, export_type="json")
    assert (reply.status, reply.body) == (422, {"error": "Field is required.", "name": "interview_result_id"})


def test_both_id_fields_repeated_ids_and_foreign_results_are_refused(api, tenant_a, tenant_b, results):
    both = _export(
        api, tenant_a, interview_result_id=results[0].id, interview_result_ids=[results[1].id], export_type="pdf"
    )
    assert (both.status, both.body["name"]) == (422, "interview_result_ids")
    twice = _export(api, tenant_a, interview_result_ids=[results[0].id, results[0].id], export_type="pdf")
    assert (twice.status, twice.body["name"]) == (422, "interview_result_ids")
    # Another organization's result is never exported, and the answer does not tell it exists.
    foreign = _export(api, tenant_b, interview_result_ids=[results[0].id], export_type="json")
    assert foreign.status == 422
    assert foreign.body == {
        "error": f"No interview result {results[0].id} in this organization",
        "name": "interview_result_ids",
    }
    unknown = _export(api, tenant_a, interview_result_id=new_id(), export_type="json")
    assert (unknown.status, unknown.body["name"]) == (422, "interview_result_id")


def test_an_export_without_credentials_is_401_in_the_surfaces_shape(api, results):
    reply = api("export_report", body={"interview_result_id": results[0].id, "export_type": "json"})
    assert reply.status == 401
    assert set(reply.body) <= {"error", "name"}


# ------------------------------------------------------------------ render once, merge on export


def test_a_result_is_rendered_once_then_served_from_the_cache_until_it_changes(tenant_a, results):
    source = load_result(tenant_a.id, results[0].id)
    first, second = RenderStats(), RenderStats()
    pdf = report_pdf(tenant_a.id, [source], pipeline.DEFAULT_FEATURES, base_url="https://api.test", stats=first)
    again = report_pdf(tenant_a.id, [source], pipeline.DEFAULT_FEATURES, base_url="https://api.test", stats=second)
    assert (first.rendered, second.cached, second.rendered) == (1, 1, 0)
    assert again == pdf
    # Other features, or a changed session, are other parts.
    other = RenderStats()
    features = pipeline.DEFAULT_FEATURES.model_copy(update={"transcript": False})
    report_pdf(tenant_a.id, [source], features, base_url="https://api.test", stats=other)
    assert other.rendered == 1
    changed = load_result(tenant_a.id, results[0].id)
    changed = type(changed)(changed.session.model_copy(update={"language": "de"}), changed.interview, changed.candidate)
    moved = RenderStats()
    report_pdf(tenant_a.id, [changed], pipeline.DEFAULT_FEATURES, base_url="https://api.test", stats=moved)
    assert moved.rendered == 1
    # Erasure forgets every part of the session.
    assert pipeline.forget(tenant_a.id, results[0].id) == 3
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=f"reports/cache/{tenant_a.id}/{results[0].id}/")
    assert listed.get("KeyCount", 0) == 0


def test_a_completed_session_is_rendered_in_the_background_and_exports_merge_it(tenant_a, monkeypatch):
    from tests.functions.harness import invoke

    url = boto3.client("sqs").get_queue_url(QueueName="panelist-test-reports")["QueueUrl"]
    monkeypatch.setenv("PANELIST_REPORT_QUEUE_URL", url)
    monkeypatch.setenv("PANELIST_PUBLIC_BASE_URL", "https://api.test")
    get_settings.cache_clear()
    session = make_result(tenant_a.id)  # stored completed: its render is queued
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"]) for m in messages] == [{"organization_id": tenant_a.id, "session_id": session.id}]
    event = {"Records": [{**json.loads(json.dumps(_record(messages[0])))}]}
    assert invoke("render_report", event) == {"batchItemFailures": []}

    stats = RenderStats()
    report_pdf(
        tenant_a.id,
        [load_result(tenant_a.id, session.id)],
        pipeline.DEFAULT_FEATURES,
        base_url="https://api.test",
        stats=stats,
    )
    assert (stats.cached, stats.rendered) == (1, 0)
    get_settings.cache_clear()


def _record(message: dict) -> dict:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:panelist-test-reports",
        "awsRegion": "us-east-1",
    }


def test_finishing_a_session_queues_its_render(tenant_a, monkeypatch):
    from tests.functions.test_sessions import make_session

    url = boto3.client("sqs").get_queue_url(QueueName="panelist-test-reports")["QueueUrl"]
    monkeypatch.setenv("PANELIST_REPORT_QUEUE_URL", url)
    get_settings.cache_clear()
    session = make_session(tenant_a, audio=False)
    boto3.client("sqs").purge_queue(QueueUrl=url)
    from panelist.core.storage import table
    from panelist.sessions.store import session_item

    table().put(session_item(session.model_copy(update={"status": SessionStatus.in_progress, "completed_at": None})))
    finish_session(tenant_a.id, session.id, SessionStatus.completed)
    assert get_session(tenant_a.id, session.id).status is SessionStatus.completed
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["session_id"] for m in messages] == [session.id]
    get_settings.cache_clear()


# ------------------------------------------------------------------ translation


class UpperCase:
    """A translator that makes translation visible: text comes back in capitals."""

    name = "upper-case"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def translate(self, texts, source, target):
        self.calls.append((source, target))
        return [text.upper() for text in texts]


def test_offline_a_report_in_another_language_is_not_translated_or_charged_and_says_so(api, tenant_a, results):
    before = _balance(tenant_a.id)
    reply = _export(
        api, tenant_a, interview_result_id=results[0].id, export_type="json",
        export_features_result={"mojito_language_code": "de"},
    )  # fmt: skip
    assert reply.status == 200
    data = reply.body["json_export"]["results"][0]["data"]
    assert data["translation"] == {"source_language": "en", "machine_translated": False}
    html = _export(
        api, tenant_a, interview_result_id=results[0].id, export_type="html",
        export_features_result={"mojito_language_code": "de"},
    ).body["html_export"]  # fmt: skip
    assert results[0].answers[0].text in html  # the content stays as it is
    assert 'lang="de"' in html
    assert _balance(tenant_a.id) == before


def test_translated_results_cost_a_tenth_of_a_credit_each_charged_before_the_work(api, tenant_a, results, monkeypatch):
    engine = UpperCase()
    monkeypatch.setattr(pipeline, "translator", lambda: engine)
    before = _balance(tenant_a.id)
    ids = [r.id for r in results]
    reply = _export(
        api,
        tenant_a,
        interview_result_ids=ids,
        export_type="json",
        export_features_result={"mojito_language_code": "fr"},
    )
    assert reply.status == 200
    first = reply.body["json_export"]["results"][0]["data"]
    assert first["translation"] == {"source_language": "en", "machine_translated": True}
    assert results[0].answers[0].text.upper() in json.dumps(first, ensure_ascii=False)
    assert _balance(tenant_a.id) == before - 3  # 3 x 0.1 credit, in tenths
    # Results already in the report's language are not translated or charged.
    same = _export(
        api, tenant_a, interview_result_id=results[0].id, export_type="json",
        export_features_result={"mojito_language_code": "en"},
    )  # fmt: skip
    assert "translation" not in same.body["json_export"]["results"][0]["data"]
    assert _balance(tenant_a.id) == before - 3


def test_without_credits_for_the_translation_nothing_is_done(api, tenant_a, results, monkeypatch):
    engine = UpperCase()
    monkeypatch.setattr(pipeline, "translator", lambda: engine)
    balance = _balance(tenant_a.id)
    credits.charge(tenant_a.id, balance, kind=credits.ChargeKind.session, reference="drain", description="drain")
    reply = _export(
        api, tenant_a, interview_result_id=results[0].id, export_type="pdf",
        export_features_result={"mojito_language_code": "fr"},
    )  # fmt: skip
    assert reply.status == 422
    assert reply.body["name"] == "export_features_result.mojito_language_code"
    assert engine.calls == []
    stored = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="exports/reports/")
    assert stored.get("KeyCount", 0) == 0


def test_a_failed_translation_is_refunded_and_answered_500(api, tenant_a, results, monkeypatch):
    class Broken:
        name = "broken"

        def translate(self, texts, source, target):
            raise ClientError({"Error": {"Code": "ServiceUnavailableException", "Message": "down"}}, "TranslateText")

    monkeypatch.setattr(pipeline, "translator", lambda: Broken())
    before = _balance(tenant_a.id)
    reply = _export(
        api, tenant_a, interview_result_id=results[0].id, export_type="html",
        export_features_result={"mojito_language_code": "fr"},
    )  # fmt: skip
    assert reply.status == 500
    assert reply.body["name"] == "export_features_result.mojito_language_code"
    assert _balance(tenant_a.id) == before
