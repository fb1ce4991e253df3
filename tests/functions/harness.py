"""Handlers invoked as API Gateway would invoke them, on moto resources created from template.yaml.

The fixtures that use this are in conftest.py.

`api(function, path=..., body=..., headers=...)` starts from the function's sample in events/,
runs the real authorizer on the request's headers, then the handler, and returns the response.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws
from moto.core.config import default_user_config

from panelist.accounts.api_keys import create_api_key
from panelist.accounts.organizations import create_organization
from panelist.api import auth
from panelist.core import aws, signing
from panelist.core.settings import get_settings
from panelist.models.organizations import ApiKeyCreate, OrganizationCreate, Plan, Role
from panelist.webhooks import delivery
from panelist_local import iam, moto_patches
from panelist_local.emulator import (
    MOTO_CONFIG,
    LambdaBridge,
    Provisioned,
    clear_data,
    provision,
    provision_functions,
    sent_mail,
)
from panelist_local.handlers import Handlers, load_handler
from panelist_local.template import Template

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_ADMIN_KEY = "platform-admin-test-key-0123456789"
STRIPE_WEBHOOK_SECRET = "whsec_test_0123456789abcdefghijklmnopqrstuv"


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
    """Run a function's handler (by folder name) under its own execution role, as Lambda would."""
    with iam.acting_as(_running.role(function) if _running else None):
        return load_handler(ROOT / "functions" / function)(event, LambdaContext())


def authorize(headers: dict[str, str]) -> dict[str, Any]:
    """The authorizer's decision on these request headers, made under the authorizer's role."""
    with iam.acting_as(_running.role("authorizer") if _running else None):
        return auth.authorize({"headers": headers})


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


class EmulatedStack:
    """template.yaml's resources in moto's in-process backends, provisioned once per process for every test.

    `running()` turns the mock on for one test and first takes out what earlier tests left: the tables,
    buckets and queues are emptied, the state machines' executions and the sent mail forgotten, the
    secret put back. The Lambda functions are provisioned for the first test that runs workflows. A test
    elsewhere that resets moto (`with mock_aws()`) takes the stack with it: it is then provisioned again.
    """

    def __init__(self, template: Template) -> None:
        self.template = template
        self.roles = iam.Roles.from_template(template)  # each function runs under its own role, as deployed
        # Known values, put back before each test: a signing key ring, the platform-admin key, the Stripe secret.
        self.secret_values = {
            "Secret": signing.new_secret_value(),
            "AdminKeySecret": json.dumps({"platform_admin_key": PLATFORM_ADMIN_KEY}),
            "StripeWebhookSecret": json.dumps({"webhook_secret": STRIPE_WEBHOOK_SECRET}),
        }
        self.provisioned = Provisioned()
        self._functions = False
        self._session = boto3.Session()  # one session: boto3 loads each service's model once
        moto_patches.apply()  # before the first mock stops

    @contextmanager
    def running(self, *, workflows: bool = False) -> Iterator[None]:
        """The mock on, the stack as provisioned; with `workflows`, state machines run on the in-process handlers."""
        core = {**default_user_config["core"], "reset_boto3_session": False}  # keep boto3's loaded service models
        mock = mock_aws(config={**(MOTO_CONFIG if workflows else {}), "core": core})
        mock.start(reset=False)
        global _running
        try:
            with ExitStack() as stack:
                _forget_cached_state()
                self._restore(workflows)
                enforcement = iam.install(self.roles, iam.Authorizer.for_stack(self.template, self.provisioned.secrets))
                stack.callback(iam.uninstall, enforcement)
                _running = self
                if workflows:
                    stack.enter_context(LambdaBridge(self.template, Handlers(self.template, self.roles).invoke))
                yield
        finally:
            _running = None
            _forget_cached_state()
            mock.stop(remove_data=False)

    def role(self, function: str) -> iam.Role:
        """The execution role of a function, by folder name, logical id or name."""
        return self.roles[self.template.function(function).logical_id]

    def _restore(self, workflows: bool) -> None:
        session = self._session
        tables = set(session.client("dynamodb").list_tables()["TableNames"])
        if not self.provisioned.tables or not set(self.provisioned.tables.values()) <= tables:
            self.provisioned = provision(self.template, session, secret_values=self.secret_values, functions=False)
            self._functions = False
        if workflows and not self._functions:
            provision_functions(self.template, session)  # under the config that runs them: see its docstring
            self._functions = True
        clear_data(self.template, self.provisioned, session, secret_values=self.secret_values)
        sent_mail(clear=True)


_running: EmulatedStack | None = None


def _forget_cached_state() -> None:
    """What the app caches between invocations: settings, clients, secrets and parameters, API key lookups."""
    get_settings.cache_clear()  # a test's monkeypatched environment is read afresh, and forgotten after it
    aws.reset()
    parameters.clear_caches()
    auth._cache.clear()


def make_tenant(name: str, plan: Plan = Plan.professional) -> Tenant:
    org = create_organization(OrganizationCreate(name=name, plan=plan))
    admin, admin_secret = create_api_key(org.id, ApiKeyCreate(name="admin", role=Role.admin))
    member, member_secret = create_api_key(org.id, ApiKeyCreate(name="member", role=Role.member))
    return Tenant(org.id, admin_secret, member_secret, admin.id, member.id)


def queued_webhooks(queue_url: str) -> list[dict]:
    """Every message on the queue (received with visibility 0, so they stay there), each with the payload it
    refers to (kept in the table: `panelist.webhooks.delivery`) as `payload`."""
    sqs = boto3.client("sqs")
    seen: dict[str, dict] = {}
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:
            bodies = [json.loads(m["Body"]) for m in seen.values()]
            return [{**body, "payload": delivery.payload_of(body)} for body in bodies]
        seen.update((m["MessageId"], m) for m in fresh)


# Paging parameters every list refuses with a 400 naming the field.
BAD_PAGING = [
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"limit": -1}, "limit"),
    ({"limit": "x"}, "limit"),
    ({"offset": -1}, "offset"),
]
