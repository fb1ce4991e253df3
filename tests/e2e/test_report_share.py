"""Shared report links end to end on `panelist serve --demo`: create, open, download, list, expire, revoke.

The real expiry is exercised without sleeping: a one-minute share is created when the module starts,
the other checks run, and the last test polls its page (bounded) until the minute has passed.
"""

import time
from datetime import UTC, datetime

import pytest

EXPIRY_POLL_SECONDS = 75.0


@pytest.fixture(scope="module")
def key(served) -> dict[str, str]:
    return {"apiKey": served["demo"]["admin_key"]}


@pytest.fixture(scope="module")
def response_id(served) -> int:
    return next(s["response_id"] for s in served["demo"]["ids"]["sessions"] if s["status"] == "completed")


@pytest.fixture(scope="module")
def names(served) -> list[str]:
    return [c["name"] for c in served["demo"]["ids"]["candidates"]]


def _share(client, key, response_id, hours):
    reply = client.request(
        "POST", f"/ai-interviews/report/{response_id}/share", body={"expiration_hours": hours}, headers=key
    )
    assert reply.status == 200, reply.raw
    return reply.json


def _path(served, share) -> str:
    assert share["signed_url"].startswith(served["base_url"] + "/interviews/ai/report/shared/")
    return share["signed_url"].removeprefix(served["base_url"])


@pytest.fixture(scope="module")
def one_minute(client, served, key, response_id):
    """A share that expires a minute after the module starts (first used by the module's first test)."""
    share = _share(client, key, response_id, 1 / 60)
    return {**share, "path": _path(served, share)}


def _page(client, path, agent="e2e-browser/1.0"):
    return client.request("GET", path, headers={"User-Agent": agent, "Accept": "text/html"})


def test_a_one_minute_share_opens_at_first(client, one_minute, names):
    assert one_minute["expiration_hours"] == 1 / 60
    page = _page(client, one_minute["path"])
    assert page.status == 200, page.raw[:500]
    assert any(name in page.raw.decode() for name in names)


def test_create_open_list_and_revoke(client, served, key, response_id, names):
    share = _share(client, key, response_id, 2)
    assert share["response_id"] == response_id
    assert isinstance(share["ai_interview_id"], int)
    expires = datetime.fromisoformat(share["expires_at"]).replace(tzinfo=UTC)
    assert 7190 < (expires - datetime.now(UTC)).total_seconds() <= 7200

    path = _path(served, share)
    page = _page(client, path)
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in page.headers["X-Robots-Tag"]
    text = page.raw.decode()
    assert "This report was shared with you until" in text
    assert any(name in text for name in names)

    listed = client.request("GET", f"/ai-interviews/report/{response_id}/shares", headers=key)
    assert listed.status == 200
    mine = next(s for s in listed.json["shares"] if s["expires_at"] == share["expires_at"])
    assert (mine["status"], mine["view_count"]) == ("active", 1)
    assert mine["views"][0]["user_agent"] == "e2e-browser/1.0"
    assert "127.0.0.1" not in str(mine["views"])

    tampered = path[:-5] + ("AAAAA" if not path.endswith("AAAAA") else "BBBBB")
    assert _page(client, tampered).status == 403

    revoke = f"/ai-interviews/report/{response_id}/shares/{mine['share_id']}"
    revoked = client.request("DELETE", revoke, headers=key)
    assert (revoked.status, revoked.json["status"]) == (200, "revoked")
    assert client.request("DELETE", revoke, headers=key).json == revoked.json
    gone = _page(client, path)
    assert gone.status == 403
    assert b"revoked" in gone.raw


def test_the_download_is_the_report_pdf(client, key, response_id):
    reply = client.request("POST", f"/ai-interviews/report/{response_id}/download", headers=key)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/pdf"
    assert reply.headers["Content-Disposition"] == f'attachment; filename="report-{response_id}.pdf"'
    assert reply.raw.startswith(b"%PDF")


def test_errors_in_the_xobin_shape(client, key, response_id):
    bad = client.request(
        "POST", f"/ai-interviews/report/{response_id}/share", body={"expiration_hours": 24.01}, headers=key
    )
    assert (bad.status, bad.json) == (400, {"error": "expiration_hours must be between 1 minute and 24 hours"})
    assert client.request("POST", f"/ai-interviews/report/{response_id}/print", headers=key).status == 400
    assert client.request("POST", "/ai-interviews/report/999999/share", headers=key).status == 404
    assert client.request("POST", f"/ai-interviews/report/{response_id}/share").status in (401, 403)


def test_the_one_minute_share_expires(client, key, response_id, one_minute):
    """Polled, not slept: the other checks of the module ran during most of the minute."""
    deadline = time.monotonic() + EXPIRY_POLL_SECONDS
    while (page := _page(client, one_minute["path"])).status == 200:
        assert time.monotonic() < deadline, "the one-minute share still opens"
        time.sleep(1)
    assert page.status == 410
    assert b"This link has expired" in page.raw
    assert datetime.now(UTC) >= datetime.fromisoformat(one_minute["expires_at"]).replace(tzinfo=UTC)

    def listed():
        shares = client.request("GET", f"/ai-interviews/report/{response_id}/shares", headers=key).json["shares"]
        return next(s for s in shares if s["expires_at"] == one_minute["expires_at"])

    before = listed()
    assert before["status"] == "expired"
    assert before["view_count"] >= 1  # every 200 while polling was a view
    assert _page(client, one_minute["path"]).status == 410
    assert listed()["view_count"] == before["view_count"]  # a 410 is not a view
