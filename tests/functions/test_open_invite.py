"""The page an invite link opens: no credentials, the invite marked opened, plain pages when it can't be used."""

from panelist.candidates.campaigns import get_invite_by_token
from panelist.core.storage import org_pk, table
from tests.functions.test_list_sessions import _invite, make_campaign


def _open(api, token):
    return api("open_invite", path=f"/interview/{token}", path_params={"token": token}, headers={})


def test_the_link_shows_the_interview_and_marks_the_invite_opened(api, tenant_a):
    token = _invite(tenant_a, make_campaign(tenant_a))
    reply = _open(api, token)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "Senior Python Developer" in reply.body
    assert "candidate@example.com" in reply.body
    invite = get_invite_by_token(tenant_a.id, token)
    assert invite.status.value == "opened"
    assert _open(api, token).status == 200
    assert get_invite_by_token(tenant_a.id, token).opened_at == invite.opened_at


def test_an_expired_link_is_a_410_page(api, tenant_a):
    token = _invite(tenant_a, make_campaign(tenant_a))
    invite = get_invite_by_token(tenant_a.id, token)
    table().update(org_pk(tenant_a.id), f"INVITE#{invite.id}", "SET expires_at = :past", past="2024-01-01T00:00:00Z")
    reply = _open(api, token)
    assert reply.status == 410
    assert "This link has expired" in reply.body
    assert get_invite_by_token(tenant_a.id, token).status.value == "expired"


def test_an_unknown_or_forged_token_is_a_404_page(api, tenant_a):
    reply = _open(api, "inv_forged<script>alert(1)")
    assert reply.status == 404
    assert "This link does not work" in reply.body
    assert "<script>" not in reply.body
