"""Invites (seed 004): a batch with valid and invalid addresses, the mail (queued, then sent once by
SendInviteMailsFunction), retries that invite nobody twice, lookup by token, expiry."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from panelist.candidates import invite_mail, store
from panelist.candidates.campaigns import change_status
from panelist.core import mail
from panelist.core.settings import get_settings
from panelist.core.storage import table
from panelist.models.campaigns import CampaignStatus
from panelist_local import iam
from panelist_local.events_sqs import SqsPoller, sqs_record
from tests.functions.harness import invoke
from tests.functions.test_campaigns import _create


def _invite(api, tenant, campaign_id, headers=None, **body):
    return api(
        "create_invites",
        path=f"/api/campaigns/{campaign_id}/invites",
        path_params={"id": campaign_id},
        body=body,
        headers={**tenant.as_member(), **(headers or {})},
    )


def _lookup(api, tenant, token):
    return api("get_invite", path=f"/api/invites/{token}", path_params={"token": token}, headers=tenant.as_member())


def _campaign(api, tenant, campaign_id):
    return api(
        "get_campaign",
        path=f"/api/campaigns/{campaign_id}",
        path_params={"id": campaign_id},
        headers=tenant.as_member(),
    )


def _sent_mail() -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def _queue() -> tuple[str, str]:
    url = get_settings().invite_mail_queue_url
    arn = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _deliver(template) -> int:
    """Run SendInviteMailsFunction on the queued messages, as the event source mapping would; how many it got."""
    url, arn = _queue()
    source = next(s for s in template.sqs_sources if s.function == "SendInviteMailsFunction")
    poller = SqsPoller(source, url, arn, boto3.client("sqs"), lambda _, event: invoke("send_invite_mails", event))
    poller.wait_seconds = 0
    delivered = 0
    while batch := poller.poll_once():
        delivered += batch
    return delivered


def _queued_messages() -> list[dict]:
    """The queued messages, received (visibility 0: they stay)."""
    url, _ = _queue()
    return (
        boto3.client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        .get("Messages", [])
    )


def test_valid_addresses_are_invited_and_their_mail_queued_then_sent(api, tenant_a, template):
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
    assert _sent_mail() == []  # nothing is mailed on the request path
    assert _lookup(api, tenant_a, invite["token"]).body["mail_status"] == "queued"

    assert _deliver(template) == 2
    mails = _sent_mail()
    assert sorted(m.destinations["ToAddresses"][0] for m in mails) == ["user1@example.com", "user2@example.com"]
    first = next(m for m in mails if m.destinations["ToAddresses"] == ["user1@example.com"])
    assert "We loved your application!" in first.body
    assert invite["url"] in first.body
    assert _lookup(api, tenant_a, invite["token"]).body["mail_status"] == "sent"
    assert _campaign(api, tenant_a, campaign["id"]).body["stats"]["invites_sent"] == 2


def test_the_mailed_link_leads_to_the_invite(api, tenant_a, template):
    campaign = _create(api, tenant_a).body
    _invite(api, tenant_a, campaign["id"], emails=["user@example.com"])
    _deliver(template)
    token = _sent_mail()[0].body.split("/interview/")[1].split()[0].split('"')[0]
    reply = _lookup(api, tenant_a, token)
    assert reply.status == 200
    assert reply.body["email"] == "user@example.com"
    assert reply.body["status"] == "pending"
    assert reply.body["campaign_id"] == campaign["id"]
    assert set(reply.body) == {
        "id",
        "email",
        "token",
        "status",
        "campaign_id",
        "expires_at",
        "created_at",
        "mail_status",
    }


def test_without_send_email_nothing_is_mailed(api, tenant_a, template):
    campaign = _create(api, tenant_a).body
    reply = _invite(api, tenant_a, campaign["id"], emails=["user@example.com"], send_email=False)
    assert (reply.status, reply.body["sent"]) == (201, 1)
    assert _deliver(template) == 0
    assert _sent_mail() == []
    assert _lookup(api, tenant_a, reply.body["invites"][0]["token"]).body["mail_status"] == "not_requested"


def test_a_retried_request_invites_nobody_twice_and_mails_nobody_twice(api, tenant_a, template):
    """The client saw no answer (a timeout) and sends the same request again, before and after the mail went."""
    campaign = _create(api, tenant_a).body
    body = {"emails": ["ada@example.com", "grace@example.com"], "custom_message": "Hi"}
    first = _invite(api, tenant_a, campaign["id"], **body)
    again = _invite(api, tenant_a, campaign["id"], **body)
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body  # the same invites: ids, tokens, links and expiry
    _deliver(template)  # both requests queued the mail: each invite's is sent once
    later = _invite(api, tenant_a, campaign["id"], emails=["ADA@example.com", "alan@example.com"])
    assert later.body["invites"][0] == first.body["invites"][0]
    _deliver(template)
    assert sorted(m.destinations["ToAddresses"][0] for m in _sent_mail()) == [
        "ada@example.com",
        "alan@example.com",
        "grace@example.com",
    ]
    assert _campaign(api, tenant_a, campaign["id"]).body["stats"]["invites_sent"] == 3


def test_an_invite_made_without_mail_is_mailed_when_asked_again_with_it(api, tenant_a, template):
    campaign = _create(api, tenant_a).body
    quiet = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com"], send_email=False)
    loud = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com"])
    assert loud.body["invites"] == quiet.body["invites"]
    assert _deliver(template) == 1
    assert len(_sent_mail()) == 1


def test_an_idempotency_key_replays_the_answer_and_refuses_another_body(api, tenant_a, template):
    campaign = _create(api, tenant_a).body
    key = {"Idempotency-Key": "invites-2026-11-23-001"}
    first = _invite(api, tenant_a, campaign["id"], headers=key, emails=["ada@example.com", "oops"])
    again = _invite(api, tenant_a, campaign["id"], headers=key, emails=["ada@example.com", "oops"])
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body
    assert len(_queued_messages()) == 1  # the replay did not run the request again
    other = _invite(api, tenant_a, campaign["id"], headers=key, emails=["grace@example.com"])
    assert other.status == 409
    assert other.body["error"]["details"]["field"] == "Idempotency-Key"
    assert (
        _invite(api, tenant_a, campaign["id"], headers={"Idempotency-Key": "k" * 256}, emails=["a@example.com"]).status
        == 400
    )


def test_a_message_delivered_twice_sends_one_mail(api, tenant_a):
    campaign = _create(api, tenant_a).body
    token = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com"]).body["invites"][0]["token"]
    (message,) = _queued_messages()
    _, arn = _queue()
    event = {"Records": [sqs_record(message, arn)]}
    assert invoke("send_invite_mails", event) == {"batchItemFailures": []}
    assert invoke("send_invite_mails", event) == {"batchItemFailures": []}  # SQS delivers at least once
    assert len(_sent_mail()) == 1
    assert _lookup(api, tenant_a, token).body["mail_status"] == "sent"


def test_a_throttled_mail_comes_back_and_is_sent_once(api, tenant_a, template, monkeypatch):
    campaign = _create(api, tenant_a).body
    token = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com"]).body["invites"][0]["token"]
    (message,) = _queued_messages()
    _, arn = _queue()
    event = {"Records": [sqs_record(message, arn)]}
    send = mail.send
    throttled = ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendEmail")
    with monkeypatch.context() as patch:
        patch.setattr(mail, "send", lambda *a, **k: (_ for _ in ()).throw(throttled))
        assert invoke("send_invite_mails", event) == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert _lookup(api, tenant_a, token).body["mail_status"] == "queued"
    assert mail.send is send
    assert invoke("send_invite_mails", event) == {"batchItemFailures": []}
    assert len(_sent_mail()) == 1
    assert _lookup(api, tenant_a, token).body["mail_status"] == "sent"


def test_a_refused_mail_fails_and_an_unanswered_one_is_never_sent_again(api, tenant_a, monkeypatch):
    campaign = _create(api, tenant_a).body
    reply = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com", "grace@example.com"])
    ada, grace = (i["token"] for i in reply.body["invites"])
    _, arn = _queue()
    events = {json.loads(m["Body"])["invite_id"]: {"Records": [sqs_record(m, arn)]} for m in _queued_messages()}
    refused = ClientError({"Error": {"Code": "MessageRejected", "Message": "Address blacklisted."}}, "SendEmail")
    unanswered = ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com/")
    ids = {i["token"]: i["id"] for i in reply.body["invites"]}
    for token, error in ((ada, refused), (grace, unanswered)):
        with monkeypatch.context() as patch:
            patch.setattr(mail, "send", lambda *a, error=error, **k: (_ for _ in ()).throw(error))
            assert invoke("send_invite_mails", events[ids[token]]) == {"batchItemFailures": []}
    assert _lookup(api, tenant_a, ada).body["mail_status"] == "failed"
    stored = store.get_invite_by_token(tenant_a.id, ada)
    assert stored.mail_error == "the email could not be sent: Address blacklisted."
    assert _lookup(api, tenant_a, grace).body["mail_status"] == "sending"  # SES may have sent it
    for event in events.values():  # delivered again: neither is tried again
        assert invoke("send_invite_mails", event) == {"batchItemFailures": []}
    assert _sent_mail() == []


def test_a_mail_queued_past_its_invites_expiry_is_not_sent(api, tenant_a, template):
    campaign = _create(api, tenant_a, invite_valid_hours=0.0001).body
    token = _invite(api, tenant_a, campaign["id"], emails=["late@example.com"]).body["invites"][0]["token"]
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while _lookup(api, tenant_a, token).body["status"] != "expired":  # 0.36 s of validity
        assert datetime.now(UTC) < deadline
    _deliver(template)
    assert _sent_mail() == []
    assert _lookup(api, tenant_a, token).body["mail_status"] == "failed"


def test_an_address_erased_before_its_mail_went_is_not_mailed_and_may_be_invited_again(api, tenant_a, template):
    campaign = _create(api, tenant_a).body
    first = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com"]).body["invites"][0]
    ids = store.invite_ids_sent_to(tenant_a.id, "ada@example.com")
    table().transact(*store.erased_invite_ops(tenant_a.id, "ada@example.com", sorted(ids)))  # as erasure does
    _deliver(template)
    assert _sent_mail() == []
    erased = store.get_invite_by_token(tenant_a.id, first["token"])
    assert (erased.email, erased.mail_status, erased.mail_error) == (
        "erased",
        "failed",
        "the address was erased before the mail was sent",
    )
    again = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com"]).body["invites"][0]
    assert again["token"] != first["token"]  # the address's pointer went with it


def test_an_expired_invite_is_replaced_by_a_new_one(api, tenant_a):
    campaign = _create(api, tenant_a, invite_valid_hours=0.0001).body
    first = _invite(api, tenant_a, campaign["id"], emails=["late@example.com"], send_email=False).body["invites"][0]
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while _lookup(api, tenant_a, first["token"]).body["status"] != "expired":
        assert datetime.now(UTC) < deadline
    second = _invite(api, tenant_a, campaign["id"], emails=["late@example.com"], send_email=False).body["invites"][0]
    assert second["token"] != first["token"]
    assert _campaign(api, tenant_a, campaign["id"]).body["stats"]["invites_sent"] == 2


def test_a_large_batch_is_recorded_in_several_transactions_and_queued_whole(api, tenant_a, template):
    campaign = _create(api, tenant_a).body
    emails = [f"candidate{n}@example.com" for n in range(2 * store.INVITES_PER_TRANSACTION + 3)]
    reply = _invite(api, tenant_a, campaign["id"], emails=emails)
    assert (reply.status, reply.body["sent"]) == (201, len(emails))
    assert [i["email"] for i in reply.body["invites"]] == emails
    assert _campaign(api, tenant_a, campaign["id"]).body["stats"]["invites_sent"] == len(emails)
    assert _deliver(template) == len(emails)
    assert len(_sent_mail()) == len(emails)


def test_an_address_another_request_took_first_gets_its_invite(api, tenant_a, monkeypatch):
    """Two requests invite the same address at once: the second's write loses, and it answers the first's invite."""
    campaign = _create(api, tenant_a).body
    add = store.add_invites
    raced = {}

    def first_comes_in_between(campaign_, batch):
        if not raced:
            raced["reply"] = None
            raced["reply"] = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com"])
        return add(campaign_, batch)

    monkeypatch.setattr(store, "add_invites", first_comes_in_between)
    reply = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com", "grace@example.com"])
    assert reply.status == 201
    assert reply.body["invites"][0] == raced["reply"].body["invites"][0]
    assert _campaign(api, tenant_a, campaign["id"]).body["stats"]["invites_sent"] == 2


def test_the_mail_function_is_granted_what_it_calls_and_its_queue_fits_it(template):
    function = template.resources["SendInviteMailsFunction"].properties
    statements = [s for policy in function["Policies"] for s in policy["Statement"]]
    assert [s["Action"] for s in statements] == [
        "dynamodb:UpdateItem",
        "ses:SendEmail",
        ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
    ]
    assert statements[1]["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "MailSender"}}}
    create = template.resources["CreateInvitesFunction"].properties["Policies"]
    assert not any(isinstance(p, dict) and "DynamoDBCrudPolicy" in p for p in create)  # no Scan, no BatchWriteItem
    assert [s["Action"] for p in create if isinstance(p, dict) and "Statement" in p for s in p["Statement"]] == [
        "sqs:SendMessage"
    ]
    (source,) = [s for s in template.sqs_sources if s.function == "SendInviteMailsFunction"]
    assert source.report_batch_item_failures
    queue = template.resources[source.queue].properties
    assert queue["VisibilityTimeout"] >= 6 * template.functions["SendInviteMailsFunction"].timeout
    assert "deadLetterTargetArn" in queue["RedrivePolicy"]
    assert template.functions["CreateInvitesFunction"].timeout <= 29
    assert template.functions["SendInviteMailsFunction"].timeout > invite_mail.MIN_SECONDS_LEFT


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


def test_a_campaign_closed_while_its_invites_are_written_takes_none(api, tenant_a, monkeypatch):
    campaign = _create(api, tenant_a).body
    add = store.add_invites

    def closed_meanwhile(campaign_, batch):
        change_status(tenant_a.id, campaign["id"], CampaignStatus.completed)
        return add(campaign_, batch)

    monkeypatch.setattr(store, "add_invites", closed_meanwhile)
    reply = _invite(api, tenant_a, campaign["id"], emails=["user@example.com"])
    assert reply.status == 409
    assert _queued_messages() == []
    assert _campaign(api, tenant_a, campaign["id"]).body["stats"]["invites_sent"] == 0


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


def test_without_the_queue_permission_the_request_fails_and_its_retry_mails_each_invite_once(
    api, tenant_a, template, stack, revoke
):
    campaign = _create(api, tenant_a).body
    granted = stack.roles["CreateInvitesFunction"]
    revoke("create_invites", iam.granting("sqs:SendMessage"))
    denied = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com"])
    assert denied.status == 500
    assert denied.body["error"]["code"] == "INTERNAL_ERROR"
    assert _queued_messages() == []
    stack.roles.replace("CreateInvitesFunction", granted)  # the template fixed
    again = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com"])
    assert again.status == 201
    assert _deliver(template) == 1
    assert len(_sent_mail()) == 1
    assert _campaign(api, tenant_a, campaign["id"]).body["stats"]["invites_sent"] == 1


def test_without_ses_send_email_the_mail_stays_queued(api, tenant_a, template, revoke):
    campaign = _create(api, tenant_a).body
    token = _invite(api, tenant_a, campaign["id"], emails=["ada@example.com"]).body["invites"][0]["token"]
    revoke("send_invite_mails", iam.granting("ses:SendEmail"))
    (message,) = _queued_messages()
    _, arn = _queue()
    result = invoke("send_invite_mails", {"Records": [sqs_record(message, arn)]})
    assert result == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert _sent_mail() == []
    assert _lookup(api, tenant_a, token).body["mail_status"] == "queued"  # sent once the role is fixed
