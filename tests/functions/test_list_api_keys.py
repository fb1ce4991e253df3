def test_keys_are_listed_without_their_secrets(api, platform_admin, tenant_a):
    reply = api(
        "list_api_keys",
        path=f"/api/admin/organizations/{tenant_a.id}/api-keys",
        path_params={"id": tenant_a.id},
        headers=platform_admin,
    )
    assert reply.status == 200
    keys = reply.body["api_keys"]
    assert sorted(k["role"] for k in keys) == ["admin", "member"]
    assert all("key" not in k and "key_hash" not in k for k in keys)
    assert tenant_a.admin_key not in str(reply.body)


def test_unknown_organization_is_404(api, platform_admin):
    reply = api(
        "list_api_keys",
        path="/api/admin/organizations/nope/api-keys",
        path_params={"id": "nope"},
        headers=platform_admin,
    )
    assert reply.status == 404
