"""The Secrets Manager rotation protocol run step by step against the emulated secret."""

import json
import uuid
from datetime import timedelta

import boto3
import jwt
import pytest

from panelist.core import signing
from panelist.core.errors import ConfigurationError
from tests.functions.harness import invoke

SECRET = "Secret"


def _rotate(steps=("createSecret", "setSecret", "testSecret", "finishSecret")) -> str:
    manager = boto3.client("secretsmanager")
    token = str(uuid.uuid4())
    # What RotateSecret does before calling the function (as moto does it): the token's version, staged
    # AWSPENDING, holding a copy of the current value.
    manager.put_secret_value(
        SecretId=SECRET,
        ClientRequestToken=token,
        VersionStages=["AWSPENDING"],
        SecretString=manager.get_secret_value(SecretId=SECRET)["SecretString"],
    )
    for step in steps:
        invoke("rotate_signing_keys", {"Step": step, "SecretId": SECRET, "ClientRequestToken": token})
    return token


def _current() -> dict:
    return json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=SECRET, VersionStage="AWSCURRENT")["SecretString"]
    )


def test_rotation_adds_an_active_key_and_old_tokens_still_verify(emulated):
    before = _current()
    old_token, _ = signing.sign({"sub": "x"}, audience="a", ttl=timedelta(minutes=5))
    _rotate()
    after = _current()
    assert after["active_kid"] != before["active_kid"]
    assert after["ip_hash_key"] == before["ip_hash_key"]
    assert {k["kid"] for k in before["signing_keys"]} < {k["kid"] for k in after["signing_keys"]}
    new_token, _ = signing.sign({"sub": "x"}, audience="a", ttl=timedelta(minutes=5))  # cached ring: old kid
    assert signing.verify(old_token, audience="a")["sub"] == "x"
    signing.key_ring(refresh=True)
    newest, _ = signing.sign({"sub": "x"}, audience="a", ttl=timedelta(minutes=5))
    assert jwt.get_unverified_header(newest)["kid"] == after["active_kid"]
    assert signing.verify(new_token, audience="a")["sub"] == "x"


def test_an_interrupted_rotation_leaves_the_current_secret_untouched(emulated):
    before = _current()
    _rotate(steps=("createSecret", "setSecret"))
    assert _current() == before


def test_a_fresh_deployment_secret_gets_its_first_key_from_the_first_rotation(emulated):
    boto3.client("secretsmanager").put_secret_value(SecretId=SECRET, SecretString='{"ip_hash_key": "k"}')
    with pytest.raises(ConfigurationError):
        signing.key_ring(refresh=True)
    _rotate()
    assert signing.key_ring(refresh=True).ip_hash_key == "k"
