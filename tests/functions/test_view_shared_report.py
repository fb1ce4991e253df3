"""GET /interviews/ai/report/shared/{token}: the shared report page, while its link is valid, each view recorded."""

import re
from datetime import UTC, datetime, timedelta

import jwt

from panelist.candidates.store import get_candidate, save_candidate
from panelist.core import signing
from panelist.reports import shares
from panelist.reports.links import file_link
from tests.functions.reports_data import make_result

IP = "198.51.100.23"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0"


def _create(api, tenant, session, hours=2.0) -> str:
    reply = api(
        "share_report",
        path=f"/ai-interviews/report/{session.number}/share",
        path_params={"response_id": str(session.number), "option": "share"},
        body={"expiration_hours": hours},
        headers=tenant.as_member(),
    )
    assert reply.status == 200, reply.body
    return reply.body["signed_url"].rsplit("/", 1)[1]


def _view(api, token, *, ip=IP, agent=AGENT):
    return api(
        "view_shared_report",
        path=f"/interviews/ai/report/shared/{token}",
        path_params={"token": token},
        headers={"user-agent": agent},
        source_ip=ip,
    )


def _shares(api, tenant, session):
    reply = api(
        "list_report_shares",
        path=f"/ai-interviews/report/{session.number}/shares",
        path_params={"response_id": str(session.number)},
        headers=tenant.as_member(),
    )
    assert reply.status == 200, reply.body
    return reply.body["shares"]


def _resigned(token, *, key=None, **changes) -> str:
    """The token's claims, changed, signed again (by the active key unless `key` is given)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    ring = signing.key_ring()
    claims.update(changes)
    return jwt.encode(claims, key or ring.keys[ring.active_kid], algorithm="HS256", headers={"kid": ring.active_kid})


def _assert_link_page(reply, status, *words):
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reply.headers["Cache-Control"] == "no-store"
    assert "noindex" in reply.headers["X-Robots-Tag"]
    for word in words:
        assert word in reply.body


def test_the_page_is_the_report_with_a_banner(api, tenant_a):
    session = make_result(tenant_a.id)
    reply = _view(api, _create(api, tenant_a, session))
    _assert_link_page(reply, 200, "Ada Okafor", "This report was shared with you until ")
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert reply.body.lstrip().lower().startswith("<!doctype html>")
    body = reply.body[reply.body.lower().index("<body") :]
    assert body.index("This report was shared with you") < body.index("Ada Okafor")


def test_the_banner_speaks_the_reports_language(api, tenant_a):
    session = make_result(tenant_a.id, language="fr")
    reply = _view(api, _create(api, tenant_a, session))
    _assert_link_page(reply, 200, "Ce rapport a été partagé avec vous jusqu")


def test_every_view_is_recorded_without_the_raw_ip(api, tenant_a):
    session = make_result(tenant_a.id)
    token = _create(api, tenant_a, session)
    assert _view(api, token).status == 200
    assert _view(api, token, ip="203.0.113.99", agent="x" * 1000).status == 200
    [share] = _shares(api, tenant_a, session)
    assert share["view_count"] == 2
    latest, first = share["views"]  # newest first
    assert first["user_agent"] == AGENT
    assert latest["user_agent"] == "x" * shares.USER_AGENT_MAX
    assert first["ip_hash"] != latest["ip_hash"]
    for view in share["views"]:
        assert len(view["ip_hash"]) == 64
        assert IP not in str(share)
        assert "203.0.113.99" not in str(share)
        datetime.fromisoformat(view["viewed_at"])
    assert "ip_salt" not in share
    # the same viewer hashes alike within one share, differently in another
    assert _view(api, token).status == 200
    assert _shares(api, tenant_a, session)[0]["views"][0]["ip_hash"] == first["ip_hash"]
    other = _create(api, tenant_a, session)
    assert _view(api, other).status == 200
    assert _shares(api, tenant_a, session)[0]["views"][0]["ip_hash"] != first["ip_hash"]


def test_a_share_keeps_a_count_and_only_the_latest_views(api, tenant_a, monkeypatch):
    monkeypatch.setattr(shares, "MAX_VIEWS_KEPT", 3)
    session = make_result(tenant_a.id)
    token = _create(api, tenant_a, session)
    for n in range(5):
        assert _view(api, token, agent=f"agent {n}").status == 200
    [share] = _shares(api, tenant_a, session)
    assert share["view_count"] == 5
    assert [v["user_agent"] for v in share["views"]] == ["agent 4", "agent 3", "agent 2"]


def test_an_expired_link_is_a_410_page(api, tenant_a):
    session = make_result(tenant_a.id)
    token = _create(api, tenant_a, session)
    past = datetime.now(UTC) - timedelta(hours=3)
    expired = _resigned(token, iat=int(past.timestamp()), exp=int((past + timedelta(hours=1)).timestamp()))
    _assert_link_page(_view(api, expired), 410, "This link has expired", "expired")
    assert _shares(api, tenant_a, session)[0]["view_count"] == 0


def test_a_share_past_its_expiry_is_a_410_page_and_listed_as_expired(api, tenant_a, monkeypatch):
    session = make_result(tenant_a.id)
    token = _create(api, tenant_a, session, hours=1 / 60)
    assert _view(api, token).status == 200
    later = datetime.now(UTC) + timedelta(minutes=2)
    monkeypatch.setattr(jwt.api_jwt, "datetime", _Clock(later))  # PyJWT's clock
    monkeypatch.setattr(shares, "now", lambda: later)
    _assert_link_page(_view(api, token), 410, "This link has expired")
    assert _shares(api, tenant_a, session)[0]["status"] == "expired"


class _Clock:
    """Stands in for the `datetime` class PyJWT reads the time from."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self, tz=None):
        return self.moment

    def __getattr__(self, name):
        return getattr(datetime, name)


def test_a_tampered_forged_or_foreign_token_is_a_403_page(api, tenant_a):
    session = make_result(tenant_a.id)
    token = _create(api, tenant_a, session)
    header, payload, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    other_session = make_result(tenant_a.id, name="Grace Mensah")
    tokens = [
        f"{header}.{payload}.{flipped}",  # tampered signature
        f"{header}.{_resigned(token, ses=other_session.id).split('.')[1]}.{signature}",  # tampered claims
        _resigned(token, key="not-our-key-0123456789abcdef0123456789"),  # forged
        _resigned(token, aud="report-file"),  # another audience
        file_link(tenant_a.id, session.id, "resume", base_url="https://x")[0].rsplit("/", 1)[1],
        _resigned(token, shr="01935f2a-7c00-7000-8000-00000000dead"),  # no such share
        _resigned(token, ses=other_session.id),  # a share of another response
        "garbage",
        "a.b.c",
    ]
    for bad in tokens:
        _assert_link_page(_view(api, bad), 403, "This link is not valid")
        assert "Ada Okafor" not in _view(api, bad).body
    assert _shares(api, tenant_a, session)[0]["view_count"] == 0


def test_a_revoked_link_is_a_403_page(api, tenant_a):
    session = make_result(tenant_a.id)
    token = _create(api, tenant_a, session)
    [share] = _shares(api, tenant_a, session)
    revoked = api(
        "revoke_report_share",
        path=f"/ai-interviews/report/{session.number}/shares/{share['share_id']}",
        path_params={"response_id": str(session.number), "share_id": share["share_id"]},
        headers=tenant_a.as_member(),
    )
    assert revoked.status == 200
    reply = _view(api, token)
    _assert_link_page(reply, 403, "This link has been revoked", "revoked")
    assert "Ada Okafor" not in reply.body


def test_an_erased_candidate_stays_erased_on_a_shared_page(api, tenant_a):
    session = make_result(tenant_a.id)
    token = _create(api, tenant_a, session)
    candidate = get_candidate(tenant_a.id, session.candidate_id)
    save_candidate(candidate.model_copy(update={"erased_at": datetime.now(UTC), "name": "erased", "email": "erased"}))
    reply = _view(api, token)
    assert reply.status == 200
    assert "Ada Okafor" not in reply.body


def test_file_links_on_a_shared_page_die_with_the_share(api, tenant_a):
    session = make_result(tenant_a.id, cover_letter=True)
    token = _create(api, tenant_a, session, hours=1)
    page = _view(api, token)
    links = re.findall(r'href="https://api\.example\.com/reports/files/([^"#]+)"', page.body)
    assert links, "the shared report links the resume"
    claims = signing.verify(links[0], audience="report-file")
    assert claims["exp"] <= signing.verify(token, audience="report-share")["exp"]  # no longer than the share

    def opened() -> int:
        return api("open_report_file", path=f"/reports/files/{links[0]}", path_params={"token": links[0]}).status

    assert opened() == 302
    [share] = _shares(api, tenant_a, session)
    api(
        "revoke_report_share",
        path=f"/ai-interviews/report/{session.number}/shares/{share['share_id']}",
        path_params={"response_id": str(session.number), "share_id": share["share_id"]},
        headers=tenant_a.as_member(),
    )
    assert opened() == 403
