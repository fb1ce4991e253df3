"""GET /reports/files/{token}: a report's link to a file opens a fresh presigned GET of the file as it is now."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlparse

import jwt
import pytest
import requests

from panelist.candidates.store import get_candidate, save_candidate
from panelist.core import signing
from panelist.core.storage import org_pk, table
from panelist.reports import files, links
from panelist.reports.links import file_link
from tests.functions.reports_data import make_result
from tests.functions.test_sessions import BUCKET


def _open(api, url: str):
    token = url.rsplit("/", 1)[1]
    return api("open_report_file", path=f"/reports/files/{token}", path_params={"token": token}, headers={})


def _key(location: str) -> str:
    return unquote(urlparse(location).path).split(f"/{BUCKET}/", 1)[-1].lstrip("/")


def _link(session, kind, page=None):
    return file_link(session.organization_id, session.id, kind, base_url="https://api.example.com", page=page)


@pytest.fixture
def result(tenant_a):
    return make_result(tenant_a.id, recordings=True, cover_letter=True)


def test_a_link_is_a_report_file_token_for_thirty_days(result):
    url, expires = _link(result, "resume")
    assert url.startswith("https://api.example.com/reports/files/")
    claims = signing.verify(url.rsplit("/", 1)[1], audience="report-file")
    assert (claims["org"], claims["ses"], claims["kind"]) == (result.organization_id, result.id, "resume")
    assert "page" not in claims
    assert abs(expires - (datetime.now(UTC) + links.LINK_TTL)) < timedelta(seconds=5)
    with pytest.raises(ValueError, match="kind"):
        _link(result, "passport")
    with pytest.raises(ValueError, match="page"):
        _link(result, "resume", page=0)


def test_each_kind_redirects_to_a_fresh_presigned_get_of_its_file(api, tenant_a, result):
    candidate = get_candidate(tenant_a.id, result.candidate_id)
    by_type = {f.type.value: f.key for f in candidate.files}
    answer = result.answers[0]
    expected = {
        "resume": by_type["resume"],
        "cover_letter": by_type["cover_letter"],
        "session_recording": result.recording_key,
        "video_introduction": result.intro_video_key,
        f"answer:{answer.question_id}": answer.audio_key,
    }
    for kind, key in expected.items():
        assert key
        reply = _open(api, _link(result, kind)[0])
        assert reply.status == 302, (kind, reply.body)
        location = reply.headers["Location"]
        assert _key(location) == key, kind
        query = parse_qs(urlparse(location).query)
        assert "X-Amz-Signature" in query or "Signature" in query
        assert int(query.get("X-Amz-Expires", [str(files.OPEN_SECONDS)])[0]) == files.OPEN_SECONDS
        assert reply.headers["Cache-Control"] == "no-store"
        assert "#" not in location
        fetched = requests.get(location, timeout=10)
        assert fetched.status_code == 200, kind
        assert fetched.content  # the stored bytes, through the presigned URL


def test_a_page_opens_the_document_at_that_page(api, result):
    reply = _open(api, _link(result, "resume", page=2)[0])
    assert reply.status == 302
    location = reply.headers["Location"]
    assert location.endswith("#page=2")
    assert "resume" in _key(location.split("#", 1)[0])


def test_the_file_as_it_is_now(api, tenant_a, result):
    """A link made before the recording moved opens the new recording."""
    url = _link(result, "session_recording")[0]
    table().update(org_pk(tenant_a.id), f"SESSION#{result.id}", "SET recording_key = :k", k="orgs/x/moved.webm")
    assert _key(_open(api, url).headers["Location"]) == "orgs/x/moved.webm"


def test_an_erased_candidate_is_a_410_page(api, tenant_a, result):
    url = _link(result, "resume")[0]
    candidate = get_candidate(tenant_a.id, result.candidate_id)
    save_candidate(candidate.model_copy(update={"erased_at": datetime.now(UTC)}))
    for kind in ("resume", "session_recording", f"answer:{result.answers[0].question_id}"):
        reply = _open(api, _link(result, kind)[0])
        assert reply.status == 410, kind
        assert "erased" in reply.body
        assert "Location" not in reply.headers
    assert _open(api, url).status == 410


def test_a_missing_file_is_a_404_page(api, tenant_a):
    session = make_result(tenant_a.id)  # no cover letter, no recordings of answers
    for kind in ("cover_letter", "video_introduction", "answer:nope"):
        reply = _open(api, _link(session, kind)[0])
        assert reply.status == 404, kind
        assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "This link does not work" in reply.body


def test_an_expired_link_is_a_410_page(api, result):
    token = _link(result, "resume")[0].rsplit("/", 1)[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    ring = signing.key_ring()
    claims["exp"] = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    expired = jwt.encode(claims, ring.keys[ring.active_kid], algorithm="HS256", headers={"kid": ring.active_kid})
    reply = _open(api, f"https://x/reports/files/{expired}")
    assert reply.status == 410
    assert "This link has expired" in reply.body


def test_a_garbled_forged_or_foreign_token_is_a_403_page(api, tenant_a, tenant_b, result):
    token = _link(result, "resume")[0].rsplit("/", 1)[1]
    header, payload, signature = token.split(".")
    ring = signing.key_ring()
    claims = jwt.decode(token, options={"verify_signature": False})
    share_token = signing.sign(
        {"org": tenant_a.id, "ses": result.id, "shr": "x"}, audience="report-share", ttl=timedelta(hours=1)
    )[0]
    bad = [
        "garbage",
        f"{header}.{payload}.{signature[:-6]}AAAAAA",
        jwt.encode(
            claims, "another-key-0123456789abcdef0123456789", algorithm="HS256", headers={"kid": ring.active_kid}
        ),
        share_token,  # a shared report's token is not a file link
        jwt.encode(
            {**claims, "kind": "../etc"},
            ring.keys[ring.active_kid],
            algorithm="HS256",
            headers={"kid": ring.active_kid},
        ),
    ]
    for token in bad:
        reply = _open(api, f"https://x/reports/files/{token}")
        assert reply.status == 403, token
        assert "This link is not valid" in reply.body
        assert reply.headers["X-Robots-Tag"].startswith("noindex")
    # a link naming another organization's session does not open it either
    other = jwt.encode(
        {**claims, "org": tenant_b.id}, ring.keys[ring.active_kid], algorithm="HS256", headers={"kid": ring.active_kid}
    )
    assert _open(api, f"https://x/reports/files/{other}").status == 404
