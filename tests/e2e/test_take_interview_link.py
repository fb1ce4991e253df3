"""The seed's interview-for-profile link, `/interview/take/{id}/?interview_token=...`, through the local gateway.

HTTP API route keys cannot end with a slash, so the route is `/interview/take/{interview_id}`; the local gateway
matches route keys exactly as HTTP API does, so the link's own path reaches `$default`, which answers a 308 to
the route with the query string kept. Both forms work for the page (GET) and its start form (POST).
"""

import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _raw(base_url: str, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    request = urllib.request.Request(base_url + path, data=body, method=method, headers=headers)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def link(client, served) -> str:
    """The path and query of a signed interview-for-profile link, as POST /job-interview-token returns it."""
    ids = served["demo"]["ids"]
    body = {
        "type": "interview-for-profile",
        "interview_id": ids["interviews"][1]["id"],
        "interview_profile_id": ids["candidates"][1]["id"],  # whose one session of this interview was abandoned
    }
    reply = client.request("POST", "/job-interview-token", body=body, headers={"apiKey": served["demo"]["admin_key"]})
    assert reply.status == 200, reply.raw
    url = urlsplit(reply.json)
    assert url.path.endswith("/"), "the seed's link keeps its trailing slash"
    return f"{url.path}?{url.query}"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_seeds_link_with_its_slash_is_a_308_to_the_route(served, link, method):
    status, headers, _ = _raw(served["base_url"], method, link, b"" if method == "POST" else None)
    assert status == 308
    path, _, query = link.partition("?")
    assert headers["Location"] == f"{path.rstrip('/')}?{query}"


def _without_nonce(html: bytes) -> bytes:
    return re.sub(rb' nonce="[^"]+"', b"", html)


def test_the_page_opens_at_the_route_and_through_the_redirect(client, served, link):
    path, _, query = link.partition("?")
    direct = _raw(served["base_url"], "GET", f"{path.rstrip('/')}?{query}")
    assert direct[0] == 200
    assert direct[1]["Content-Type"].startswith("text/html")
    followed = client.request("GET", link)  # urllib follows a GET's 308, as a browser does
    assert followed.status == 200
    assert _without_nonce(followed.raw) == _without_nonce(direct[2])  # each response draws its own CSP nonce
    assert b'<form method="post"' in direct[2]


def test_the_start_form_posts_to_the_route(served, link):
    path, _, query = link.partition("?")
    # Without consent nothing starts: the page again, saying why (and no session left behind).
    status, headers, body = _raw(served["base_url"], "POST", f"{path.rstrip('/')}?{query}", b"")
    assert status == 400, body[:300]
    assert headers["Content-Type"].startswith("text/html")
    assert b"please agree to take part" in body.lower()
