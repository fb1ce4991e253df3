"""GET /ai-interviews/report/{response_id}/shares and DELETE .../shares/{share_id}: a response's links, revoked."""

from datetime import datetime

from panelist.core.storage import org_pk, table
from panelist.reports import shares
from tests.functions.reports_data import make_result


def _create(api, tenant, number, hours=2.0):
    reply = api(
        "share_report",
        path=f"/ai-interviews/report/{number}/share",
        path_params={"response_id": str(number), "option": "share"},
        body={"expiration_hours": hours},
        headers=tenant.as_member(),
    )
    assert reply.status == 200, reply.body
    return reply.body


def _list(api, tenant, number):
    return api(
        "list_report_shares",
        path=f"/ai-interviews/report/{number}/shares",
        path_params={"response_id": str(number)},
        headers=tenant.as_member(),
    )


def _revoke(api, tenant, number, share_id):
    return api(
        "revoke_report_share",
        path=f"/ai-interviews/report/{number}/shares/{share_id}",
        path_params={"response_id": str(number), "share_id": share_id},
        headers=tenant.as_member(),
    )


SHARE_FIELDS = {
    "share_id",
    "created_at",
    "expires_at",
    "expiration_hours",
    "status",
    "revoked_at",
    "view_count",
    "views",
}


def test_shares_are_listed_newest_first_in_the_xobin_shape(api, tenant_a):
    session = make_result(tenant_a.id)
    other = make_result(tenant_a.id, name="Grace Mensah")
    created = [_create(api, tenant_a, session.number, hours) for hours in (1, 2, 0.5)]
    _create(api, tenant_a, other.number)
    reply = _list(api, tenant_a, session.number)
    assert reply.status == 200
    listed = reply.body["shares"]
    assert [s["expiration_hours"] for s in listed] == [0.5, 2, 1]
    assert [s["expires_at"] for s in listed] == [c["expires_at"] for c in reversed(created)]
    for share in listed:
        assert set(share) == SHARE_FIELDS
        assert (share["status"], share["revoked_at"], share["view_count"], share["views"]) == ("active", None, 0, [])
        assert datetime.fromisoformat(share["created_at"]).tzinfo is None
    assert len(_list(api, tenant_a, other.number).body["shares"]) == 1


def test_listing_is_one_query_of_the_responses_shares(api, tenant_a, monkeypatch):
    session = make_result(tenant_a.id)
    _create(api, tenant_a, session.number)
    calls = []
    real = type(table()).query

    def query(self, partition, **kwargs):
        calls.append((partition, kwargs))
        return real(self, partition, **kwargs)

    monkeypatch.setattr(type(table()), "query", query)
    assert len(_list(api, tenant_a, session.number).body["shares"]) == 1
    assert calls == [
        (org_pk(tenant_a.id), {"prefix": f"SHARE#{session.id}#", "limit": shares.MAX_LISTED, "forward": False})
    ]


def test_revoking_is_idempotent_and_shows_in_the_list(api, tenant_a):
    session = make_result(tenant_a.id)
    assert _list(api, tenant_a, session.number).body == {"shares": []}
    _create(api, tenant_a, session.number)
    share_id = _list(api, tenant_a, session.number).body["shares"][0]["share_id"]
    first = _revoke(api, tenant_a, session.number, share_id)
    assert first.status == 200, first.body
    assert set(first.body) == SHARE_FIELDS
    assert first.body["status"] == "revoked"
    assert first.body["revoked_at"] is not None
    again = _revoke(api, tenant_a, session.number, share_id)
    assert (again.status, again.body) == (200, first.body)
    assert _list(api, tenant_a, session.number).body["shares"] == [first.body]


def test_an_expired_share_is_listed_as_expired(api, tenant_a):
    session = make_result(tenant_a.id)
    _create(api, tenant_a, session.number)
    [share] = _list(api, tenant_a, session.number).body["shares"]
    sk = f"SHARE#{session.id}#{share['share_id']}"
    table().update(org_pk(tenant_a.id), sk, "SET expires_at = :past", past="2024-01-01T00:00:00Z")
    assert _list(api, tenant_a, session.number).body["shares"][0]["status"] == "expired"
    assert _revoke(api, tenant_a, session.number, share["share_id"]).body["status"] == "revoked"


def test_unknown_shares_and_responses_are_404s_in_the_xobin_shape(api, tenant_a, tenant_b):
    session = make_result(tenant_a.id)
    other = make_result(tenant_a.id, name="Grace Mensah")
    _create(api, tenant_a, session.number)
    share_id = _list(api, tenant_a, session.number).body["shares"][0]["share_id"]
    for tenant, number, shared in (
        (tenant_a, session.number, "01935f2a-7c00-7000-8000-00000000dead"),  # no such share
        (tenant_a, session.number, "nope#SESSION"),  # not a share id
        (tenant_a, other.number, share_id),  # a share of another response
        (tenant_a, session.number + 100, share_id),  # no such response
        (tenant_b, session.number, share_id),  # another organization's
    ):
        reply = _revoke(api, tenant, number, shared)
        assert reply.status == 404, (number, shared, reply.body)
        assert set(reply.body) == {"error"}
    assert _list(api, tenant_a, session.number).body["shares"][0]["status"] == "active"
    assert _list(api, tenant_a, session.number + 100).status == 404
    assert _list(api, tenant_b, session.number).status == 404
    assert _list(api, tenant_a, "x").body == {"error": "response_id must be an integer"}
