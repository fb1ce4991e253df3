"""A session's uploads: presigned POSTs (S3 browser-based uploads) with a policy, capped per session, attached by copy.

Every file is sent as a browser sends it (the policy's fields, then the file, as multipart/form-data) through
panelist_local.presigned, which checks it as S3 does before moto stores it, as under `panelist serve`.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from werkzeug.test import Client

from panelist.candidates.store import get_candidate
from panelist.core.settings import get_settings
from panelist.models.sessions import SessionStatus
from panelist.sessions import flow
from panelist_local import iam
from panelist_local.presigned import PresignedGuard
from tests.functions.test_interview_flow import _answer, _interview, _invite, _json, _page, _session_of, _start, _token

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def session(api, tenant_a):
    """A session token of an interview of two questions (an upload limit of 3 * 2 * 2 + 3 = 15)."""
    interview = _interview(tenant_a.id, questions=2)
    return _token(_start(api, _invite(tenant_a.id, interview).token, {"consent": "on", "name": "Sam Lee"}))


def _ask(api, token: str, kind: str, content_type: str):
    return _json(api, "create_interview_upload", token, "uploads", {"kind": kind, "content_type": content_type})


def _target(api, token: str, kind: str = "resume", content_type: str = "application/pdf") -> dict[str, Any]:
    reply = _ask(api, token, kind, content_type)
    assert reply.status == 201, reply.body
    return reply.body


def _forward_to_moto(url: str):
    """A WSGI app that sends the request on to moto (in this process, behind `requests`)."""

    def app(environ: dict[str, Any], start_response):
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        reply = requests.post(url, data=body, headers={"Content-Type": environ["CONTENT_TYPE"]}, timeout=30)
        start_response(f"{reply.status_code} moto", [("Content-Type", reply.headers.get("Content-Type", "text/xml"))])
        return [reply.content]

    return app


def post_file(
    target: dict[str, Any],
    content: bytes,
    *,
    fields: dict[str, str] | None = None,
    at: datetime | None = None,
):
    """POST `content` as the page does (the fields, then the file) and S3's answer: status and XML body."""
    bucket = get_settings().bucket
    guard = PresignedGuard(_forward_to_moto(target["url"]), [bucket], {}, clock=lambda: at or datetime.now(UTC))
    form = list((target["fields"] if fields is None else fields).items())
    prepared = requests.Request("POST", target["url"], data=form, files={"file": ("blob", content)}).prepare()
    assert urlsplit(target["url"]).hostname.startswith(bucket + ".")  # virtual-hosted: path-style locally
    reply = Client(guard).post(f"/{bucket}", data=prepared.body, content_type=prepared.headers["Content-Type"])
    return reply.status_code, reply.get_data(as_text=True)


def _exists(key: str) -> bool:
    try:
        boto3.client("s3").head_object(Bucket=get_settings().bucket, Key=key)
    except ClientError:
        return False
    return True


def _policy(target: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(target["fields"]["policy"]))


# ------------------------------------------------------------------ the upload's contract


def test_an_upload_is_a_presigned_post_for_one_key_its_type_and_a_size(api, session):
    target = _target(api, session, "audio", "audio/webm;codecs=opus")
    ids = _session_of(session)
    assert target["method"] == "POST"
    assert target["key"].startswith(f"{flow.UPLOAD_PREFIX}{ids.organization_id}/{ids.id}/audio-")
    assert target["key"].endswith(".webm")
    assert (target["content_type"], target["max_bytes"], target["expires_in"]) == ("audio/webm", 25 * 1024 * 1024, 300)
    assert target["uploads_left"] == flow.upload_limit(_interview_of(session)) - 1
    fields = target["fields"]
    assert (fields["key"], fields["Content-Type"]) == (target["key"], "audio/webm")
    policy = _policy(target)
    conditions = policy["conditions"]
    assert {"key": target["key"]} in conditions
    assert {"Content-Type": "audio/webm"} in conditions
    assert {"bucket": get_settings().bucket} in conditions
    assert ["content-length-range", 1, flow.MAX_AUDIO_BYTES] in conditions
    expires = datetime.fromisoformat(policy["expiration"])
    assert timedelta(0) < expires - datetime.now(UTC) <= timedelta(seconds=flow.UPLOAD_SECONDS)

    assert post_file(target, b"webm-bytes")[0] == 204
    stored = boto3.client("s3").head_object(Bucket=get_settings().bucket, Key=target["key"])
    assert (stored["ContentType"], stored["ContentLength"]) == ("audio/webm", 10)


def _interview_of(token: str):
    from panelist.interviews.store import get_interview

    session = _session_of(token)
    return get_interview(session.organization_id, session.interview_id)


@pytest.mark.parametrize(
    ("kind", "content_type", "field"),
    [("audio", "video/mp4", "content_type"), ("resume", "image/png", "content_type"), ("exe", "x", "kind")],
)
def test_a_kind_or_type_that_is_not_accepted_is_a_400_that_counts_nothing(api, session, kind, content_type, field):
    refused = _ask(api, session, kind, content_type)
    assert refused.status == 400
    assert refused.body["error"]["details"]["field"] == field
    assert _target(api, session)["uploads_left"] == flow.upload_limit(_interview_of(session)) - 1


# ------------------------------------------------------------------ what S3 refuses


def test_a_6_mb_resume_is_refused_with_entity_too_large_and_nothing_is_stored(api, session):
    target = _target(api, session)
    status, body = post_file(target, b"%PDF" + b"0" * (6 * 1024 * 1024))
    assert status == 400
    assert "<Code>EntityTooLarge</Code>" in body
    assert f"<MaxSizeAllowed>{flow.MAX_RESUME_BYTES}</MaxSizeAllowed>" in body
    assert not _exists(target["key"])
    assert _json(api, "attach_resume", session, "resume", {"key": target["key"]}).status == 404


def test_an_audio_recording_over_25_mib_is_refused(api, session):
    target = _target(api, session, "audio", "audio/ogg")
    status, body = post_file(target, b"0" * (flow.MAX_AUDIO_BYTES + 1))
    assert (status, "<Code>EntityTooLarge</Code>" in body) == (400, True)
    assert not _exists(target["key"])


def test_an_empty_file_is_refused_with_entity_too_small(api, session):
    status, body = post_file(_target(api, session), b"")
    assert (status, "<Code>EntityTooSmall</Code>" in body) == (400, True)


def test_another_content_type_than_the_declared_one_is_refused(api, session):
    target = _target(api, session)
    status, body = post_file(target, PDF, fields={**target["fields"], "Content-Type": "text/html"})
    assert status == 403
    assert "<Code>AccessDenied</Code>" in body
    assert 'Policy Condition failed: ["eq", "$Content-Type", "application/pdf"]' in body
    assert not _exists(target["key"])


def test_another_key_than_the_signed_one_is_refused(api, session):
    target = _target(api, session)
    elsewhere = target["key"].replace("uploads/", "orgs/")
    status, body = post_file(target, PDF, fields={**target["fields"], "key": elsewhere})
    assert (status, "Policy Condition failed" in body) == (403, True)
    assert not _exists(elsewhere)


def test_a_field_the_policy_does_not_name_is_refused(api, session):
    target = _target(api, session)
    status, body = post_file(target, PDF, fields={**target["fields"], "x-amz-meta-owner": "someone"})
    assert status == 403
    assert "Invalid according to Policy: Extra input fields: x-amz-meta-owner" in body


def test_an_expired_policy_is_refused(api, session):
    target = _target(api, session)
    later = datetime.now(UTC) + timedelta(seconds=flow.UPLOAD_SECONDS + 1)
    status, body = post_file(target, PDF, at=later)
    assert (status, "Invalid according to Policy: Policy expired." in body) == (403, True)
    assert post_file(target, PDF)[0] == 204  # within its time, the same form is accepted


def test_a_tampered_policy_is_refused(api, session):
    target = _target(api, session)
    policy = _policy(target)
    policy["conditions"] = [
        ["content-length-range", 1, 10**9] if isinstance(c, list) else c for c in policy["conditions"]
    ]
    tampered = base64.b64encode(json.dumps(policy).encode()).decode()
    status, body = post_file(target, PDF, fields={**target["fields"], "policy": tampered})
    assert (status, "<Code>SignatureDoesNotMatch</Code>" in body) == (403, True)


def test_the_signers_role_must_allow_the_put(api, session, revoke):
    revoke("create_interview_upload", iam.granting("s3:PutObject"))
    target = _target(api, session)  # signing needs no permission; S3 authorizes the signer when the form is used
    status, body = post_file(target, PDF)
    assert status == 403
    assert "s3:PutObject" in body
    assert not _exists(target["key"])


# ------------------------------------------------------------------ the limit


def test_a_session_has_a_limited_number_of_uploads(api, session):
    limit = flow.upload_limit(_interview_of(session))
    assert limit == 15
    lefts = [_target(api, session, "audio", "audio/webm")["uploads_left"] for _ in range(limit)]
    assert lefts == list(range(limit - 1, -1, -1))
    refused = _ask(api, session, "resume", "application/pdf")
    assert refused.status == 429
    assert refused.body["error"]["code"] == "UPLOAD_LIMIT_REACHED"
    assert f"at most {limit} uploads" in refused.body["error"]["message"]


def test_an_ended_session_gets_no_upload(api, session):
    opened = flow.open_session(session)
    flow.finish(opened, SessionStatus.abandoned)
    refused = _ask(api, session, "audio", "audio/webm")
    assert (refused.status, refused.body["error"]["details"]["field"]) == (409, "token")


# ------------------------------------------------------------------ attaching


def test_an_answers_recording_is_moved_out_of_the_unattached_uploads(api, session):
    target = _target(api, session, "audio", "audio/webm")
    assert post_file(target, b"webm-bytes")[0] == 204
    assert _answer(api, session, "", audio_key=target["key"]).status == 303
    answer = _session_of(session).answers[0]
    ids = _session_of(session)
    assert answer.audio_key == f"orgs/{ids.organization_id}/sessions/{ids.id}/audio/{target['key'].split('audio-')[1]}"
    stored = boto3.client("s3").get_object(Bucket=get_settings().bucket, Key=answer.audio_key)
    assert (stored["Body"].read(), stored["ContentType"]) == (b"webm-bytes", "audio/webm")
    assert not _exists(target["key"]), "the unattached copy is gone"


@pytest.mark.parametrize("which", ["not uploaded", "another session's", "a resume", "outside the uploads"])
def test_an_answer_with_a_recording_that_is_not_its_own_upload_is_a_400_page(api, tenant_a, session, which):
    target = _target(api, session, "audio", "audio/webm")
    other = _token(_start(api, _invite(tenant_a.id, _interview(tenant_a.id)).token, {"consent": "on", "name": "Other"}))
    keys = {
        "not uploaded": target["key"],
        "another session's": _target(api, other, "audio", "audio/webm")["key"],
        "a resume": _target(api, session)["key"],
        "outside the uploads": f"orgs/{_session_of(session).organization_id}/sessions/x/audio/a.webm",
    }
    if which == "another session's":
        assert post_file(_target(api, other, "audio", "audio/webm"), b"x")[0] == 204
    reply = _answer(api, session, "", audio_key=keys[which])
    assert reply.status == 400
    assert "recording" in reply.body
    assert _session_of(session).answers == []


def test_a_resume_is_copied_to_the_candidates_files_once(api, tenant_a, session):
    target = _target(api, session)
    assert post_file(target, PDF)[0] == 204
    attached = _json(api, "attach_resume", session, "resume", {"key": target["key"], "name": "Sam Lee CV.pdf"})
    assert attached.status == 201, attached.body
    candidate = get_candidate(tenant_a.id, _session_of(session).candidate_id)
    kept = f"orgs/{tenant_a.id}/candidates/{candidate.id}/resume-{target['key'].split('resume-')[1]}"
    assert [(f.type.value, f.key, f.name) for f in candidate.files] == [("resume", kept, "Sam Lee CV.pdf")]
    assert boto3.client("s3").get_object(Bucket=get_settings().bucket, Key=kept)["Body"].read() == PDF
    assert not _exists(target["key"])
    again = _json(api, "attach_resume", session, "resume", {"key": target["key"]})
    assert (again.status, again.body["key"]) == (201, kept)
    assert len(get_candidate(tenant_a.id, candidate.id).files) == 1


def test_only_the_sessions_own_resume_uploads_can_be_attached(api, session):
    audio = _target(api, session, "audio", "audio/webm")
    assert post_file(audio, b"x")[0] == 204
    for key in (audio["key"], "orgs/x/candidates/y/resume-0.pdf", "../" + audio["key"]):
        refused = _json(api, "attach_resume", session, "resume", {"key": key})
        assert (refused.status, refused.body["error"]["details"]["field"]) == (400, "key")
    missing = _target(api, session)
    assert _json(api, "attach_resume", session, "resume", {"key": missing["key"]}).status == 404


def test_the_session_page_lets_its_script_post_to_the_bucket(api, session):
    page = _page(api, session)
    policy = page.headers["Content-Security-Policy"]
    origin = f"https://{get_settings().bucket}.s3.{boto3.session.Session().region_name or 'us-east-1'}.amazonaws.com"
    assert f"connect-src 'self' {flow.upload_origin()};" in policy
    assert flow.upload_origin() == origin
