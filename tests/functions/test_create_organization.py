import boto3
import pytest


def test_platform_admin_creates_an_organization(api, platform_admin):
    reply = api("create_organization", body={"name": "Acme Labs", "plan": "starter"}, headers=platform_admin)
    assert reply.status == 201
    assert reply.body["name"] == "Acme Labs"
    assert reply.body["plan"] == "starter"
    assert reply.body["slug"].startswith("acme-labs-")
    assert reply.body["parent_id"] is None
    assert reply.body["created_at"].endswith("Z")


def test_a_sub_merchant_names_its_parent(api, platform_admin):
    parent = api("create_organization", body={"name": "Group"}, headers=platform_admin).body
    child = api("create_organization", body={"name": "Branch", "parent_id": parent["id"]}, headers=platform_admin)
    assert child.status == 201
    assert child.body["parent_id"] == parent["id"]


def test_an_unknown_parent_is_404_and_nothing_is_written(api, platform_admin):
    reply = api("create_organization", body={"name": "Orphan", "parent_id": "nope"}, headers=platform_admin)
    assert reply.status == 404
    assert reply.body["error"]["details"]["field"] == "parent_id"
    listing = api("list_organizations", headers=platform_admin, query={}).body
    assert listing["total"] == 0
    assert listing["organizations"] == []
    items = boto3.client("dynamodb").scan(TableName="Table")["Items"]
    written = [i for i in items if i["SK"]["S"] != "COUNTER#organizations" and not i["PK"]["S"].startswith("RATE#")]
    assert written == []  # (the requests themselves were counted: RATE# items)


def test_a_taken_slug_is_409(api, platform_admin):
    assert api("create_organization", body={"name": "A", "slug": "acme"}, headers=platform_admin).status == 201
    reply = api("create_organization", body={"name": "B", "slug": "acme"}, headers=platform_admin)
    assert reply.status == 409
    assert reply.body["error"]["details"]["field"] == "slug"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x", "plan": "gold"}, "plan"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": "x", "slug": "Not A Slug"}, "slug"),
        ({"name": "x", "rate_limit_per_hour": 0}, "rate_limit_per_hour"),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(api, platform_admin, body, field):
    reply = api("create_organization", body=body, headers=platform_admin)
    assert reply.status == 400
    assert reply.body["error"]["code"] == "INVALID_PARAMETER"
    assert reply.body["error"]["details"]["field"] == field
    assert field in reply.body["error"]["message"]


@pytest.mark.parametrize(("raw", "problem"), [("{oops", "not valid JSON"), ("[]", "must be a JSON object")])
def test_bodies_that_are_not_json_objects_are_400(api, platform_admin, raw, problem):
    reply = api("create_organization", raw_body=raw, headers=platform_admin)
    assert reply.status == 400
    assert problem in reply.body["error"]["message"]


def test_a_body_over_one_mebibyte_is_413(api, platform_admin):
    reply = api("create_organization", body={"name": "x" * (1024 * 1024)}, headers=platform_admin)
    assert reply.status == 413
    assert reply.body["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_organization_keys_cannot_use_the_platform_admin_surface(api, tenant_a):
    for headers in (tenant_a.as_admin(), tenant_a.as_member()):
        reply = api("create_organization", body={"name": "Sneaky"}, headers=headers)
        assert reply.status == 403
        assert reply.body["error"]["code"] == "FORBIDDEN"
