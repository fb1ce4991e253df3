"""Invites (seed 004): a batch with valid and invalid addresses, the mail, lookup by token, expiry."""

from datetime import UTC, datetime, timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from panelist.candidates.campaigns import change_status
from panelist.models.campaigns import CampaignStatus
from tests.functions.test_campaigns import _create


def _invite(api, tenant, campaign_id, **body):
    return api(
        "create_invites",
        path=f"/api/campaigns/{campaign_id}/invites",
        path_params={"id": campaign_id},
        body=body,
        headers=tenant.as_member(),
    )


def _lookup(api, tenant, token):
    return api("get_invite", path=f"/api/invites/{token}", path_params={"token": token}, headers=tenant.as_member())


def _sent_mail() -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def test_valid_addresses_are_invited_and_mailed_while_invalid_ones_fail_with_a_reason(api, tenant_a):
    campaign = _create(api, tenant_a).body
    emails = ["user1@example.com", "not-an-email", "user2@example.com", "USER1@example.com", "a@b", "x..y@example.com"]
    reply = _invite(api, tenant_a, campaign["id"], emails=emails, custom_message="We loved your application!")
    assert reply.status == 201
    assert [i["email"] for i in reply.body["invites"]] == ["user1@example.com", "user2@example.com"]
    assert (reply.body["sent"], reply.body["failed"]) == (2, 4)
    reasons = {f["email"]: f["reason"] for f in reply.body["failures"]}
    assert reasons["USER1@example.com"] == "listed twice"
    assert reasons["not-an-email"] == reasons["a@b"] == reasons["x..y@example.com"] == "not a valid email address"
    invite = reply.body["invites"][0]
    assert set(invite) == {"id", "email", "token", "url", "expires_at"}
    assert invite["token"].startswith("inv_")
    assert invite["url"].endswith(f"/interview/{invite['token']}")
    expires = datetime.fromisoformat(invite["expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=167, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=168)

    mails = _sent_mail()
    assert [m.destinations["ToAddresses"] for m in mails] == [["user1@example.com"], ["user2@example.com"]]
    assert "We loved your application!" in mails[0].body
    assert invite["url"] in mails[0].body
    detail = api(
        "get_campaign",
        path=f"/api/campaigns/{campaign['id']}",
        path_params={"id": campaign["id"]},
        headers=tenant_a.as_member(),
    )
    assert detail.body["stats"]["invites_sent"] == 2


def test_the_mailed_link_leads_to_the_invite(api, tenant_a):
    campaign = _create(api, tenant_a).body
    _invite(api, tenant_a, campaign["id"], emails=["user@example.com"])
    token = _sent_mail()[0].body.split("/interview/")[1].split()[0].split('"')[0]
    reply = _lookup(api, tenant_a, token)
    assert reply.status == 200
    assert reply.body["email"] == "user@example.com"
    assert reply.body["status"] == "pending"
    assert reply.body["campaign_id"] == campaign["id"]
    assert set(reply.body) == {"id", "email", "token", "status", "campaign_id", "expires_at", "created_at"}


def test_without_send_email_nothing_is_mailed(api, tenant_a):
    campaign = _create(api, tenant_a).body
    reply = _invite(api, tenant_a, campaign["id"], emails=["user@example.com"], send_email=False)
    assert (reply.status, reply.body["sent"]) == (201, 1)
    assert _sent_mail() == []


def test_an_invite_past_its_expiry_reads_expired(api, tenant_a):
    campaign = _create(api, tenant_a, invite_valid_hours=0.0001).body
    token = _invite(api, tenant_a, campaign["id"], emails=["late@example.com"]).body["invites"][0]["token"]
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while (status := _lookup(api, tenant_a, token).body["status"]) != "expired":  # 0.36 s of validity
        assert datetime.now(UTC) < deadline, status


def test_closed_campaigns_take_no_invites_and_unknown_ones_are_404(api, tenant_a):
    campaign = _create(api, tenant_a).body
    change_status(tenant_a.id, campaign["id"], CampaignStatus.completed)
    closed = _invite(api, tenant_a, campaign["id"], emails=["user@example.com"])
    assert closed.status == 409
    assert _invite(api, tenant_a, "nope", emails=["user@example.com"]).status == 404
    assert _lookup(api, tenant_a, "inv_nope").status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"emails": []}, "emails"),
        ({}, "emails"),
        ({"emails": "a@example.com"}, "emails"),
        ({"emails": ["a@example.com"], "custom_message": "x" * 2001}, "custom_message"),
    ],
)
def test_bad_invite_requests_are_400(api, tenant_a, body, field):
    campaign = _create(api, tenant_a).body
    reply = _invite(api, tenant_a, campaign["id"], **body)
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == field
