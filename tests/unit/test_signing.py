"""The JWT key ring: rotation keeps unexpired tokens valid; forged and confused tokens are refused."""

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from panelist.core import signing
from panelist.core.errors import ConfigurationError


@pytest.fixture
def secret(monkeypatch):
    """The key ring the code under test reads, as a mutable secret value."""
    value = json.loads(signing.new_secret_value())
    monkeypatch.setattr(signing, "key_ring", lambda refresh=False: signing.KeyRing.from_secret(value))
    return value


def test_token_round_trip_carries_claims_kid_and_expiry(secret):
    token, expires = signing.sign({"sub": "k1"}, audience="a", ttl=timedelta(minutes=5))
    assert jwt.get_unverified_header(token)["kid"] == secret["active_kid"]
    claims = signing.verify(token, audience="a")
    assert claims["sub"] == "k1"
    assert claims["exp"] == int(expires.timestamp())


def test_rotation_keeps_tokens_of_the_previous_key_valid(secret):
    old_token, _ = signing.sign({"sub": "k1"}, audience="a", ttl=timedelta(hours=1))
    secret.update(signing.rotated(secret))
    new_token, _ = signing.sign({"sub": "k1"}, audience="a", ttl=timedelta(hours=1))
    assert jwt.get_unverified_header(new_token)["kid"] != jwt.get_unverified_header(old_token)["kid"]
    assert signing.verify(old_token, audience="a")["sub"] == "k1"
    assert signing.verify(new_token, audience="a")["sub"] == "k1"


def test_rotation_drops_keys_only_after_their_tokens_can_no_longer_be_valid():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    value = signing.rotated({"ip_hash_key": "x"}, start)
    first = value["active_kid"]
    value = signing.rotated(value, start + timedelta(days=30))  # first retires now
    value = signing.rotated(value, start + timedelta(days=59))
    assert first in {k["kid"] for k in value["signing_keys"]}  # retired 29 days ago: tokens may live
    value = signing.rotated(value, start + timedelta(days=61))
    assert first not in {k["kid"] for k in value["signing_keys"]}  # retired 31 days ago
    assert value["ip_hash_key"] == "x"  # kept by every rotation: view hashes stay comparable
    assert len(value["signing_keys"]) == 3


def _forge(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda t: _forge(t, sub="someone-else"), id="tampered-payload"),
        pytest.param(
            lambda t: jwt.encode(
                {"sub": "k1", "aud": "a", "iss": "panelist", "iat": 0, "exp": 4102444800},
                None,
                algorithm="none",
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda t: jwt.encode(
                {"sub": "k1", "aud": "a", "iss": "panelist", "iat": 0, "exp": 4102444800},
                "wrong-key-of-at-least-32-bytes-long!",
                algorithm="HS256",
                headers={"kid": jwt.get_unverified_header(t)["kid"]},
            ),
            id="wrong-key",
        ),
        pytest.param(
            lambda t: jwt.encode(
                {"sub": "k1", "aud": "a", "iss": "panelist", "iat": 0, "exp": 4102444800},
                "wrong-key-of-at-least-32-bytes-long!",
                algorithm="HS256",
                headers={"kid": "unknown"},
            ),
            id="unknown-kid",
        ),
        pytest.param(lambda t: "not-a-token", id="garbage"),
    ],
)
def test_forged_tokens_are_refused(secret, make):
    token, _ = signing.sign({"sub": "k1"}, audience="a", ttl=timedelta(minutes=5))
    with pytest.raises(signing.InvalidToken):
        signing.verify(make(token), audience="a")


def test_a_token_for_one_audience_is_refused_for_another(secret):
    token, _ = signing.sign({"sub": "k1"}, audience="share", ttl=timedelta(minutes=5))
    with pytest.raises(signing.InvalidToken):
        signing.verify(token, audience="access")


def test_expired_tokens_are_refused_as_expired(secret):
    ring = signing.KeyRing.from_secret(secret)
    past = datetime.now(UTC) - timedelta(hours=2)
    token = jwt.encode(
        {"sub": "k1", "aud": "a", "iss": "panelist", "iat": past, "exp": past + timedelta(hours=1)},
        ring.keys[ring.active_kid],
        algorithm="HS256",
        headers={"kid": ring.active_kid},
    )
    with pytest.raises(signing.ExpiredToken):
        signing.verify(token, audience="a")


def test_lifetimes_beyond_the_key_retention_are_refused(secret):
    with pytest.raises(ValueError, match="lifetime"):
        signing.sign({}, audience="a", ttl=signing.MAX_TOKEN_LIFETIME + timedelta(seconds=1))


def test_a_secret_without_signing_keys_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        signing.KeyRing.from_secret({"ip_hash_key": "x"})


def test_the_first_rotation_makes_the_ip_hash_key_and_later_ones_keep_it():
    first = signing.rotated({})
    assert len(first["ip_hash_key"]) >= 32
    assert signing.rotated(first)["ip_hash_key"] == first["ip_hash_key"]
    assert "platform_admin_key" not in first  # the admin key has a secret of its own
