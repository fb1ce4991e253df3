"""Webhook endpoints: register, list, delete (InterviewRelay-style), and events published to them."""

import boto3
import pytest

from panelist.core.errors import Conflict
from panelist.core.settings import get_settings
from panelist.core.storage import Table, table
from panelist.models.webhooks import WebhookEndpointCreate
from panelist.webhooks import delivery, endpoints
from panelist.webhooks.endpoints import EVENTS, MAX_ENDPOINTS, create_endpoint, list_endpoints, publish
from panelist_local.events_sqs import sqs_record
from panelist_local.gateway import Router
from tests.functions.harness import invoke, queued_webhooks
from tests.functions.test_campaigns import _create as create_campaign
from tests.functions.test_campaigns import _status as set_status
from tests.functions.test_deliver_webhooks import Receiver

URL = "https://hooks.example.com/panelist"


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("PANELIST_ALLOW_LOOPBACK_WEBHOOKS", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _create(api, tenant, headers=None, **body):
    return api("create_webhook", body={"url": URL, **body}, headers=headers or tenant.as_admin())


def _list(api, tenant, **query):
    return api("list_webhooks", query={k: str(v) for k, v in query.items()}, headers=tenant.as_member())


def _delete(api, tenant, endpoint_id, headers=None):
    return api(
        "delete_webhook",
        path=f"/api/webhooks/{endpoint_id}",
        path_params={"id": endpoint_id},
        headers=headers or tenant.as_admin(),
    )


def _error(reply) -> tuple[int, str, str | None]:
    return reply.status, reply.body["error"]["code"], reply.body["error"]["details"].get("field")


# ------------------------------------------------------------------ create


def test_an_admin_registers_an_endpoint(api, tenant_a):
    reply = _create(api, tenant_a, events=["campaign.completed", "session.started"], description="ATS sync")

    assert reply.status == 201
    assert set(reply.body) == {"id", "url", "events", "description", "enabled", "created_at", "updated_at"}
    assert reply.body["enabled"] is True
    assert reply.body["updated_at"] == reply.body["created_at"]
    assert reply.body["url"] == URL
    assert reply.body["events"] == ["campaign.completed", "session.started"]
    assert reply.body["description"] == "ATS sync"
    assert reply.body["created_at"].endswith("Z")
    assert reply.body["id"][14] == "7"  # a UUIDv7
    [stored] = list_endpoints(tenant_a.id)
    assert (stored.id, stored.url, stored.events) == (reply.body["id"], URL, reply.body["events"])


def test_events_default_to_all_and_duplicates_collapse(api, tenant_a):
    everything = _create(api, tenant_a).body
    assert everything["events"] == list(EVENTS)
    assert everything["description"] is None
    twice = _create(api, tenant_a, url=URL + "/2", events=["invite.opened", "invite.opened", "session.started"])
    assert twice.body["events"] == ["invite.opened", "session.started"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": None}, "url"),
        ({"url": ""}, "url"),
        ({"url": "http://hooks.example.com/x"}, "url"),
        ({"url": "ftp://hooks.example.com/x"}, "url"),
        ({"url": "https://127.0.0.1/hook"}, "url"),
        ({"url": "https://localhost/hook"}, "url"),
        ({"url": "https://10.0.0.7/hook"}, "url"),
        ({"url": "https://169.254.169.254/latest"}, "url"),
        ({"url": "https://user:pw@hooks.example.com/"}, "url"),
        ({"url": "https://hooks.internal/x"}, "url"),
        ({"url": "https://hooks.example.com/" + "x" * 2048}, "url"),
        ({"events": []}, "events"),
        ({"events": "campaign.completed"}, "events"),
        ({"events": ["campaign.completed", "candidate.hired"]}, "events"),
        ({"description": "x" * 201}, "description"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_invalid_endpoints_are_400_naming_the_field(api, tenant_a, body, field):
    payload = {"url": URL, **body}
    if payload["url"] is None:
        del payload["url"]
    reply = api("create_webhook", body=payload, headers=tenant_a.as_admin())
    assert _error(reply) == (400, "INVALID_PARAMETER", field), reply.body
    assert list_endpoints(tenant_a.id) == []


def test_an_unknown_event_names_the_allowed_ones(api, tenant_a):
    reply = _create(api, tenant_a, events=["campaign.completed", "candidate.hired"])
    assert "candidate.hired" in reply.body["error"]["message"]
    for name in EVENTS:
        assert name in reply.body["error"]["details"]["expected"]


def test_plain_http_is_accepted_only_for_a_loopback_receiver_where_loopback_is_allowed(api, tenant_a, loopback_allowed):
    assert _create(api, tenant_a, url="http://127.0.0.1:9000/hook").status == 201
    assert _create(api, tenant_a, url="http://localhost:9000/hook").status == 201
    assert _error(_create(api, tenant_a, url="http://hooks.example.com/x")) == (400, "INVALID_PARAMETER", "url")
    assert _error(_create(api, tenant_a, url="https://10.0.0.7/x")) == (400, "INVALID_PARAMETER", "url")


def test_the_same_url_twice_is_409_however_it_is_spelled(api, tenant_a, tenant_b):
    first = _create(api, tenant_a, url="https://hooks.example.com/a?x=1")
    assert first.status == 201
    for same in (
        "https://hooks.example.com/a?x=1",
        "https://HOOKS.example.com:443/a?x=1",
        "https://hooks.example.com./a?x=1",
    ):
        assert _error(_create(api, tenant_a, url=same)) == (409, "CONFLICT", "url"), same
    assert _create(api, tenant_a, url="https://hooks.example.com/a?x=2").status == 201
    assert _create(api, tenant_b, url="https://hooks.example.com/a?x=1").status == 201  # another organization
    assert endpoints.count_endpoints(tenant_a.id) == 2


def test_a_duplicate_is_refused_by_the_write_itself_leaving_nothing_behind(tenant_a, monkeypatch):
    """No read decides it (a concurrent duplicate would pass any read): the transaction refuses it whole."""
    create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL))
    reads: list[tuple] = []
    monkeypatch.setattr(Table, "get", lambda self, *key: reads.append(key))
    monkeypatch.setattr(Table, "query_offset", lambda self, *a, **k: reads.append(a) or [])
    with pytest.raises(Conflict) as caught:
        create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL))
    assert caught.value.field == "url"
    assert reads == []
    monkeypatch.undo()
    assert len(list_endpoints(tenant_a.id)) == 1
    assert endpoints.count_endpoints(tenant_a.id) == 1


def test_an_organization_has_at_most_the_limit_of_endpoints(api, tenant_a):
    for i in range(MAX_ENDPOINTS):
        create_endpoint(tenant_a.id, WebhookEndpointCreate(url=f"{URL}/{i}"))

    over = _create(api, tenant_a, url=f"{URL}/over")

    assert _error(over) == (409, "CONFLICT", None)
    assert str(MAX_ENDPOINTS) in over.body["error"]["details"]["expected"]
    assert endpoints.count_endpoints(tenant_a.id) == MAX_ENDPOINTS
    assert _list(api, tenant_a).body["total"] == MAX_ENDPOINTS
    first = list_endpoints(tenant_a.id, limit=1)[0]
    assert _delete(api, tenant_a, first.id).status == 204
    assert _create(api, tenant_a, url=f"{URL}/over").status == 201


def test_members_cannot_create_or_delete(api, tenant_a):
    assert _error(_create(api, tenant_a, headers=tenant_a.as_member())) == (403, "FORBIDDEN", None)
    endpoint = _create(api, tenant_a).body
    assert _error(_delete(api, tenant_a, endpoint["id"], headers=tenant_a.as_member())) == (403, "FORBIDDEN", None)
    assert [e["id"] for e in _list(api, tenant_a).body["webhooks"]] == [endpoint["id"]]


# ------------------------------------------------------------------ list


def test_lists_page_oldest_first_with_exact_totals(api, tenant_a):
    ids = [_create(api, tenant_a, url=f"{URL}/{i}").body["id"] for i in range(3)]

    everything = _list(api, tenant_a).body
    assert [e["id"] for e in everything["webhooks"]] == ids
    assert set(everything["webhooks"][0]) == {
        "id",
        "url",
        "events",
        "description",
        "enabled",
        "created_at",
        "updated_at",
    }
    assert (everything["total"], everything["limit"], everything["offset"]) == (3, 50, 0)
    first = _list(api, tenant_a, limit=2).body
    assert [e["id"] for e in first["webhooks"]] == ids[:2]
    assert first["pagination"] == {"total": 3, "limit": 2, "offset": 0, "has_more": True}
    last = _list(api, tenant_a, limit=2, offset=2).body
    assert [e["id"] for e in last["webhooks"]] == ids[2:]
    assert last["pagination"] == {"total": 3, "limit": 2, "offset": 2, "has_more": False}
    past = _list(api, tenant_a, offset=3).body
    assert (past["webhooks"], past["total"], past["pagination"]["has_more"]) == ([], 3, False)
    empty = api("list_webhooks", query={}, headers=tenant_a.as_admin()).body
    assert empty["total"] == 3


def test_an_organization_without_endpoints_lists_none(api, tenant_a):
    body = _list(api, tenant_a).body
    assert (body["webhooks"], body["total"], body["pagination"]["has_more"]) == ([], 0, False)


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"limit": "x"}, {"offset": -1}, {"offset": "x"}])
def test_bad_list_parameters_are_400(api, tenant_a, query):
    reply = _list(api, tenant_a, **query)
    assert _error(reply) == (400, "INVALID_PARAMETER", next(iter(query)))


def test_a_page_reads_no_more_than_it_shows(tenant_a, monkeypatch):
    for i in range(5):
        create_endpoint(tenant_a.id, WebhookEndpointCreate(url=f"{URL}/{i}"))
    asked: list[int] = []
    real_query = table()._client.query

    def query(**kwargs):
        asked.append(kwargs["Limit"])
        return real_query(**kwargs)

    monkeypatch.setattr(table()._client, "query", query)
    assert len(list_endpoints(tenant_a.id, offset=1, limit=2)) == 2
    assert asked == [3]


# ------------------------------------------------------------------ delete


def test_delete_is_204_then_404(api, tenant_a):
    endpoint = _create(api, tenant_a).body
    kept = _create(api, tenant_a, url=URL + "/kept").body

    deleted = _delete(api, tenant_a, endpoint["id"])

    assert deleted.status == 204
    assert deleted.body is None
    assert _error(_delete(api, tenant_a, endpoint["id"])) == (404, "NOT_FOUND", "id")
    listed = _list(api, tenant_a).body
    assert ([e["id"] for e in listed["webhooks"]], listed["total"]) == ([kept["id"]], 1)
    assert _create(api, tenant_a).status == 201  # the URL is free again


def test_deleting_an_unknown_endpoint_is_404(api, tenant_a):
    assert _error(_delete(api, tenant_a, "0190f3a2-7c4e-7b2d-9a1f-5e6d4c3b2a10")) == (404, "NOT_FOUND", "id")
    assert endpoints.count_endpoints(tenant_a.id) == 0


def test_the_secret_routes_still_win_over_the_endpoint_id_route(api, template, tenant_a):
    router = Router(template.routes, template.default_route)
    functions = {
        ("GET", "/api/webhooks/secret"): ("GetWebhookSecretFunction", {}),
        ("POST", "/api/webhooks/secret/rotate"): ("RotateWebhookSecretFunction", {}),
        ("GET", "/api/webhooks"): ("ListWebhooksFunction", {}),
        ("POST", "/api/webhooks"): ("CreateWebhookFunction", {}),
        ("DELETE", "/api/webhooks/abc"): ("DeleteWebhookFunction", {"id": "abc"}),
        ("DELETE", "/api/webhooks/secret"): ("DeleteWebhookFunction", {"id": "secret"}),
        ("GET", "/api/webhooks/abc"): ("GetWebhookFunction", {"id": "abc"}),
        ("PATCH", "/api/webhooks/abc"): ("UpdateWebhookFunction", {"id": "abc"}),
        ("POST", "/api/webhooks/abc/test"): ("TestWebhookFunction", {"id": "abc"}),
        ("GET", "/api/webhooks/abc/deliveries"): ("ListWebhookDeliveriesFunction", {"id": "abc"}),
        ("POST", "/api/webhooks/deliveries/msg_1/replay"): ("ReplayWebhookDeliveryFunction", {"id": "msg_1"}),
        ("GET", "/api/webhooks/deliveries"): ("GetWebhookFunction", {"id": "deliveries"}),
    }
    for (method, path), expected in functions.items():
        match = router.match(method, path)
        assert match is not None
        assert (match.route.function, match.path_parameters) == expected, (method, path)
    secret = api("get_webhook_secret", headers=tenant_a.as_admin()).body["secrets"]
    assert _error(_delete(api, tenant_a, "secret")) == (404, "NOT_FOUND", "id")
    assert api("get_webhook_secret", headers=tenant_a.as_admin()).body["secrets"] == secret
    reply = api("route_not_found", path="/api/webhooks/secret", method="PUT")
    assert (reply.status, reply.headers["Allow"]) == (405, "DELETE, GET, PATCH")


# ------------------------------------------------------------------ publish


def test_only_subscribed_endpoints_get_the_event(queue, tenant_a, tenant_b):
    completed = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL + "/c", events=["campaign.completed"]))
    create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL + "/s", events=["session.started"]))
    everything = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL + "/all"))
    create_endpoint(tenant_b.id, WebhookEndpointCreate(url=URL + "/b"))

    ids = publish(tenant_a.id, "campaign.completed", {"id": "c1", "status": "completed"}, idempotency_key="k1")

    messages = queued_webhooks(queue)
    assert sorted(m["url"] for m in messages) == sorted([completed.url, everything.url])
    assert sorted(m["id"] for m in messages) == sorted(ids)
    for message in messages:
        assert message["organization_id"] == tenant_a.id
        assert message["type"] == "campaign.completed"  # sent as the webhook-event header
        payload = message["payload"]
        assert set(payload) == {"type", "timestamp", "data"}
        assert (payload["type"], payload["data"]) == ("campaign.completed", {"id": "c1", "status": "completed"})
        assert len(payload["timestamp"]) == 20
        assert payload["timestamp"].endswith("Z")
    by_url = {m["url"]: m["id"] for m in messages}
    assert by_url[completed.url] == delivery.message_id(tenant_a.id, f"k1:{completed.id}")
    assert by_url[everything.url] == delivery.message_id(tenant_a.id, f"k1:{everything.id}")


def test_publishing_without_subscribers_queues_nothing(queue, tenant_a):
    create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL, events=["invite.opened"]))
    assert publish(tenant_a.id, "session.completed", {}, idempotency_key="k") == []
    assert queued_webhooks(queue) == []


def test_an_unknown_event_type_is_a_programming_error(queue, tenant_a):
    with pytest.raises(ValueError, match=r"candidate\.hired"):
        publish(tenant_a.id, "candidate.hired", {}, idempotency_key="k")


def test_one_endpoint_failing_does_not_stop_the_others_nor_the_caller(queue, tenant_a, monkeypatch, caplog):
    first = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL + "/1"))
    second = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL + "/2"))
    real_enqueue = delivery.enqueue

    def enqueue(organization_id, url, *args, **kwargs):
        if url == first.url:
            raise RuntimeError("SQS is down")
        return real_enqueue(organization_id, url, *args, **kwargs)

    monkeypatch.setattr(delivery, "enqueue", enqueue)
    ids = publish(tenant_a.id, "invite.opened", {"token": "inv_x"}, idempotency_key="k")

    assert [m["url"] for m in queued_webhooks(queue)] == [second.url]
    assert len(ids) == 1
    [record] = [r for r in caplog.records if r.getMessage() == "could not queue the webhook"]
    assert (record.endpoint_id, record.event_type) == (first.id, "invite.opened")
    logged = caplog.text + " ".join(str(vars(r)) for r in caplog.records)
    assert "SQS is down" in logged
    assert first.url not in logged  # a receiver's URL may carry its token
    assert not any(secret in logged for secret in delivery.get_signing_secrets(tenant_a.id))


def test_publishing_survives_unreadable_endpoints(queue, tenant_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("DynamoDB is down")

    monkeypatch.setattr(endpoints, "list_endpoints", broken)
    assert publish(tenant_a.id, "invite.opened", {}, idempotency_key="k") == []


def test_completing_a_campaign_publishes_campaign_completed(api, queue, tenant_a):
    endpoint = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL, events=["campaign.completed"]))
    archived = create_campaign(api, tenant_a).body
    campaign = create_campaign(api, tenant_a, name="Done").body

    assert set_status(api, tenant_a, archived["id"], "archived").status == 200
    assert queued_webhooks(queue) == []
    reply = set_status(api, tenant_a, campaign["id"], "completed")

    assert reply.status == 200
    [message] = queued_webhooks(queue)
    assert (message["url"], message["type"]) == (URL, "campaign.completed")
    assert message["payload"]["type"] == "campaign.completed"
    assert message["payload"]["data"] == reply.body
    assert message["payload"]["data"]["status"] == "completed"
    assert message["id"] == delivery.message_id(tenant_a.id, f"campaign.completed:{campaign['id']}:{endpoint.id}")


def test_a_campaign_completes_even_when_the_event_cannot_be_queued(api, queue, tenant_a, monkeypatch):
    create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL, events=["campaign.completed"]))
    campaign = create_campaign(api, tenant_a).body
    monkeypatch.setenv("PANELIST_WEBHOOK_QUEUE_URL", "")
    get_settings.cache_clear()

    reply = set_status(api, tenant_a, campaign["id"], "completed")

    assert (reply.status, reply.body["status"]) == (200, "completed")
    assert queued_webhooks(queue) == []


def test_a_published_event_arrives_signed_with_its_type(api, queue, tenant_a, loopback_allowed):
    receiver = Receiver()
    receiver.thread.start()
    try:
        created = _create(api, tenant_a, url=f"{receiver.url}/hook", events=["session.completed"])
        assert created.status == 201
        publish(tenant_a.id, "session.completed", {"session_id": "s1"}, idempotency_key="e2e")
        messages = boto3.client("sqs").receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageSystemAttributeNames=["All"]
        )["Messages"]
        arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        result = invoke("deliver_webhooks", {"Records": [sqs_record(m, arn) for m in messages]})
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        receiver.thread.join(5)

    assert result == {"batchItemFailures": []}
    [(path, headers, body)] = receiver.requests
    assert path == "/hook"
    assert headers["webhook-event"] == "session.completed"
    payload = delivery.verify(delivery.get_signing_secrets(tenant_a.id), headers, body)
    assert (payload["type"], payload["data"]) == ("session.completed", {"session_id": "s1"})
