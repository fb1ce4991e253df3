"""A campaign's invites (issue 15): listed by status, revoked (the link then says so and cannot start), their mail
sent again; and a campaign renamed."""

from __future__ import annotations

import pytest

from panelist.candidates.campaigns import get_invite_by_token
from panelist.core.errors import Gone
from panelist.core.storage import org_pk, table
from panelist.sessions import flow
from tests.functions.test_campaigns import _create
from tests.functions.test_invites import _deliver, _invite, _lookup, _sent_mail

PAST = "2024-01-01T00:00:00Z"


def _list(api, tenant, campaign_id, **query):
    return api(
        "list_campaign_invites",
        path=f"/api/campaigns/{campaign_id}/invites",
        path_params={"id": campaign_id},
        query={k: str(v) for k, v in query.items()},
        headers=tenant.as_member(),
    )


def _revoke(api, tenant, token):
    return api("revoke_invite", path=f"/api/invites/{token}", path_params={"token": token}, headers=tenant.as_member())


def _resend(api, tenant, token, body=None):
    return api(
        "resend_invite",
        path=f"/api/invites/{token}/resend",
        path_params={"token": token},
        body=body,
        headers=tenant.as_member(),
    )


def _open(api, token):
    return api("open_invite", path=f"/interview/{token}", path_params={"token": token}, headers={})


def _expire(tenant, token):
    """As if its time had passed: the expiry and the status list's sort key (which starts with it) in the past."""
    invite = get_invite_by_token(tenant.id, token)
    table().update(
        org_pk(tenant.id),
        f"INVITE#{invite.id}",
        "SET expires_at = :past, GSI2SK = :key",
        past=PAST,
        key=f"{PAST}#{invite.id}",
    )


def _campaign_with(api, tenant, *emails, send_email=False):
    campaign = _create(api, tenant).body["id"]
    reply = _invite(api, tenant, campaign, emails=list(emails), send_email=send_email)
    assert reply.status == 201, reply.body
    return campaign, [i["token"] for i in reply.body["invites"]]


def _tokens(reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [i["token"] for i in reply.body["invites"]]


def test_a_campaigns_invites_are_listed_and_filtered_by_status(api, tenant_a):
    campaign, tokens = _campaign_with(api, tenant_a, *(f"u{n}@example.com" for n in range(5)))
    listed = _list(api, tenant_a, campaign)
    assert sorted(_tokens(listed)) == sorted(tokens)  # by id: by creation, in any order within a millisecond
    assert listed.body["total"] == 5
    tokens = _tokens(listed)
    first = listed.body["invites"][0]
    assert {"id", "email", "token", "status", "campaign_id", "expires_at", "created_at", "mail_status"} <= set(first)
    assert first["status"] == "pending"
    page = _list(api, tenant_a, campaign, limit=2, offset=1)
    assert (_tokens(page), page.body["total"], page.body["pagination"]["has_more"]) == (tokens[1:3], 5, True)

    _open(api, tokens[1])  # opened
    flow.start_from_invite(tokens[2], {"consent": "on", "name": "Sam"})  # started
    _expire(tenant_a, tokens[3])  # expired
    assert _revoke(api, tenant_a, tokens[4]).status == 200  # revoked
    expected = {"pending": [0], "opened": [1], "started": [2], "expired": [3], "revoked": [4], "completed": []}
    for status, positions in expected.items():
        reply = _list(api, tenant_a, campaign, status=status)
        assert _tokens(reply) == [tokens[p] for p in positions], status
        assert reply.body["total"] == len(positions), status
        assert all(i["status"] == status for i in reply.body["invites"])
    assert [i["status"] for i in _list(api, tenant_a, campaign).body["invites"]] == [  # in the order above
        "pending",
        "opened",
        "started",
        "expired",
        "revoked",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"status": "gone"}, "status"), ({"limit": "0"}, "limit"), ({"offset": "-1"}, "offset")],
)
def test_bad_list_queries_are_400_naming_the_parameter(api, tenant_a, query, field):
    campaign, _ = _campaign_with(api, tenant_a, "u@example.com")
    reply = _list(api, tenant_a, campaign, **query)
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == field


def test_an_unknown_campaigns_invites_are_404(api, tenant_a):
    assert _list(api, tenant_a, "nope").status == 404


def test_a_revoked_invite_shows_a_revoked_page_and_cannot_start(api, tenant_a):
    _, [token] = _campaign_with(api, tenant_a, "u@example.com")
    reply = _revoke(api, tenant_a, token)
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "revoked"
    assert _lookup(api, tenant_a, token).body["status"] == "revoked"
    page = _open(api, token)
    assert page.status == 410
    assert "This invitation has been revoked" in page.body
    with pytest.raises(Gone):
        flow.start_from_invite(token, {"consent": "on", "name": "Sam"})
    assert _revoke(api, tenant_a, token).status == 200  # revoking again answers the same
    assert get_invite_by_token(tenant_a.id, token).session_id is None


def test_an_expired_invite_can_be_revoked_but_not_a_used_one(api, tenant_a):
    _, tokens = _campaign_with(api, tenant_a, "a@example.com", "b@example.com")
    _expire(tenant_a, tokens[0])
    assert _revoke(api, tenant_a, tokens[0]).body["status"] == "revoked"
    flow.start_from_invite(tokens[1], {"consent": "on", "name": "Sam"})
    refused = _revoke(api, tenant_a, tokens[1])
    assert (refused.status, refused.body["error"]["details"]["field"]) == (409, "token")
    assert _lookup(api, tenant_a, tokens[1]).body["status"] == "started"


def test_an_address_whose_invite_was_revoked_can_be_invited_again(api, tenant_a):
    campaign, [token] = _campaign_with(api, tenant_a, "u@example.com")
    _revoke(api, tenant_a, token)
    again = _invite(api, tenant_a, campaign, emails=["u@example.com"], send_email=False)
    assert again.body["invites"][0]["token"] != token
    assert _open(api, again.body["invites"][0]["token"]).status == 200


def test_resend_queues_the_mail_again_and_it_is_sent_again(api, tenant_a, template):
    _, [token] = _campaign_with(api, tenant_a, "u@example.com", send_email=True)
    assert _deliver(template) == 1
    assert _lookup(api, tenant_a, token).body["mail_status"] == "sent"
    reply = _resend(api, tenant_a, token, {"custom_message": "A friendly reminder"})
    assert reply.status == 202, reply.body
    assert reply.body["mail_status"] == "queued"
    assert _deliver(template) == 1
    mails = _sent_mail()
    assert [m.destinations["ToAddresses"] for m in mails] == [["u@example.com"], ["u@example.com"]]
    assert "A friendly reminder" in mails[1].body
    assert token in mails[1].body
    assert _lookup(api, tenant_a, token).body["mail_status"] == "sent"
    # an invite made without mail can be sent with a resend (no body needed)
    _, [quiet] = _campaign_with(api, tenant_a, "q@example.com")
    assert _resend(api, tenant_a, quiet).status == 202
    assert _deliver(template) == 1


def test_resend_refuses_revoked_completed_and_expired_invites(api, tenant_a, template):
    _, tokens = _campaign_with(api, tenant_a, "a@example.com", "b@example.com", "c@example.com")
    _revoke(api, tenant_a, tokens[0])
    invite = get_invite_by_token(tenant_a.id, tokens[1])
    table().update(org_pk(tenant_a.id), f"INVITE#{invite.id}", "SET #s = :c", names={"#s": "status"}, c="completed")
    _expire(tenant_a, tokens[2])
    for token in tokens:
        reply = _resend(api, tenant_a, token)
        assert (reply.status, reply.body["error"]["details"]["field"]) == (409, "token")
    assert _deliver(template) == 0


def test_a_revoked_invites_queued_mail_is_not_sent(api, tenant_a, template):
    _, [token] = _campaign_with(api, tenant_a, "u@example.com", send_email=True)
    _revoke(api, tenant_a, token)
    _deliver(template)
    assert _sent_mail() == []
    assert _lookup(api, tenant_a, token).body["mail_status"] == "failed"


def test_resend_body_is_validated(api, tenant_a):
    _, [token] = _campaign_with(api, tenant_a, "u@example.com")
    for body, field in (({"custom_message": "x" * 2001}, "custom_message"), ({"to": "x"}, "to")):
        reply = _resend(api, tenant_a, token, body)
        assert (reply.status, reply.body["error"]["details"]["field"]) == (400, field)


def test_unknown_tokens_are_404(api, tenant_a):
    assert _revoke(api, tenant_a, "inv_nope").status == 404
    assert _resend(api, tenant_a, "inv_nope").status == 404


def _rename(api, tenant, campaign_id, **body):
    return api(
        "update_campaign",
        path=f"/api/campaigns/{campaign_id}",
        path_params={"id": campaign_id},
        body=body,
        headers=tenant.as_member(),
    )


def test_a_campaign_is_renamed_with_or_without_a_status_change(api, tenant_a):
    campaign = _create(api, tenant_a).body["id"]
    reply = _rename(api, tenant_a, campaign, name="  Q1 Hiring ")
    assert (reply.status, reply.body["name"], reply.body["status"]) == (200, "Q1 Hiring", "active")
    both = _rename(api, tenant_a, campaign, name="Q1 Done", status="completed")
    assert (both.body["name"], both.body["status"]) == ("Q1 Done", "completed")
    listed = api("list_campaigns", query={"status": "completed"}, headers=tenant_a.as_member())
    assert [(c["id"], c["name"]) for c in listed.body["campaigns"]] == [(campaign, "Q1 Done")]
    assert listed.body["total"] == 1


@pytest.mark.parametrize(
    ("body", "field"), [({}, "body"), ({"name": ""}, "name"), ({"name": "x" * 201}, "name"), ({"name": 3}, "name")]
)
def test_bad_renames_are_400_naming_the_field(api, tenant_a, body, field):
    campaign = _create(api, tenant_a).body
    reply = _rename(api, tenant_a, campaign["id"], **body)
    assert (reply.status, reply.body["error"]["details"]["field"]) == (400, field)


def test_a_start_racing_a_revocation_is_refused_and_leaves_no_profile(api, tenant_a, monkeypatch):
    _, [token] = _campaign_with(api, tenant_a, "u@example.com")
    read_before = get_invite_by_token(tenant_a.id, token)
    _revoke(api, tenant_a, token)
    monkeypatch.setattr(flow, "open_invite", lambda _token: read_before)  # the start read it before the revocation
    with pytest.raises(Gone):
        flow.start_from_invite(token, {"consent": "on", "name": "Sam"})
    assert get_invite_by_token(tenant_a.id, token).status.value == "revoked"
    assert api("list_candidates", query={}, headers=tenant_a.as_member()).body["total"] == 0
