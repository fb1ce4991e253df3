"""POST /ai-interviews/report/{response_id}/{option}: a signed link to the report (`share`) or its PDF (`download`)."""

import base64
import copy
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest

from panelist.api import auth
from panelist.core import signing
from panelist.interviews.store import get_interview
from panelist.reports import exports
from tests.functions.harness import invoke, sample_event
from tests.functions.reports_data import make_result

EXPIRATION_ERROR = {"error": "expiration_hours must be between 1 minute and 24 hours"}


def _share(api, tenant, response_id, body=None, *, option="share", raw_body=None):
    return api(
        "share_report",
        path=f"/ai-interviews/report/{response_id}/{option}",
        path_params={"response_id": str(response_id), "option": option},
        body=body,
        raw_body=raw_body,
        headers=tenant.as_member(),
    )


def _download(tenant, response_id) -> dict:
    """The handler's raw result (the `api` fixture reads bodies as JSON, and this one is a PDF)."""
    event = copy.deepcopy(sample_event("share_report"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/ai-interviews/report/{response_id}/download"
    event["pathParameters"] = {"response_id": str(response_id), "option": "download"}
    event.pop("body", None)
    event["headers"] = {k: v for k, v in event["headers"].items() if k not in ("authorization", "apikey")}
    event["headers"].update(tenant.as_member())
    event["requestContext"]["authorizer"] = {"lambda": auth.authorize({"headers": event["headers"]})["context"]}
    return invoke("share_report", event)


def _expires(reply) -> datetime:
    return datetime.fromisoformat(reply.body["expires_at"]).replace(tzinfo=UTC)


def test_accepted_expirations(api, tenant_a):
    session = make_result(tenant_a.id)
    for hours in (1 / 60, 24, 2, 0.5):
        before = datetime.now(UTC)
        reply = _share(api, tenant_a, session.number, {"expiration_hours": hours})
        assert reply.status == 200, reply.body
        assert reply.body["expiration_hours"] == hours
        assert abs(_expires(reply) - (before + timedelta(hours=hours))) < timedelta(seconds=5)


def test_the_minimum_is_exactly_one_minute_as_json_sends_it(api, tenant_a):
    session = make_result(tenant_a.id)
    reply = _share(api, tenant_a, session.number, raw_body='{"expiration_hours": 0.016666666666666666}')
    assert reply.status == 200, reply.body
    assert reply.body["expiration_hours"] == 0.016666666666666666


REJECTED = [
    '{"expiration_hours": 0.0166}',
    '{"expiration_hours": 24.01}',
    '{"expiration_hours": "2"}',
    '{"expiration_hours": -1}',
    '{"expiration_hours": NaN}',  # Python's json reads it
    '{"expiration_hours": Infinity}',
    '{"expiration_hours": -Infinity}',
    '{"expiration_hours": null}',
    '{"expiration_hours": true}',
    '{"expiration_hours": 0}',
    '{"expiration_hours": [2]}',
]


def test_rejected_expirations_answer_exactly_the_seed_error(api, tenant_a):
    session = make_result(tenant_a.id)
    for raw in REJECTED:
        reply = _share(api, tenant_a, session.number, raw_body=raw)
        assert (reply.status, reply.body) == (400, EXPIRATION_ERROR), raw
    assert api(
        "list_report_shares",
        path=f"/ai-interviews/report/{session.number}/shares",
        path_params={"response_id": str(session.number)},
        headers=tenant_a.as_member(),
    ).body == {"shares": []}


@pytest.mark.parametrize("body", [None, {}])
def test_the_default_is_one_hour_and_the_fields_are_exact(api, tenant_a, body):
    session = make_result(tenant_a.id)
    before = datetime.now(UTC)
    reply = _share(api, tenant_a, session.number, body)
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"signed_url", "expires_at", "expiration_hours", "response_id", "ai_interview_id"}
    assert reply.body["expiration_hours"] == 1
    assert reply.body["response_id"] == session.number
    assert type(reply.body["response_id"]) is int
    ai_interview_id = get_interview(tenant_a.id, session.interview_id).number
    assert reply.body["ai_interview_id"] == ai_interview_id
    assert type(reply.body["ai_interview_id"]) is int
    assert abs(_expires(reply) - (before + timedelta(hours=1))) < timedelta(seconds=5)
    # naive UTC ISO 8601 with microseconds, as the seed's "2025-07-09T12:46:33.163639"
    expires_at = reply.body["expires_at"]
    assert datetime.fromisoformat(expires_at).tzinfo is None
    assert len(expires_at) == len("2025-07-09T12:46:33.163639")
    assert expires_at[19] == "."
    assert json.dumps(reply.body["expiration_hours"]) == "1"  # as the seed's example


def test_an_unknown_field_is_refused_rather_than_sharing_for_the_default_hour(api, tenant_a):
    session = make_result(tenant_a.id)
    reply = _share(api, tenant_a, session.number, {"expiration_hour": 2})
    assert reply.status == 400
    assert reply.body == {"error": "Unknown field expiration_hour: the body takes only expiration_hours"}


def test_the_signed_url_is_a_share_token_granting_only_this_share(api, tenant_a):
    session = make_result(tenant_a.id)
    reply = _share(api, tenant_a, session.number, {"expiration_hours": 2})
    url = urlparse(reply.body["signed_url"])
    assert f"{url.scheme}://{url.netloc}" == "https://api.example.com"
    assert url.path.startswith("/interviews/ai/report/shared/")
    token = url.path.rsplit("/", 1)[1]
    claims = signing.verify(token, audience="report-share")
    assert {"org", "ses", "shr"} <= set(claims)
    assert set(claims) - {"org", "ses", "shr"} == {"iss", "aud", "iat", "exp", "jti"}
    assert (claims["org"], claims["ses"]) == (tenant_a.id, session.id)
    # The token lapses with the share, within the second its whole-second times allow.
    lapse = datetime.fromtimestamp(claims["exp"], UTC) - _expires(reply)
    assert timedelta(0) <= lapse <= timedelta(seconds=1)
    with pytest.raises(signing.InvalidToken):
        signing.verify(token, audience="report-file")


def test_a_body_that_is_not_an_object_keeps_the_resolver_answer(api, tenant_a):
    session = make_result(tenant_a.id)
    reply = _share(api, tenant_a, session.number, raw_body="[1]")
    assert reply.status == 400
    assert reply.body == {"error": "Request body must be a JSON object, not list"}
    assert _share(api, tenant_a, session.number, raw_body="{nope").status == 400


def test_the_download_is_the_report_pdf(tenant_a):
    session = make_result(tenant_a.id)
    result = _download(tenant_a, session.number)
    assert result["statusCode"] == 200, result["body"]
    assert result["headers"]["Content-Type"] == "application/pdf"
    assert result["headers"]["Content-Disposition"] == f'attachment; filename="report-{session.number}.pdf"'
    assert base64.b64decode(result["body"]).startswith(b"%PDF")


def test_a_download_too_large_for_a_response_is_a_redirect(tenant_a, monkeypatch):
    session = make_result(tenant_a.id)
    monkeypatch.setattr(exports, "INLINE_LIMIT_BYTES", 1000)
    result = _download(tenant_a, session.number)
    assert result["statusCode"] == 302
    assert f"report-{session.number}.pdf" in result["headers"]["Location"]


def test_an_unknown_option_is_a_400_naming_the_options(api, tenant_a):
    session = make_result(tenant_a.id)
    reply = _share(api, tenant_a, session.number, option="print")
    assert reply.status == 400
    assert "share" in reply.body["error"]
    assert "download" in reply.body["error"]
    assert set(reply.body) == {"error"}


@pytest.mark.parametrize("response_id", ["abc", "1.5", "-1", "1e3"])
def test_a_response_id_that_is_not_an_integer_is_a_400(api, tenant_a, response_id):
    reply = _share(api, tenant_a, response_id)
    assert (reply.status, reply.body) == (400, {"error": "response_id must be an integer"})


def test_an_unknown_or_foreign_response_is_a_404(api, tenant_a, tenant_b):
    session = make_result(tenant_a.id)
    for tenant, number in ((tenant_a, session.number + 100), (tenant_b, session.number)):
        for option in ("share", "download"):
            reply = _share(api, tenant, number, option=option)
            assert reply.status == 404, reply.body
            assert set(reply.body) == {"error"}


def test_without_a_key_the_route_is_refused(api, tenant_a):
    session = make_result(tenant_a.id)
    reply = api(
        "share_report",
        path=f"/ai-interviews/report/{session.number}/share",
        path_params={"response_id": str(session.number), "option": "share"},
        headers={},
    )
    assert reply.status in (401, 403)
