"""The Candidates resource (issue 15): create, list (by email, external_id), read, change; external ids unique per
organization (under concurrent requests too); erased profiles read as erased, cannot change, and keep no index."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from panelist.candidates import profiles
from panelist.core.errors import PanelistError
from panelist.core.settings import get_settings
from panelist.models.candidates import CandidateCreate
from panelist.sessions import flow
from panelist_local import iam
from tests.functions.test_interview_flow import _interview
from tests.functions.test_interview_flow import _invite as _stored_invite

ADA = {
    "name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "phone": "+44 20 7946 0000",
    "linkedin_url": "https://www.linkedin.com/in/ada",
    "external_id": "ats-4711",
    "metadata": {"source": "greenhouse", "req": "R-12"},
}


def _create(api, tenant, **fields):
    return api("create_candidate", body=fields, headers=tenant.as_member())


def _get(api, tenant, candidate_id):
    return api(
        "get_candidate",
        path=f"/api/candidates/{candidate_id}",
        path_params={"id": candidate_id},
        headers=tenant.as_member(),
    )


def _patch(api, tenant, candidate_id, **fields):
    return api(
        "update_candidate",
        path=f"/api/candidates/{candidate_id}",
        path_params={"id": candidate_id},
        body=fields,
        headers=tenant.as_member(),
    )


def _list(api, tenant, **query):
    return api("list_candidates", query={k: str(v) for k, v in query.items()}, headers=tenant.as_member())


def _ids(reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [c["id"] for c in reply.body["candidates"]]


def test_a_candidate_is_created_and_read_back(api, tenant_a):
    reply = _create(api, tenant_a, **ADA)
    assert reply.status == 201, reply.body
    body = reply.body
    assert set(body) == {
        "id",
        "name",
        "email",
        "phone",
        "linkedin_url",
        "external_id",
        "metadata",
        "erased",
        "erased_at",
        "created_at",
        "updated_at",
    }
    assert {k: body[k] for k in ADA} == ADA
    assert (body["erased"], body["erased_at"]) == (False, None)
    assert body["created_at"].endswith("Z")
    assert _get(api, tenant_a, body["id"]).body == body
    minimal = _create(api, tenant_a, name="Bo", email="bo@example.com")
    assert minimal.status == 201
    assert (minimal.body["external_id"], minimal.body["metadata"], minimal.body["phone"]) == (None, {}, None)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": 5}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"linkedin_url": "https://evil.example/in/ada"}, "linkedin_url"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x" * 201}, "external_id"),
        ({"external_id": "a\nb"}, "external_id"),
        ({"metadata": "x"}, "metadata"),
        ({"metadata": {"k": 1}}, "metadata"),
        ({"metadata": {"k" * 41: "v"}}, "metadata"),
        ({"metadata": {"k": "v" * 501}}, "metadata"),
        ({"metadata": {f"k{n}": "v" for n in range(51)}}, "metadata"),
        ({"surname": "x"}, "surname"),
    ],
)
def test_invalid_candidates_are_400_naming_the_field_and_write_nothing(api, tenant_a, fields, field):
    reply = _create(api, tenant_a, **{"name": "Ada", "email": "ada@example.com", **fields})
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"]["field"] == field
    assert _list(api, tenant_a).body["total"] == 0


def test_missing_fields_are_named(api, tenant_a):
    assert _create(api, tenant_a, email="a@example.com").body["error"]["details"]["field"] == "name"
    assert _create(api, tenant_a, name="A").body["error"]["details"]["field"] == "email"


def test_a_duplicate_external_id_is_409_naming_it_and_writes_nothing(api, tenant_a, tenant_b):
    assert _create(api, tenant_a, **ADA).status == 201
    again = _create(api, tenant_a, **{**ADA, "email": "other@example.com"})
    assert again.status == 409
    assert again.body["error"]["details"]["field"] == "external_id"
    assert _list(api, tenant_a).body["total"] == 1
    assert _list(api, tenant_a, email="other@example.com").body["total"] == 0
    assert _create(api, tenant_b, **ADA).status == 201  # unique per organization only


def test_concurrent_creates_with_one_external_id_make_one_candidate(stack, tenant_a):
    racers = 6
    barrier = threading.Barrier(racers)

    def create(n: int):
        with iam.acting_as(stack.role("create_candidate")):
            barrier.wait()
            request = CandidateCreate(name=f"Ada {n}", email=f"ada{n}@example.com", external_id="ats-race")
            try:
                return profiles.create_candidate(tenant_a.id, request)
            except PanelistError as exc:
                return exc

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = list(pool.map(create, range(racers)))
    made = [o for o in outcomes if not isinstance(o, PanelistError)]
    refused = [o for o in outcomes if isinstance(o, PanelistError)]
    assert len(made) == 1
    assert {(e.status, e.field) for e in refused} == {(409, "external_id")}
    listed, total = profiles.list_candidates(tenant_a.id, email=None, external_id=None, offset=0, limit=50)
    assert total == 1
    assert [c.id for c in listed] == [made[0].id]


def test_lists_page_and_filter_by_email_and_external_id(api, tenant_a, tenant_b):
    made = [
        _create(api, tenant_a, name=f"C{n}", email=f"c{n % 2}@example.com", external_id=f"x-{n}").body["id"]
        for n in range(5)
    ]
    _create(api, tenant_b, name="Other", email="c0@example.com", external_id="x-0")
    everything = _list(api, tenant_a)
    assert _ids(everything) == made
    assert (everything.body["total"], everything.body["pagination"]["has_more"]) == (5, False)
    page = _list(api, tenant_a, limit=2, offset=2)
    assert _ids(page) == made[2:4]
    assert (page.body["total"], page.body["limit"], page.body["offset"]) == (5, 2, 2)
    assert page.body["pagination"]["has_more"] is True

    by_email = _list(api, tenant_a, email="  C0@EXAMPLE.com ")
    assert (_ids(by_email), by_email.body["total"]) == ([made[0], made[2], made[4]], 3)
    assert _ids(_list(api, tenant_a, email="c0@example.com", limit=1, offset=1)) == [made[2]]
    assert (_ids(_list(api, tenant_a, external_id="x-3")), _list(api, tenant_a, external_id="x-3").body["total"]) == (
        [made[3]],
        1,
    )
    assert _ids(_list(api, tenant_a, external_id="X-3")) == []  # external ids match exactly
    assert _ids(_list(api, tenant_a, external_id="x-3", email="c1@example.com")) == [made[3]]
    assert _ids(_list(api, tenant_a, external_id="x-3", email="c0@example.com")) == []
    assert _ids(_list(api, tenant_a, email="nobody@example.com")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"offset": "-1"}, "offset"), ({"email": ""}, "email")],
)
def test_bad_list_queries_are_400_naming_the_parameter(api, tenant_a, query, field):
    reply = api("list_candidates", query=query, headers=tenant_a.as_member())
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == field


def test_candidates_made_by_invite_starts_are_listed_and_found_by_email(api, tenant_a):
    invite = _stored_invite(tenant_a.id, _interview(tenant_a.id))
    flow.start_from_invite(invite.token, {"consent": "on", "name": "Sam Lee"})
    listed = _list(api, tenant_a)
    assert listed.body["total"] == 1
    [sam] = listed.body["candidates"]
    assert (sam["name"], sam["email"], sam["external_id"]) == ("Sam Lee", "sam@example.com", None)
    assert _ids(_list(api, tenant_a, email="SAM@example.com")) == [sam["id"]]


def test_a_patch_changes_only_the_fields_sent(api, tenant_a):
    made = _create(api, tenant_a, **ADA).body
    reply = _patch(api, tenant_a, made["id"], phone=None, metadata={"stage": "onsite"}, name="Ada King")
    assert reply.status == 200, reply.body
    assert (reply.body["name"], reply.body["phone"], reply.body["metadata"]) == ("Ada King", None, {"stage": "onsite"})
    assert (reply.body["email"], reply.body["external_id"]) == (ADA["email"], ADA["external_id"])
    assert reply.body["updated_at"] >= made["updated_at"]
    assert _get(api, tenant_a, made["id"]).body == reply.body


def test_a_patch_moves_the_email_index_and_the_external_id(api, tenant_a):
    ada = _create(api, tenant_a, **ADA).body["id"]
    bo = _create(api, tenant_a, name="Bo", email="bo@example.com", external_id="ats-1").body["id"]
    assert _patch(api, tenant_a, ada, email="ada@new.example", external_id="ats-9").status == 200
    assert _ids(_list(api, tenant_a, email="ada@example.com")) == []
    assert _ids(_list(api, tenant_a, email="ada@new.example")) == [ada]
    assert _ids(_list(api, tenant_a, external_id="ats-4711")) == []
    assert _ids(_list(api, tenant_a, external_id="ats-9")) == [ada]
    taken = _patch(api, tenant_a, bo, external_id="ats-9")
    assert (taken.status, taken.body["error"]["details"]["field"]) == (409, "external_id")
    assert _get(api, tenant_a, bo).body["external_id"] == "ats-1"
    # the released id can be given to another candidate, and an external id can be cleared
    assert _patch(api, tenant_a, bo, external_id="ats-4711").status == 200
    assert _patch(api, tenant_a, bo, external_id=None).body["external_id"] is None
    assert _ids(_list(api, tenant_a, external_id="ats-4711")) == []
    assert _create(api, tenant_a, name="New", email="n@example.com", external_id="ats-4711").status == 201


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "body"),
        ({"name": None}, "name"),
        ({"email": None}, "email"),
        ({"email": "nope"}, "email"),
        ({"metadata": {"k": ["v"]}}, "metadata"),
        ({"id": "x"}, "id"),
    ],
)
def test_invalid_patches_are_400_naming_the_field(api, tenant_a, fields, field):
    made = _create(api, tenant_a, **ADA).body
    reply = _patch(api, tenant_a, made["id"], **fields)
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"]["field"] == field
    assert _get(api, tenant_a, made["id"]).body == made


def test_unknown_candidates_are_404(api, tenant_a):
    assert _get(api, tenant_a, "nope").status == 404
    assert _patch(api, tenant_a, "nope", name="X").status == 404


def _table_strings() -> str:
    """Every item of the emulated table, as text (a Scan: allowed in tests only)."""
    client = boto3.client("dynamodb")
    pages = client.get_paginator("scan").paginate(TableName=get_settings().table)
    return repr([page["Items"] for page in pages])


def test_an_erased_candidate_reads_as_erased_cannot_change_and_keeps_no_index(api, tenant_a):
    made = _create(api, tenant_a, **ADA).body
    erased = api(
        "erase_candidate",
        path=f"/api/candidates/{made['id']}",
        path_params={"id": made["id"]},
        headers=tenant_a.as_admin(),
    )
    assert erased.status == 200, erased.body
    read = _get(api, tenant_a, made["id"]).body
    assert (read["erased"], read["name"], read["email"]) == (True, "erased", "erased")
    assert (read["phone"], read["linkedin_url"], read["external_id"], read["metadata"]) == (None, None, None, {})
    refused = _patch(api, tenant_a, made["id"], name="Ada")
    assert (refused.status, refused.body["error"]["details"]["field"]) == (409, "id")
    stored = _table_strings()
    digest = hashlib.sha256(ADA["email"].lower().encode()).hexdigest()
    for personal in ("Lovelace", "ada@example", "Ada@Example", "7946", "greenhouse", "R-12", "ats-4711", digest):
        assert personal not in stored, personal
    assert _ids(_list(api, tenant_a, email=ADA["email"])) == []
    assert _ids(_list(api, tenant_a, external_id=ADA["external_id"])) == []
    assert _ids(_list(api, tenant_a)) == [made["id"]]  # still listed, as erased
    assert _create(api, tenant_a, **ADA).status == 201  # its external id was released
