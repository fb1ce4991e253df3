import jwt
import pytest


def test_an_api_key_is_exchanged_for_a_short_lived_jwt(api, tenant_a):
    reply = api("create_access_token", body={"expires_in": 600}, headers=tenant_a.as_member())
    assert reply.status == 200
    assert reply.body["token_type"] == "bearer"
    assert reply.body["expires_in"] == 600
    claims = jwt.decode(reply.body["access_token"], options={"verify_signature": False})
    assert claims["org"] == tenant_a.id
    assert claims["exp"] - claims["iat"] == 600
    assert "kid" in jwt.get_unverified_header(reply.body["access_token"])


def test_the_jwt_authenticates_as_the_key_it_stands_for(api, tenant_a):
    token = api("create_access_token", headers=tenant_a.as_admin()).body["access_token"]
    assert api("create_access_token", headers={"authorization": f"Bearer {token}"}).status == 403
    reply = api("list_organizations", headers={"authorization": f"Bearer {token}"})
    assert reply.status == 403  # authenticated as the organization, which is not the platform admin


@pytest.mark.parametrize("expires_in", [0, 59, 3601, "soon"])
def test_lifetimes_outside_one_minute_to_one_hour_are_422_naming_the_field(api, tenant_a, expires_in):
    reply = api("create_access_token", body={"expires_in": expires_in}, headers=tenant_a.as_member())
    assert reply.status == 422
    assert reply.body["name"] == "expires_in"


def test_the_platform_admin_key_cannot_mint_organization_tokens(api, platform_admin):
    assert api("create_access_token", headers=platform_admin).status == 403
