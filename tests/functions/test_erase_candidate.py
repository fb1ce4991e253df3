"""DELETE /api/candidates/{id}: a candidate's data erased on request, the erasure recorded (issue 7)."""

from __future__ import annotations

import base64
import io
import json
from contextlib import suppress
from urllib.parse import urlparse

import boto3
import pytest
import requests
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from panelist.candidates import erasure, store
from panelist.candidates.campaigns import create_invites, get_invite_by_token, open_invite
from panelist.candidates.store import get_candidate, save_candidate
from panelist.core.settings import get_settings
from panelist.core.storage import org_pk, table
from panelist.interviews.store import get_interview
from panelist.models.campaigns import InviteRequest
from panelist.models.reports import DEFAULT_FEATURES
from panelist.models.webhooks import WebhookEndpointCreate
from panelist.reports import shares
from panelist.reports.pipeline import CACHE_PREFIX, report_pdf
from panelist.reports.result import load_result, result_html
from panelist.sessions import lifecycle
from panelist.sessions.flow import upload_prefix
from panelist.sessions.store import candidate_session_ids, get_session
from panelist.webhooks import delivery
from panelist.webhooks.endpoints import create_endpoint
from panelist_local import iam
from tests.functions.reports_data import make_interview, make_result
from tests.functions.test_session_pdf import _get_pdf
from tests.functions.test_tenant_isolation import _campaign_of

BASE = "https://api.test"


def _objects() -> set[str]:
    s3 = boto3.client("s3")
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=get_settings().bucket):
        keys |= {item["Key"] for item in page.get("Contents", [])}
    return keys


def _items() -> list[dict]:
    """Every item of the emulated table (a Scan: allowed in tests only)."""
    client = boto3.client("dynamodb")
    items: list[dict] = []
    for page in client.get_paginator("scan").paginate(TableName=get_settings().table):
        items += page["Items"]
    return items


def _erase(api, tenant, candidate_id: str, headers: dict[str, str] | None = None):
    return api(
        "erase_candidate",
        path=f"/api/candidates/{candidate_id}",
        path_params={"id": candidate_id},
        headers=headers if headers is not None else tenant.as_admin(),
    )


def _pii(session) -> list[str]:
    """What must not remain anywhere: contact details, and every text the candidate said."""
    candidate = get_candidate(session.organization_id, session.candidate_id)
    texts = [a.text for a in session.answers] + [t.text for t in session.turns if t.speaker == "participant"]
    contact = [candidate.name, candidate.email, candidate.phone, candidate.linkedin_url, "Hello Ada"]
    return [value for value in contact + texts if value]


@pytest.fixture
def erasable(api, tenant_a):
    """A complete result with files, recordings, a cached report part, a large export, a share and invites."""
    session = make_result(tenant_a.id, recordings=True, cover_letter=True)
    candidate = get_candidate(tenant_a.id, session.candidate_id)
    report_pdf(tenant_a.id, [load_result(tenant_a.id, session.id)], DEFAULT_FEATURES, base_url=BASE)
    export = f"exports/sessions/{tenant_a.id}/{session.id}/x/report-{session.number}.pdf"
    boto3.client("s3").put_object(Bucket=get_settings().bucket, Key=export, Body=b"%PDF-")
    unattached = f"{upload_prefix(tenant_a.id, session.id)}audio-x.webm"  # uploaded, never attached
    boto3.client("s3").put_object(Bucket=get_settings().bucket, Key=unattached, Body=b"Hello Ada")
    share = shares.create_share(tenant_a.id, session.number, 1.0, base_url=BASE)
    request = InviteRequest(emails=[candidate.email.upper()], send_email=False)  # the same address, other case
    invite = create_invites(tenant_a.id, _campaign_of(tenant_a), request, base_url=BASE)[0][0]
    return session, share, invite


def test_erasure_leaves_no_object_and_no_personal_data(api, tenant_a, erasable):
    session, share, invite = erasable
    other = make_result(tenant_a.id, name="Grace Hopper", interview=make_interview(tenant_a.id), recordings=True)
    pii = _pii(session)
    before = _objects()
    mine = {k for k in before if f"/{session.candidate_id}/" in k or f"/{session.id}/" in k}
    assert any(k.startswith(CACHE_PREFIX) for k in mine)
    assert any(k.startswith("exports/") for k in mine)
    assert any(k.startswith("uploads/") for k in mine)
    assert any("cover-letter" in k for k in mine)
    assert any(k.endswith(".wav") for k in mine)
    assert any(name in json.dumps(_items()) for name in pii)
    total = api("list_sessions", query={}, headers=tenant_a.as_member()).body["total"]

    reply = _erase(api, tenant_a, session.candidate_id)

    assert reply.status == 200, reply.body
    assert set(reply.body) == {"candidate_id", "erased_at", "sessions", "files_deleted"}
    assert reply.body["candidate_id"] == session.candidate_id
    assert reply.body["sessions"] == 1
    assert reply.body["files_deleted"] == len(mine)
    after = _objects()
    assert not (mine & after), sorted(mine & after)
    assert not [k for k in after if session.candidate_id in k or session.id in k]
    # The other candidate (with the same phone and answers, as the demo builds them) keeps everything.
    others = [i for i in _items() if other.candidate_id in json.dumps(i) or other.id in json.dumps(i)]
    assert "Grace Hopper" in json.dumps(others)
    assert {k for k in before if other.candidate_id in k} <= after
    everything = json.dumps([i for i in _items() if i not in others])
    for value in pii:
        assert value not in everything, value
    # The facts stay: lists, counters, scores.
    assert api("list_sessions", query={}, headers=tenant_a.as_member()).body["total"] == total
    erased = get_session(tenant_a.id, session.id)
    assert erased.status == session.status
    assert erased.number == session.number
    assert erased.assessment
    assert session.assessment
    assert erased.assessment.score == session.assessment.score
    assert [a.analysis.score for a in erased.answers if a.analysis] == [
        a.analysis.score for a in session.answers if a.analysis
    ]
    assert erased.participant_email is None
    assert erased.audio_key is None
    assert erased.intro_video_key is None
    candidate = get_candidate(tenant_a.id, session.candidate_id)
    assert candidate.erased_at is not None
    assert candidate.files == []
    assert candidate.phone is None
    assert get_invite_by_token(tenant_a.id, invite.token).email == erasure.ERASED
    # The share stays (its views are the organization's); the report it opens shows the candidate as erased.
    assert shares.list_shares(tenant_a.id, session.number).shares[0].status == "active"
    page = shares.shared_page(share.signed_url.rsplit("/", 1)[1], ip="198.51.100.1", user_agent="t", base_url=BASE)
    assert page.status_code == 200
    assert "Ada Okafor" not in str(page.body)


def test_the_erasure_is_recorded_without_personal_data(api, tenant_a, erasable):
    session, _, _ = erasable
    pii = _pii(session)
    reply = _erase(api, tenant_a, session.candidate_id)
    record = erasure.get_erasure(tenant_a.id, session.candidate_id)
    assert record is not None
    assert record.requested_by == {"kind": "api_key", "key_id": tenant_a.admin_key_id, "role": "admin"}
    assert (record.sessions, record.invites, record.files_deleted) == (1, 1, reply.body["files_deleted"])
    assert record.reports_deleted >= 1
    stored = json.dumps([i for i in _items() if i["SK"]["S"] == store.ERASURE_PREFIX + session.candidate_id])
    assert session.candidate_id in stored
    for value in pii:
        assert value not in stored


def test_reports_show_the_candidate_as_erased(api, tenant_a, erasable):
    session, _, _ = erasable
    assert _erase(api, tenant_a, session.candidate_id).status == 200
    html = result_html(tenant_a.id, session.id, base_url=BASE)
    assert "Ada Okafor" not in html
    assert "ada.okafor@example.com" not in html
    assert "rased" in html
    result = _get_pdf(tenant_a, session.id)
    assert result["statusCode"] == 200
    pages = PdfReader(io.BytesIO(base64.b64decode(result["body"]))).pages
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pages)
    assert "Ada Okafor" not in text
    assert "erased" in text


def test_a_second_erasure_answers_the_same_record(api, tenant_a, erasable):
    session, _, _ = erasable
    first = _erase(api, tenant_a, session.candidate_id)
    second = _erase(api, tenant_a, session.candidate_id)
    assert (first.status, second.status) == (200, 200)
    assert second.body == first.body


def test_an_erasure_cut_short_is_finished_by_the_next_request(api, tenant_a, erasable, monkeypatch):
    session, _, _ = erasable
    monkeypatch.setattr(erasure, "forget", lambda *_: (_ for _ in ()).throw(RuntimeError("cut short")))
    with pytest.raises(RuntimeError):
        erasure.erase_candidate(tenant_a.id, session.candidate_id, _principal(tenant_a))
    assert get_candidate(tenant_a.id, session.candidate_id).erased_at is None  # not marked until done
    monkeypatch.undo()
    reply = _erase(api, tenant_a, session.candidate_id)
    assert reply.status == 200
    assert not [k for k in _objects() if session.candidate_id in k or session.id in k]


def _principal(tenant):
    from panelist.api.auth import Principal

    return Principal(kind="api_key", organization_id=tenant.id, role="admin", key_id=tenant.admin_key_id)


def test_a_member_key_cannot_erase(api, tenant_a, erasable):
    session, _, _ = erasable
    reply = _erase(api, tenant_a, session.candidate_id, tenant_a.as_member())
    assert reply.status == 403
    assert reply.body["error"]["code"] == "FORBIDDEN"
    assert get_candidate(tenant_a.id, session.candidate_id).erased_at is None


def test_an_unknown_or_foreign_candidate_is_a_404(api, tenant_a, tenant_b, erasable):
    session, _, _ = erasable
    for tenant, candidate_id in ((tenant_a, "nope"), (tenant_b, session.candidate_id)):
        reply = _erase(api, tenant, candidate_id)
        assert reply.status == 404
        assert reply.body["error"]["code"] == "NOT_FOUND"
        assert tenant_a.id not in json.dumps(reply.body)
    assert get_candidate(tenant_a.id, session.candidate_id).erased_at is None


def test_without_credentials_is_a_401(api, tenant_a):
    assert _erase(api, tenant_a, "x", {}).status == 401


def test_a_saved_session_is_indexed_under_its_candidate(tenant_a):
    session = make_result(tenant_a.id)
    assert candidate_session_ids(tenant_a.id, session.candidate_id) == [session.id]


def _versions() -> list[dict]:
    """Every version and delete marker in the bucket."""
    s3 = boto3.client("s3")
    found: list[dict] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=get_settings().bucket):
        found += page.get("Versions", []) + page.get("DeleteMarkers", [])
    return found


def test_the_bucket_keeps_versions_and_erasure_deletes_every_one(api, tenant_a, erasable):
    """The template versions the bucket (a deleted or overwritten object stays 30 days as a noncurrent version):
    erasure must delete each version and delete marker of what it erases, not only the current objects."""
    session, _, _ = erasable
    s3, bucket = boto3.client("s3"), get_settings().bucket
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    candidate = get_candidate(tenant_a.id, session.candidate_id)
    overwritten, deleted = candidate.files[0].key, candidate.files[-1].key
    s3.put_object(Bucket=bucket, Key=overwritten, Body=b"%PDF- a second version")  # the first one: noncurrent
    s3.delete_object(Bucket=bucket, Key=deleted)  # a delete marker over the object's only version
    part = next(k for k in _objects() if k.startswith(CACHE_PREFIX) and f"/{session.id}/" in k)
    s3.put_object(Bucket=bucket, Key=part, Body=b"%PDF- rendered again")
    mine = [v for v in _versions() if session.candidate_id in v["Key"] or session.id in v["Key"]]
    assert any(not v.get("IsLatest") for v in mine)
    assert sum(v["Key"] == deleted for v in mine) == 2

    reply = _erase(api, tenant_a, session.candidate_id)

    assert reply.status == 200, reply.body
    left = [v["Key"] for v in _versions() if session.candidate_id in v["Key"] or session.id in v["Key"]]
    assert not left, left
    # What it counts is the objects that were there (current versions), not their versions.
    assert reply.body["files_deleted"] == len({v["Key"] for v in mine if v.get("IsLatest") and "Size" in v})


# ------------------------------------------------------------------ nothing left anywhere (issue 14, item 2)

PHONE = "+1 555 0142 7788"  # the demo gives every candidate the same phone: this one is Ada's alone


def _export(api, tenant, ids: list[str], **options):
    body = {"interview_result_ids": ids} if len(ids) > 1 else {"interview_result_id": ids[0]}
    reply = api("export_report", body={**body, "export_type": "pdf", **options}, headers=tenant.as_member())
    assert reply.status == 200, reply.body
    url = reply.body["pdf_export_url"]
    return url, urlparse(url).path.lstrip("/").removeprefix(f"{get_settings().bucket}/")


def _readable(data: bytes) -> str:
    """What an object says: a PDF's text (its streams are compressed), else its bytes; lower-cased, one space."""
    text = data.decode("latin-1")
    if data.startswith(b"%PDF-"):
        with suppress(PyPdfError):  # a stand-in "%PDF-" body, not a document
            text += " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.lower().split())


@pytest.fixture
def earlier_versions(emulated) -> set[str]:
    """The versions earlier tests left in the bucket (emptying it between tests leaves them): not this test's."""
    return {version["VersionId"] for version in _versions()}


def _every_version(earlier: set[str]) -> dict[str, str]:
    """Every version of every object in the bucket but the `earlier` ones, by "key@version", readable."""
    s3, bucket = boto3.client("s3"), get_settings().bucket
    found = {}
    for version in _versions():
        if "Size" not in version or version["VersionId"] in earlier:
            continue  # a delete marker holds nothing
        body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
        found[f"{version['Key']}@{version['VersionId']}"] = _readable(body)
    return found


def _table_text() -> str:
    """Every string in every item of the table (a Scan), lower-cased: what a JSON dump would escape, as it is."""

    def strings(value) -> list[str]:
        if isinstance(value, dict):
            return [s for inner in value.values() for s in strings(inner)]
        if isinstance(value, list):
            return [s for inner in value for s in strings(inner)]
        return [value] if isinstance(value, str) else []

    return "\n".join(strings(_items())).lower()


def _messages(queue_url: str) -> list[dict]:
    """Every message on a queue, as received (with visibility 0, so they stay there)."""
    sqs, seen = boto3.client("sqs"), {}
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        fresh = [m for m in batch.get("Messages", []) if m["MessageId"] not in seen]
        if not fresh:
            return list(seen.values())
        seen.update((m["MessageId"], m) for m in fresh)


def _dead_letter(queue_url: str, dlq_url: str, webhook_id: str) -> None:
    """Park one webhook in the dead-letter queue, as SQS does after the last attempt: its body, unchanged."""
    sqs = boto3.client("sqs")
    [message] = [m for m in _messages(queue_url) if json.loads(m["Body"])["id"] == webhook_id]
    sqs.send_message(
        QueueUrl=dlq_url, MessageBody=message["Body"], MessageGroupId="g", MessageDeduplicationId=webhook_id
    )
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_after_erasure_no_object_message_or_item_holds_the_candidates_data(
    api, stack, earlier_versions, tenant_a, erasable, queue
):
    """Every place a candidate's data is written: the bucket (every version, exports kept or not, a report
    combined with another candidate), the webhook queue and its dead-letter queue, and the whole table."""
    session, _, invite = erasable
    ada = get_candidate(tenant_a.id, session.candidate_id)
    save_candidate(ada.model_copy(update={"phone": PHONE}))
    grace = make_result(
        tenant_a.id,
        name="Grace Hopper",
        interview=get_interview(tenant_a.id, session.interview_id),
        strength="moderate",
    )
    ada_texts = {a.text for a in session.answers} | {t.text for t in session.turns if t.speaker == "participant"}
    grace_texts = {a.text for a in get_session(tenant_a.id, grace.id).answers}
    assert ada_texts.isdisjoint(grace_texts)
    pii = [v.lower() for v in ("Ada Okafor", ada.email, PHONE, ada.linkedin_url or "", *ada_texts) if v]

    kept_url, kept = _export(api, tenant_a, [session.id], store_file=True)
    expiring_url, expiring = _export(api, tenant_a, [session.id])
    combined_url, combined = _export(api, tenant_a, [grace.id, session.id], store_file=True)
    _, graces = _export(api, tenant_a, [grace.id], store_file=True)
    assert kept.startswith(f"reports/exports/{tenant_a.id}/")
    assert expiring.startswith(f"exports/reports/{tenant_a.id}/")
    for url in (kept_url, expiring_url, combined_url):
        assert requests.get(url, timeout=10).status_code == 200
    assert "ada okafor" in _readable(
        boto3.client("s3").get_object(Bucket=get_settings().bucket, Key=combined)["Body"].read()
    )

    create_endpoint(tenant_a.id, WebhookEndpointCreate(url="https://hooks.example.com/erasure"))
    open_invite(invite.token)  # invite.opened, naming the address: stays queued
    lifecycle._publish(get_session(tenant_a.id, session.id), "session.completed")  # names the candidate
    lifecycle._publish(get_session(tenant_a.id, grace.id), "session.completed")
    dlq = boto3.client("sqs").get_queue_url(QueueName="panelist-test-webhooks-dlq.fifo")["QueueUrl"]
    [completed] = [
        json.loads(m["Body"])["id"]
        for m in _messages(queue)
        if json.loads(m["Body"])["type"] == "session.completed"
        and ada.email in json.dumps(delivery.payload_of(json.loads(m["Body"])))
    ]
    _dead_letter(queue, dlq, completed)
    bodies = [json.loads(m["Body"]) for m in _messages(queue) + _messages(dlq)]
    assert len(bodies) == 3
    assert any(ada.email.lower() in json.dumps(delivery.payload_of(b)).lower() for b in bodies)
    assert [json.loads(m["Body"])["id"] for m in _messages(dlq)] == [completed]
    table_text = _table_text()
    assert all(value in table_text for value in pii)  # the checks below can see each of them
    assert all(value in " ".join(_every_version(earlier_versions).values()) for value in pii[:3])

    reply = _erase(api, tenant_a, session.candidate_id)

    assert reply.status == 200, reply.body
    objects = _every_version(earlier_versions)
    for where, text in objects.items():
        for value in pii:
            assert value not in text, (where, value)
    keys = {where.split("@")[0] for where in objects}
    assert not {kept, expiring, combined} & keys  # the combined report went whole, with Grace's part of it
    assert graces in keys  # Grace's own export stays
    for url in (kept_url, expiring_url, combined_url):  # the links handed out fail as S3 fails a missing key
        gone = requests.get(url, timeout=10)
        assert gone.status_code == 404
        assert b"NoSuchKey" in gone.content
    left = _messages(queue) + _messages(dlq)
    assert len(left) == 3  # queue messages cannot be deleted: they hold no personal data
    for message in left:
        for value in pii:
            assert value not in message["Body"].lower(), value
    payloads = {json.loads(m["Body"])["id"]: delivery.payload_of(json.loads(m["Body"])) for m in left}
    assert payloads[completed] is None
    assert sorted(p["type"] for p in payloads.values() if p) == ["session.completed"]  # Grace's
    table_text = _table_text()
    for value in pii:
        assert value not in table_text, value
    assert "grace hopper" in table_text

    # The parked webhook, redriven and delivered: not sent, recorded as erased.
    with iam.acting_as(stack.role("deliver_webhooks")):
        delivery.deliver(json.loads(next(m["Body"] for m in _messages(dlq))), 9)
    [attempt] = table().query(org_pk(tenant_a.id), prefix=f"WEBHOOK#{completed}#ATTEMPT#").items
    assert (attempt["outcome"], attempt["attempt"]) == ("erased", 9)
    assert "erased" in attempt["error"]
    record = erasure.get_erasure(tenant_a.id, session.candidate_id)
    assert record is not None
    assert (record.exports_deleted, record.webhooks_erased) == (3, 2)
