from panelist.webhooks import delivery


def test_an_admin_reads_and_rotates_the_signing_secret(api, tenant_a):
    first = api("get_webhook_secret", headers=tenant_a.as_admin())
    assert first.status == 200
    [secret] = first.body["secrets"]
    assert secret.startswith("whsec_")
    assert api("get_webhook_secret", headers=tenant_a.as_admin()).body["secrets"] == [secret]
    rotated = api("rotate_webhook_secret", headers=tenant_a.as_admin())
    assert rotated.status == 200
    new, previous = rotated.body["secrets"]
    assert previous == secret
    assert new != secret
    assert delivery.get_signing_secrets(tenant_a.id) == [new, secret]


def test_members_cannot_see_or_rotate_the_secret(api, tenant_a):
    assert api("get_webhook_secret", headers=tenant_a.as_member()).status == 403
    assert api("rotate_webhook_secret", headers=tenant_a.as_member()).status == 403


def test_each_organization_has_its_own_secret(api, tenant_a, tenant_b):
    a = api("get_webhook_secret", headers=tenant_a.as_admin()).body["secrets"]
    b = api("get_webhook_secret", headers=tenant_b.as_admin()).body["secrets"]
    assert set(a).isdisjoint(b)
