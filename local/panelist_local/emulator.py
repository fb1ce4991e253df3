"""Emulated AWS: moto's server in this process, the template's resources created in it, and Lambda
invocations (from Step Functions, Secrets Manager or `lambda:Invoke`) run by the in-process handlers.

`provision` and `LambdaBridge` only talk to boto3 clients and moto's backends, so they work the same
against the server and inside `moto.mock_aws()`. moto is imported where it is used: importing it takes
about a second, which commands like `panelist routes` should not pay.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import secrets
import threading
import traceback
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from panelist_local import moto_patches
from panelist_local.template import (
    ACCOUNT_ID,
    BUCKET,
    QUEUE,
    REGION,
    SECRET,
    TABLE,
    Template,
    TemplateError,
    secret_suffix,
)

if TYPE_CHECKING:
    from moto.core.config import DefaultConfig

log = logging.getLogger("panelist_local")

MOTO_CONFIG: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
SENDER = "noreply@panelist.local"
ROLE_NAME = "panelist-local"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}"
CUSTOM_ID_TAG = "_custom_id_"  # moto takes a resource's generated id (the secret ARN suffix) from this tag

Invoke = Callable[[str, Any], Any]  # (function logical id, event) -> result


class Emulator:
    """moto's server on a free loopback port, configured to run state machines."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._server: Any = None
        self._saved_config: dict[str, Any] = {}

    def start(self) -> None:
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        self._saved_config = {key: default_user_config.get(key) for key in MOTO_CONFIG}
        default_user_config.update(copy.deepcopy(MOTO_CONFIG))
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per emulator request
        self._server = ThreadedMotoServer(self.host, 0, verbose=False)
        self._server.start()

    def guard_presigned_urls(self, buckets: list[str]) -> None:
        """Check presigned requests to `buckets` as S3 does, before moto serves them (presigned.py)."""
        from panelist_local.presigned import PresignedGuard

        wsgi = self._server._server  # the werkzeug server ThreadedMotoServer started; it reads .app per request
        runtime_key = {CREDENTIALS["AWS_ACCESS_KEY_ID"]: CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}
        wsgi.app = PresignedGuard(wsgi.app, buckets, runtime_key)

    @property
    def port(self) -> int:
        return int(self._server.get_host_and_port()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """What a process needs to reach this emulator through plain boto3 clients.

        MOTO_PORT tells moto's Step Functions interpreter where to send its own service calls.
        """
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.url, "MOTO_PORT": str(self.port)}

    def session(self) -> boto3.Session:
        return boto3.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=CREDENTIALS["AWS_SESSION_TOKEN"],
            region_name=REGION,
        )

    def stop(self) -> None:
        if self._server is None:
            return
        from moto.core.config import default_user_config

        self._server.stop()
        self._server = None
        for key, value in self._saved_config.items():
            default_user_config[key] = value  # type: ignore[literal-required]


# ------------------------------------------------------------------ provisioning


@dataclass(frozen=True)
class Provisioned:
    """Logical id -> physical identifier of every resource `provision` created."""

    tables: dict[str, str] = field(default_factory=dict)  # table names
    buckets: dict[str, str] = field(default_factory=dict)  # bucket names
    queues: dict[str, str] = field(default_factory=dict)  # queue URLs
    secrets: dict[str, str] = field(default_factory=dict)  # secret ARNs
    functions: dict[str, str] = field(default_factory=dict)  # function ARNs
    state_machines: dict[str, str] = field(default_factory=dict)  # state machine ARNs


def initial_secret_string(template: Template, logical_id: str) -> str:
    """A secret's value as the deployment leaves it: CloudFormation's SecretString or GenerateSecretString, then
    the first rotation when a template function rotates it (RotateImmediatelyOnUpdate, as the template has)."""
    properties = template.resolve(template.resources[logical_id].properties)
    if "SecretString" in properties:
        value = str(properties["SecretString"])
    else:
        generate = properties.get("GenerateSecretString") or {}
        generated = secrets.token_urlsafe(36)[: int(generate.get("PasswordLength", 32))]
        key = generate.get("GenerateStringKey")
        value = json.dumps({**json.loads(generate["SecretStringTemplate"]), key: generated}) if key else generated
    rotated = any(
        template.resolve(schedule.properties).get("SecretId") == template.secret_arn(logical_id)
        for schedule in template.of_type("AWS::SecretsManager::RotationSchedule")
    )
    if rotated:
        from panelist.core.signing import new_secret_value  # what RotateSigningKeysFunction's first run writes

        value = new_secret_value(json.loads(value))
    return value


def _clients(session: boto3.Session | None, endpoint_url: str | None) -> Callable[[str], Any]:
    """Clients of `session` (one each, kept with the session: tests clear data with the same one often)."""
    session = session or boto3.Session(region_name=REGION)
    return lambda service: _client(session, endpoint_url, service)


@cache
def _client(session: boto3.Session, endpoint_url: str | None, service: str) -> Any:
    return session.client(service, region_name=REGION, endpoint_url=endpoint_url)  # type: ignore[call-overload]


def provision(
    template: Template,
    session: boto3.Session | None = None,
    *,
    endpoint_url: str | None = None,
    secret_values: Mapping[str, str] | None = None,
    sender: str = SENDER,
    functions: bool = True,
) -> Provisioned:
    """Create every resource of the template, as declared, in the emulator `session` reaches.

    Secrets get the value in `secret_values` (by logical id), else `initial_secret_string`. Functions
    are registered with placeholder code: `LambdaBridge` runs them.
    With `functions=False` the functions and their role are left out (`provision_functions` adds
    them later): the state machines' executions are recorded but cannot run.
    """
    moto_patches.apply()
    client = _clients(session, endpoint_url)
    done = Provisioned()
    for table in template.of_type(TABLE):
        name = template.physical_name(table.logical_id)
        _create_table(client("dynamodb"), name, template.resolve(table.properties))
        done.tables[table.logical_id] = name
    for bucket in template.of_type(BUCKET):
        name = template.physical_name(bucket.logical_id)
        _create_bucket(client("s3"), name, template.resolve(bucket.properties))
        done.buckets[bucket.logical_id] = name
    for logical_id in _queue_order(template):
        properties = template.resolve(template.resources[logical_id].properties)
        done.queues[logical_id] = _create_queue(client("sqs"), template.physical_name(logical_id), properties)
    for secret in template.of_type(SECRET):
        done.secrets[secret.logical_id] = _create_secret(
            client("secretsmanager"),
            template,
            secret.logical_id,
            _secret_string(template, secret.logical_id, secret_values),
        )
    client("ses").verify_email_identity(EmailAddress=sender)
    if functions:
        _create_functions(template, client, done)
    _create_state_machines(template, client, done)
    return done


def provision_functions(
    template: Template, session: boto3.Session | None = None, *, endpoint_url: str | None = None
) -> Provisioned:
    """The template's functions, their role and the state machines, for what `provision(functions=False)` left out.

    moto keeps the state machines it runs (config `execute_state_machine`) apart from those it only
    records executions of, and the functions of `use_docker: False` apart from the others, so this
    runs under the config the functions will be invoked with. Creating an existing state machine
    again changes nothing.
    """
    moto_patches.apply()
    client = _clients(session, endpoint_url)
    done = Provisioned()
    _create_functions(template, client, done)
    _create_state_machines(template, client, done)
    return done


def clear_data(
    template: Template,
    provisioned: Provisioned,
    session: boto3.Session | None = None,
    *,
    endpoint_url: str | None = None,
    secret_values: Mapping[str, str] | None = None,
) -> None:
    """Take the data out of provisioned resources: empty tables, buckets and queues, state machines without executions.

    Tables, queues and state machines that hold data are deleted and created again as declared, under
    the same name and ARN: far cheaper than deleting every item, and PurgeQueue may run only once a
    minute. Buckets lose their objects (current versions). A secret named in `secret_values` that has
    another value or more than one version (a rotation's) is created again with its value.
    """
    client = _clients(session, endpoint_url)
    manager = client("secretsmanager")
    for logical_id, arn in provisioned.secrets.items():
        if logical_id not in (secret_values or {}):
            continue
        versions = manager.list_secret_version_ids(SecretId=arn, IncludeDeprecated=True)["Versions"]
        current = manager.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
        if len(versions) > 1 or current != secret_values[logical_id]:
            manager.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
            _create_secret(manager, template, logical_id, secret_values[logical_id])
    s3 = client("s3")
    for name in provisioned.buckets.values():
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            if objects := [{"Key": o["Key"]} for o in page.get("Contents", [])]:
                s3.delete_objects(Bucket=name, Delete={"Objects": objects, "Quiet": True})
    for logical_id, name in provisioned.tables.items():
        client("dynamodb").delete_table(TableName=name)
        _create_table(client("dynamodb"), name, template.resolve(template.resources[logical_id].properties))
    sqs = client("sqs")
    for logical_id in _queue_order(template):
        url = provisioned.queues[logical_id]
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(_QUEUE_COUNTS))["Attributes"]
        if any(int(counts[name]) for name in _QUEUE_COUNTS):
            sqs.delete_queue(QueueUrl=url)
            properties = template.resolve(template.resources[logical_id].properties)
            _create_queue(sqs, template.physical_name(logical_id), properties)
    sfn = client("stepfunctions")
    used, missing = [], False
    for arn in provisioned.state_machines.values():
        try:
            if sfn.list_executions(stateMachineArn=arn)["executions"]:
                used.append(arn)
        except sfn.exceptions.StateMachineDoesNotExist:
            missing = True  # made again under the other config (see provision_functions): moto keeps two lists
    for arn in used:
        sfn.delete_state_machine(stateMachineArn=arn)
    if used or missing:
        _create_state_machines(template, client, Provisioned())


_QUEUE_COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


def _secret_string(template: Template, logical_id: str, secret_values: Mapping[str, str] | None) -> str:
    return (secret_values or {}).get(logical_id) or initial_secret_string(template, logical_id)


def _create_secret(manager: Any, template: Template, logical_id: str, value: str) -> str:
    properties = template.resolve(template.resources[logical_id].properties)
    name = template.physical_name(logical_id)
    request: dict[str, Any] = {
        "Name": name,
        "SecretString": value,
        "Tags": [{"Key": CUSTOM_ID_TAG, "Value": secret_suffix(name)}],
    }
    if "Description" in properties:
        request["Description"] = properties["Description"]
    return str(manager.create_secret(**request)["ARN"])


def _create_functions(template: Template, client: Callable[[str], Any], done: Provisioned) -> None:
    if not template.functions:
        return
    _create_role(client("iam"))
    code = _placeholder_zip()
    for fn in template.functions.values():
        done.functions[fn.logical_id] = client("lambda").create_function(
            FunctionName=fn.name,
            Runtime="python3.11",
            Role=ROLE_ARN,
            Handler=fn.handler,
            Code={"ZipFile": code},
            Timeout=fn.timeout,
            MemorySize=fn.memory_size,
            Environment={"Variables": dict(fn.environment)},
        )["FunctionArn"]


def _create_state_machines(template: Template, client: Callable[[str], Any], done: Provisioned) -> None:
    for machine in template.state_machines:
        done.state_machines[machine.logical_id] = client("stepfunctions").create_state_machine(
            name=machine.name, definition=machine.definition, roleArn=ROLE_ARN, type=machine.type
        )["stateMachineArn"]


_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "OnDemandThroughput",
    "TableClass",
    "DeletionProtectionEnabled",
    "Tags",
)
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")


def _create_table(dynamodb: Any, name: str, props: Mapping[str, Any]) -> None:
    request = {key: props[key] for key in _TABLE_KEYS if key in props}
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(indexes):
            request[indexes] = [{k: index[k] for k in _INDEX_KEYS if k in index} for index in props[indexes]]
    if sse := props.get("SSESpecification"):
        renames = {"SSEEnabled": "Enabled"}  # the one key CloudFormation spells differently
        request["SSESpecification"] = {renames.get(k, k): v for k, v in sse.items()}
    if stream := props.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    dynamodb.create_table(TableName=name, **request)
    if ttl := props.get("TimeToLiveSpecification"):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    if pitr := props.get("PointInTimeRecoverySpecification"):
        dynamodb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": bool(pitr["PointInTimeRecoveryEnabled"])},
        )


def _create_bucket(s3: Any, name: str, props: Mapping[str, Any]) -> None:
    """The bucket and the settings that change how requests behave (not policies or lifecycles)."""
    s3.create_bucket(Bucket=name)
    if encryption := props.get("BucketEncryption"):
        renames = {"ServerSideEncryptionByDefault": "ApplyServerSideEncryptionByDefault"}
        rules = [
            {renames.get(k, k): v for k, v in rule.items()} for rule in encryption["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if block := props.get("PublicAccessBlockConfiguration"):
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    if ownership := props.get("OwnershipControls"):
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=ownership)
    if versioning := props.get("VersioningConfiguration"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning["Status"]})
    if cors := props.get("CorsConfiguration"):
        renames = {"MaxAge": "MaxAgeSeconds"}
        rules = [{renames.get(k, k): v for k, v in rule.items()} for rule in cors["CorsRules"]]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})


_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "RedrivePolicy",
    "RedriveAllowPolicy",
)


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _create_queue(sqs: Any, name: str, props: Mapping[str, Any]) -> str:
    attributes = {key: _attribute(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    tags = {tag["Key"]: tag["Value"] for tag in props.get("Tags", [])}
    return str(sqs.create_queue(QueueName=name, Attributes=attributes, tags=tags)["QueueUrl"])


def _queue_order(template: Template) -> list[str]:
    """Queues with every dead-letter queue before the queues that redrive to it."""
    queues = {q.logical_id: q for q in template.of_type(QUEUE)}
    arns = {template.resolve({"Fn::GetAtt": [q, "Arn"]}): q for q in queues}
    ordered: list[str] = []

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if logical_id in ordered:
            return
        if logical_id in path:
            raise TemplateError(f"queues redrive in a cycle: {' -> '.join((*path, logical_id))}")
        policy = template.resolve(queues[logical_id].properties.get("RedrivePolicy") or {})
        if isinstance(policy, str):
            policy = json.loads(policy)
        if (dlq := arns.get(policy.get("deadLetterTargetArn"))) is not None:
            visit(dlq, (*path, logical_id))
        ordered.append(logical_id)

    for logical_id in queues:
        visit(logical_id, ())
    return ordered


def _create_role(iam: Any) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):  # moto's IAM is one per process
        iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README", "This function runs in the panelist local runtime, not in moto.\n")
    return buffer.getvalue()


# ------------------------------------------------------------------ Lambda invocations


_active_bridge: LambdaBridge | None = None


class LambdaBridge:
    """Routes moto's Lambda `Invoke` of the template's functions to in-process handlers.

    moto's own Lambda would need Docker (or answers a canned string); Step Functions tasks, Secrets
    Manager rotations and `lambda:Invoke` calls all reach the bridge through the patch
    `moto_patches.lambda_invocations_reach_the_router`. A handler that raises answers like the Python
    runtime (FunctionError "Unhandled", errorType = the exception's class), so Retry and Catch in state
    machines see the error name.
    """

    def __init__(self, template: Template, invoke: Invoke) -> None:
        self.template = template
        self._invoke = invoke

    def install(self) -> LambdaBridge:
        global _active_bridge
        if _active_bridge not in (None, self):
            raise RuntimeError("another LambdaBridge is installed in this process")
        moto_patches.apply()
        moto_patches.route_lambda_invocations(self.route)
        _active_bridge = self
        return self

    def uninstall(self) -> None:
        global _active_bridge
        if _active_bridge is self:
            moto_patches.route_lambda_invocations(None)
            _active_bridge = None

    def __enter__(self) -> LambdaBridge:
        return self.install()

    def __exit__(self, *_: object) -> None:
        self.uninstall()

    def function_for(self, name_or_arn: str) -> str | None:
        """The logical id of the function a name, `name:qualifier`, or (partial) ARN designates."""
        name = name_or_arn.split(":function:", 1)[-1].split(":", 1)[0]
        return next((fn.logical_id for fn in self.template.functions.values() if fn.name == name), None)

    def route(self, function_name: str, body: Any, headers: Any, response_headers: dict[str, str]) -> bytes | None:
        """The invocation's payload, or None when the function is not one of the template's."""
        logical_id = self.function_for(function_name)
        return None if logical_id is None else self.run(logical_id, body, headers, response_headers)

    def run(self, logical_id: str, body: Any, headers: Any, response_headers: dict[str, str]) -> bytes:
        event = json.loads(body) if body else {}
        invocation_type = (headers or {}).get("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            threading.Thread(target=self.call, args=(logical_id, event), daemon=True).start()
            return b""
        payload, failed = self.call(logical_id, event)
        if failed:
            response_headers["x-amz-function-error"] = "Unhandled"
        response_headers["Content-Length"] = str(len(payload))
        return payload

    def call(self, logical_id: str, event: Any) -> tuple[bytes, bool]:
        """The invocation's response payload, and whether it is an error."""
        try:
            result = self._invoke(logical_id, event)
        except Exception as exc:
            log.warning("%s raised %s", logical_id, type(exc).__name__, exc_info=True)
            return _error_payload(type(exc).__name__, str(exc), traceback.format_tb(exc.__traceback__)), True
        try:
            return json.dumps(result).encode(), False
        except (TypeError, ValueError) as exc:
            return _error_payload("Runtime.MarshalError", f"Unable to marshal response: {exc}", []), True


def _error_payload(error_type: str, message: str, stack: list[str]) -> bytes:
    body = {"errorMessage": message, "errorType": error_type, "requestId": str(uuid.uuid4()), "stackTrace": stack}
    return json.dumps(body).encode()


# ------------------------------------------------------------------ mail


def sent_mail(*, clear: bool = False) -> list[dict[str, Any]]:
    """The messages SES accepted in this process (server or mock), oldest first."""
    from moto.ses.models import ses_backends

    backend = ses_backends[ACCOUNT_ID][REGION]
    messages = list(backend.sent_messages)
    if clear:
        backend.sent_messages.clear()
    fields = ("id", "ids", "source", "destinations", "subject", "body", "raw_data", "template", "template_data")
    return [{f: getattr(m, f) for f in fields if hasattr(m, f)} for m in messages]
