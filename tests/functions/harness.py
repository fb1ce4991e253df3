"""Handlers invoked as API Gateway would invoke them, on moto resources created from template.yaml.

The fixtures that use this are in conftest.py.

`api(function, path=..., body=..., headers=...)` starts from the function's sample in events/,
runs the real authorizer on the request's headers, then the handler, and returns the response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from panelist.accounts.api_keys import create_api_key
from panelist.accounts.organizations import create_organization
from panelist.models.organizations import ApiKeyCreate, OrganizationCreate, Plan, Role
from panelist_local.handlers import load_handler

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


def queued_webhooks(queue_url: str) -> list[dict]:
    """Every message on the queue (received with visibility 0, so they stay there)."""
    sqs = boto3.client("sqs")
    seen: dict[str, dict] = {}
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:
            return [json.loads(m["Body"]) for m in seen.values()]
        seen.update((m["MessageId"], m) for m in fresh)


# Paging parameters every list refuses with a 400 naming the field.
BAD_PAGING = [
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"limit": -1}, "limit"),
    ({"limit": "x"}, "limit"),
    ({"offset": -1}, "offset"),
]
