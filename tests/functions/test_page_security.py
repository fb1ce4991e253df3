"""Every HTML page carries a strict Content-Security-Policy: only its own inline styles and script run or apply.

The candidate's pages name theirs by a nonce drawn for each response; complete documents rendered elsewhere
(a shared or a recruiter's report) by the hashes of their inline styles. The JobMojito pages are checked in
test_candidate_pages (each goes through `_html`); the browser test checks Chromium reports no violation.
"""

from __future__ import annotations

import re

from panelist.api import pages
from panelist.sessions import flow
from tests.functions.csp import assert_strict_csp, directives
from tests.functions.reports_data import make_result
from tests.functions.test_interview_flow import _answer, _interview, _invite, _page, _start, _token, follow_ups
from tests.functions.test_view_shared_report import _create, _resigned, _view

__all__ = ["follow_ups"]  # the fixture, for the pages that ask the offline interviewer


def _invite_page(api, token: str):
    return api("open_invite", path=f"/interview/{token}", path_params={"token": token})


def test_the_candidates_pages_and_their_errors_carry_the_policy(api, tenant_a, follow_ups):
    interview = _interview(tenant_a.id, questions=1)
    invite = _invite(tenant_a.id, interview)
    for reply in (
        _invite_page(api, invite.token),  # the start form
        _start(api, invite.token, {"name": "Sam Lee"}),  # the form again, saying why (400)
        _invite_page(api, "inv_unknown"),  # an error page (404)
    ):
        assert reply.headers["Content-Type"].startswith("text/html"), reply.body
        assert "connect-src" not in directives(reply), "nothing to fetch: default-src 'none' applies"
        assert_strict_csp(reply)
    token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
    session = _page(api, token)
    policy = assert_strict_csp(session)
    assert policy["connect-src"] == ["'self'", flow.upload_origin()]  # its script's calls, the uploads' bucket
    assert len(re.findall(r"<script nonce=", session.body)) == 1
    assert _answer(api, token, "A full answer with enough words in it.").status == 303
    done = _page(api, token)
    assert "Thank you" in done.body
    assert_strict_csp(done)
    assert_strict_csp(_page(api, token[:-4] + "AAAA"))  # a forged token's plain page (403)


def test_each_response_draws_its_own_nonce(api, tenant_a, follow_ups):
    token = _token(_start(api, _invite(tenant_a.id, _interview(tenant_a.id)).token, {"consent": "on", "name": "S"}))
    nonces = {directives(_page(api, token))["script-src"][0] for _ in range(3)}
    assert len(nonces) == 3
    assert all(re.fullmatch(r"'nonce-[A-Za-z0-9_-]{24}'", n) for n in nonces)


def test_a_shared_report_names_its_inline_styles_by_hash(api, tenant_a):
    token = _create(api, tenant_a, make_result(tenant_a.id))
    reply = _view(api, token)
    assert reply.status == 200
    policy = assert_strict_csp(reply)
    assert "script-src" not in policy, "a report has no script"
    # every inline style (the banner's included) is an element named by its hash: no style attribute applies
    assert "'unsafe-hashes'" not in policy["style-src"]
    assert all(source.startswith("'sha256-") for source in policy["style-src"])
    assert pages._sha256(re.search(r"<style>(\.shared-banner.*?)</style>", str(reply.body))[1]) in policy["style-src"]
    expired = _view(api, _resigned(token, iat=1, exp=2))
    assert expired.status in (403, 410)
    assert_strict_csp(expired)


def test_a_documents_policy_lists_exactly_its_inline_code():
    document = (
        "<!doctype html><html><head><style>p{color:red}</style></head>"
        '<body><p style="margin:0">x</p><script>1</script></body></html>'
    )
    policy = pages.document_policy(document)
    assert "script-src 'sha256-" in policy
    style_src = next(d for d in policy.split("; ") if d.startswith("style-src")).split()[1:]
    assert len(style_src) == 3
    assert style_src[1] == "'unsafe-hashes'"
    assert pages.document_policy(document.replace("red", "blue")) != policy
    bare = pages.document_policy("<p>nothing inline</p>")
    assert bare == "default-src 'none'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
