"""Handlers invoked as API Gateway would invoke them, on moto resources created from template.yaml.

`api(function, path=..., body=..., headers=...)` starts from the function's sample in events/,
runs the real authorizer on the request's headers, then the handler, and returns the response.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from panelist import auth, aws, signing
from panelist.api_keys import create_api_key
from panelist.models.organizations import ApiKeyCreate, OrganizationCreate, Plan, Role
from panelist.organizations import create_organization
from panelist_local.emulator import provision
from panelist_local.handlers import load_handler
from panelist_local.template import Template

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_ADMIN_KEY = "platform-admin-test-key-0123456789"


class LambdaContext:
    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 29_000


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


def sample_event(function: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / f"{function}.json").read_text())


def invoke(function: str, event: dict[str, Any]) -> Any:
    return load_handler(ROOT / "functions" / function)(event, LambdaContext())


@pytest.fixture(scope="session")
def template() -> Template:
    return Template.load(ROOT / "template.yaml")


@pytest.fixture
def emulated(template):
    """Fresh emulated AWS with every resource of template.yaml, and a known platform-admin key."""
    with mock_aws():
        aws.reset()
        parameters.clear_caches()
        auth._cache.clear()
        provision(template)
        secret_id = boto3.client("secretsmanager").describe_secret(SecretId="panelist/test/keys")["ARN"]
        boto3.client("secretsmanager").put_secret_value(
            SecretId=secret_id, SecretString=signing.new_secret_value(PLATFORM_ADMIN_KEY)
        )
        yield
        aws.reset()
        parameters.clear_caches()


@pytest.fixture
def api(emulated):
    def call(
        function: str,
        *,
        path: str | None = None,
        method: str | None = None,
        body: Any = None,
        raw_body: str | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        path_params: dict[str, str] | None = None,
    ) -> Reply:
        event = copy.deepcopy(sample_event(function))
        event["headers"] = {k: v for k, v in event["headers"].items() if k not in ("authorization", "apikey")}
        event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
        if path is not None:
            event["rawPath"] = event["requestContext"]["http"]["path"] = path
        if method is not None:
            event["requestContext"]["http"]["method"] = method
        if path_params is not None:
            event["pathParameters"] = path_params
        event.pop("body", None)
        if body is not None or raw_body is not None:
            event["body"] = raw_body if raw_body is not None else json.dumps(body)
        if query is not None:
            event["queryStringParameters"] = query
            event["rawQueryString"] = urlencode(query)
        event["requestContext"].pop("authorizer", None)
        if function != "route_not_found":
            decision = auth.authorize({"headers": event["headers"]})
            event["requestContext"]["authorizer"] = {"lambda": decision["context"]}
        result = invoke(function, event)
        text = result.get("body") or "null"
        return Reply(result["statusCode"], json.loads(text), result.get("headers") or {})

    return call


@dataclass
class Tenant:
    id: str
    admin_key: str
    member_key: str
    admin_key_id: str
    member_key_id: str

    def as_admin(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.admin_key}"}

    def as_member(self) -> dict[str, str]:
        return {"apikey": self.member_key}


def make_tenant(name: str, plan: Plan = Plan.professional) -> Tenant:
    org = create_organization(OrganizationCreate(name=name, plan=plan))
    admin, admin_secret = create_api_key(org.id, ApiKeyCreate(name="admin", role=Role.admin))
    member, member_secret = create_api_key(org.id, ApiKeyCreate(name="member", role=Role.member))
    return Tenant(org.id, admin_secret, member_secret, admin.id, member.id)


@pytest.fixture
def tenant_a(emulated) -> Tenant:
    return make_tenant("Acme Labs")


@pytest.fixture
def tenant_b(emulated) -> Tenant:
    return make_tenant("Bright Water")


@pytest.fixture
def platform_admin() -> dict[str, str]:
    return {"authorization": f"Bearer {PLATFORM_ADMIN_KEY}"}
