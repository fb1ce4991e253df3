import boto3

from panelist.api import auth


def test_a_key_is_shown_once_and_stored_only_as_a_hash(api, platform_admin, tenant_a):
    reply = api(
        "create_api_key",
        path=f"/api/admin/organizations/{tenant_a.id}/api-keys",
        path_params={"id": tenant_a.id},
        body={"name": "ATS", "role": "admin"},
        headers=platform_admin,
    )
    assert reply.status == 201
    secret = reply.body["key"]
    assert secret.startswith("pnl_")
    assert reply.body["prefix"] == secret[:12]
    assert reply.body["role"] == "admin"
    dump = str(boto3.client("dynamodb").scan(TableName="Table")["Items"])
    assert secret not in dump
    principal = auth.authenticate(secret)
    assert (principal.organization_id, principal.role, principal.key_id) == (
        tenant_a.id,
        "admin",
        reply.body["id"],
    )


def test_the_default_role_is_member(api, platform_admin, tenant_a):
    reply = api(
        "create_api_key",
        path=f"/api/admin/organizations/{tenant_a.id}/api-keys",
        path_params={"id": tenant_a.id},
        headers=platform_admin,
    )
    assert reply.status == 201
    assert reply.body["role"] == "member"


def test_unknown_organization_is_404(api, platform_admin):
    reply = api(
        "create_api_key",
        path="/api/admin/organizations/nope/api-keys",
        path_params={"id": "nope"},
        body={"name": "x"},
        headers=platform_admin,
    )
    assert reply.status == 404


def test_bad_role_is_400(api, platform_admin, tenant_a):
    reply = api(
        "create_api_key",
        path=f"/api/admin/organizations/{tenant_a.id}/api-keys",
        path_params={"id": tenant_a.id},
        body={"role": "owner"},
        headers=platform_admin,
    )
    assert reply.status == 400
    assert reply.body["error"]["details"] == {"field": "role", "expected": "'member' or 'admin'"}
