"""Browser-based uploads (presigned POSTs) checked as S3 checks them: panelist_local.presigned.check_post.

Policies are signed by botocore (`generate_presigned_post`), as the functions sign them; forms are encoded
by `requests`, as a browser encodes them (the fields, then the file). test_runtime.py sends them through the
guard in front of the emulator.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from panelist_local.presigned import Refusal, check_post, form_parts

BUCKET = "uploads-bucket"
KEY = "uploads/org/session/resume-1.pdf"
ACCESS_KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
PDF = b"%PDF-1.4 a small file"


def _signed(conditions: list[Any] | None = None, expires_in: int = 300, **fields: str) -> dict[str, Any]:
    s3 = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET, region_name="eu-west-1"
    ).client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    default = [{"Content-Type": "application/pdf"}, ["content-length-range", 1, 64]]
    return s3.generate_presigned_post(
        BUCKET,
        KEY,
        Fields={"Content-Type": "application/pdf", **fields},
        Conditions=default if conditions is None else conditions,
        ExpiresIn=expires_in,
    )


def _form(fields: dict[str, str], content: bytes | None = PDF, *, after: dict[str, str] | None = None):
    files: dict[str, Any] = {"file": ("blob", content, "application/pdf")} if content is not None else {}
    if after:  # fields after the file: encoded by hand, as requests puts files last
        files.update({name: (None, value) for name, value in after.items()})
    if not files:
        files = {"x-ignore-nothing": (None, "")}
    prepared = requests.Request("POST", "http://x/", data=list(fields.items()), files=files).prepare()
    return prepared.headers["Content-Type"], prepared.body


def _check(fields: dict[str, str], content: bytes | None = PDF, *, at: datetime | None = None, **kwargs: Any):
    content_type, body = _form(fields, content, **kwargs)
    return check_post(BUCKET, content_type, body, {ACCESS_KEY: SECRET}.get, now=at)


def _refusal(fields: dict[str, str], content: bytes | None = PDF, **kwargs: Any) -> Refusal:
    with pytest.raises(Refusal) as refused:
        _check(fields, content, **kwargs)
    return refused.value


def test_a_form_within_its_policy_is_the_upload_it_names():
    post = _signed()
    upload = _check(post["fields"])
    assert (upload.access_key, upload.key, upload.size) == (ACCESS_KEY, KEY, len(PDF))


def test_the_size_is_checked_against_content_length_range():
    too_large = _refusal(_signed()["fields"], b"0" * 65)
    assert (too_large.status, too_large.code) == (400, "EntityTooLarge")
    assert too_large.details == {"ProposedSize": 65, "MaxSizeAllowed": 64}
    too_small = _refusal(_signed()["fields"], b"")
    assert (too_small.status, too_small.code, too_small.details["MinSizeAllowed"]) == (400, "EntityTooSmall", 1)
    assert _check(_signed()["fields"], b"0" * 64).size == 64


def test_each_field_must_match_its_condition():
    fields = _signed()["fields"]
    for name, value in (("Content-Type", "text/html"), ("key", "uploads/other.pdf")):
        refused = _refusal({**fields, name: value})
        assert (refused.status, refused.code) == (403, "AccessDenied")
        assert refused.message.startswith("Invalid according to Policy: Policy Condition failed: [")
    other_bucket = _signed(conditions=[{"bucket": "another-bucket"}])["fields"]
    assert "$bucket" in _refusal(other_bucket).message


def test_starts_with_conditions_match_a_prefix():
    post = _signed(conditions=[["starts-with", "$Content-Type", "application/"], ["starts-with", "$key", "uploads/"]])
    assert _check(post["fields"]).key == KEY
    assert "starts-with" in _refusal({**post["fields"], "Content-Type": "text/pdf"}).message


def test_a_field_the_policy_does_not_name_is_refused_but_ignored_ones_pass():
    fields = _signed()["fields"]
    refused = _refusal({**fields, "success_action_status": "201"})
    assert (refused.status, refused.message) == (
        403,
        "Invalid according to Policy: Extra input fields: success_action_status",
    )
    assert _check({**fields, "x-ignore-tracking": "1"}).key == KEY
    assert _check(fields, after={"anything": "after the file"}).key == KEY  # S3 ignores fields after the file


def test_an_expired_policy_is_refused():
    fields = _signed(expires_in=60)["fields"]
    refused = _refusal(fields, at=datetime.now(UTC) + timedelta(seconds=61))
    assert (refused.status, refused.code, refused.message) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    )


def test_a_tampered_policy_or_signature_is_refused():
    fields = _signed()["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    policy["conditions"][1] = ["content-length-range", 1, 10**9]
    tampered = {**fields, "policy": base64.b64encode(json.dumps(policy).encode()).decode()}
    assert _refusal(tampered).code == "SignatureDoesNotMatch"
    assert _refusal({**fields, "x-amz-signature": "0" * 64}).code == "SignatureDoesNotMatch"
    assert _refusal({**fields, "x-amz-signature": "é" * 64}).code == "SignatureDoesNotMatch"
    unknown = {**fields, "x-amz-credential": fields["x-amz-credential"].replace(ACCESS_KEY, "AKIDUNKNOWN")}
    assert _refusal(unknown).code == "InvalidAccessKeyId"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"policy": None, "x-amz-signature": None}, 403, "AccessDenied"),  # anonymous: the bucket grants nothing
        ({"x-amz-signature": None}, 400, "InvalidArgument"),
        ({"key": None}, 400, "InvalidArgument"),
        ({"x-amz-algorithm": "AWS4-HMAC-SHA1"}, 400, "InvalidArgument"),
        ({"AWSAccessKeyId": ACCESS_KEY, "signature": "x"}, 400, "InvalidRequest"),  # SigV2
        ({"policy": "not base64!"}, 403, "SignatureDoesNotMatch"),
    ],
)
def test_incomplete_or_foreign_forms_are_refused(change, status, code):
    fields = {**_signed()["fields"], **change}
    refused = _refusal({k: v for k, v in fields.items() if v is not None})
    assert (refused.status, refused.code) == (status, code)


def test_a_form_without_a_file_is_refused():
    assert _refusal(_signed()["fields"], None).message == "POST requires exactly one file upload per request."


def test_the_form_is_read_in_order_up_to_the_file():
    content_type, body = _form({"key": "k", "Content-Type": "a/b"}, b"\r\n--not-the-boundary\r\nbytes")
    fields, file = form_parts(content_type, body)
    assert fields == [("key", "k"), ("Content-Type", "a/b")]
    assert file == b"\r\n--not-the-boundary\r\nbytes"
    for broken in (("text/plain", body), (content_type, body[:-10]), ("multipart/form-data", body)):
        with pytest.raises(Refusal) as refused:
            form_parts(*broken)
        assert refused.value.code == "MalformedPOSTRequest"
