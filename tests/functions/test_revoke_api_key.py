from panelist.api import auth


def _revoke(api, headers, org_id, key_id):
    return api(
        "revoke_api_key",
        path=f"/api/admin/organizations/{org_id}/api-keys/{key_id}",
        path_params={"id": org_id, "key_id": key_id},
        headers=headers,
    )


def test_a_revoked_key_and_its_access_tokens_stop_working(api, platform_admin, tenant_a):
    token = api("create_access_token", body={}, headers=tenant_a.as_member()).body["access_token"]
    reply = _revoke(api, platform_admin, tenant_a.id, tenant_a.member_key_id)
    assert reply.status == 200
    assert reply.body["revoked_at"] is not None
    assert auth.authorize({"headers": tenant_a.as_member()})["context"] == {"error": "API key revoked"}
    assert "revoked" in auth.authorize({"headers": {"authorization": f"Bearer {token}"}})["context"]["error"]
    assert "error" not in auth.authorize({"headers": tenant_a.as_admin()})["context"]


def test_revoking_twice_keeps_the_first_revocation(api, platform_admin, tenant_a):
    first = _revoke(api, platform_admin, tenant_a.id, tenant_a.member_key_id).body
    second = _revoke(api, platform_admin, tenant_a.id, tenant_a.member_key_id)
    assert second.status == 200
    assert second.body["revoked_at"] == first["revoked_at"]


def test_a_key_is_only_found_under_its_own_organization(api, platform_admin, tenant_a, tenant_b):
    reply = _revoke(api, platform_admin, tenant_b.id, tenant_a.member_key_id)
    assert reply.status == 404
    assert "error" not in auth.authorize({"headers": tenant_a.as_member()})["context"]
