"""Fixtures: emulated AWS from template.yaml, an `api` caller, tenants and the platform admin.

The template is provisioned into moto once per process (`stack`); each test gets it as provisioned
(`emulated`, see `EmulatedStack`) and makes its own tenants.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from panelist.core.settings import get_settings
from panelist_local.template import Template
from tests.functions.harness import (
    PLATFORM_ADMIN_KEY,
    ROOT,
    EmulatedStack,
    Reply,
    Tenant,
    authorize,
    invoke,
    make_tenant,
    sample_event,
)


@pytest.fixture(scope="session")
def template() -> Template:
    return Template.load(ROOT / "template.yaml", {"Stage": "test"}, local=True)


@pytest.fixture(scope="session")
def stack(template) -> EmulatedStack:
    return EmulatedStack(template)


@pytest.fixture
def emulated(stack):
    """Emulated AWS with the resources of template.yaml as provisioned, and a known platform-admin key."""
    with stack.running():
        yield


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
        source_ip: str | None = None,
    ) -> Reply:
        event = copy.deepcopy(sample_event(function))
        event["headers"] = {k: v for k, v in event["headers"].items() if k not in ("authorization", "apikey")}
        event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
        if path is not None:
            event["rawPath"] = event["requestContext"]["http"]["path"] = path
        if method is not None:
            event["requestContext"]["http"]["method"] = method
        if source_ip is not None:
            event["requestContext"]["http"]["sourceIp"] = source_ip
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
            decision = authorize(event["headers"])
            event["requestContext"]["authorizer"] = {"lambda": decision["context"]}
        result = invoke(function, event)
        headers = result.get("headers") or {}
        raw = result.get("body") or ""
        if result.get("isBase64Encoded"):
            return Reply(result["statusCode"], base64.b64decode(raw), headers)
        if headers.get("Content-Type", "application/json").startswith("application/json"):
            return Reply(result["statusCode"], json.loads(raw or "null"), headers)
        return Reply(result["statusCode"], raw, headers)

    return call


@pytest.fixture
def tenant_a(emulated) -> Tenant:
    return make_tenant("Acme Labs")


@pytest.fixture
def tenant_b(emulated) -> Tenant:
    return make_tenant("Bright Water")


@pytest.fixture
def platform_admin() -> dict[str, str]:
    return {"authorization": f"Bearer {PLATFORM_ADMIN_KEY}"}


@pytest.fixture
def queue(emulated, monkeypatch):
    """The webhook queue's URL, with the settings pointed at it."""
    url = boto3.client("sqs").get_queue_url(QueueName="panelist-test-webhooks.fifo")["QueueUrl"]
    monkeypatch.setenv("PANELIST_WEBHOOK_QUEUE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def revoke(stack):
    """Take statements away from a function's role for one test: `revoke("create_project", iam.granting(...))`."""
    saved = {}

    def take_away(function: str, predicate) -> None:
        logical_id = stack.template.function(function).logical_id
        saved.setdefault(logical_id, stack.roles[logical_id])
        stack.roles.replace(logical_id, stack.roles[logical_id].without(predicate))

    yield take_away
    for logical_id, role in saved.items():
        stack.roles.replace(logical_id, role)
