"""Emulated AWS: moto's server in this process, the template's resources created in it, and Lambda
invocations (from Step Functions, Secrets Manager or `lambda:Invoke`) run by the in-process handlers.

`provision` and `LambdaBridge` only talk to boto3 clients and moto's backends, so they work the same
against the server and inside `moto.mock_aws()`. moto is imported where it is used: importing it takes
about a second, which commands like `panelist routes` should not pay.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import threading
import traceback
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import boto3

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


def default_secret_value() -> str:
    from panelist.core.signing import new_secret_value  # the app's key ring format

    return str(new_secret_value())


def provision(
    template: Template,
    session: boto3.Session | None = None,
    *,
    endpoint_url: str | None = None,
    secret_value: Callable[[], str] = default_secret_value,
    sender: str = SENDER,
) -> Provisioned:
    """Create every resource of the template, as declared, in the emulator `session` reaches.

    Secrets without a SecretString get `secret_value()` (by default a fresh signing key ring and
    platform-admin key). Functions are registered with placeholder code: `LambdaBridge` runs them.
    """
    session = session or boto3.Session(region_name=REGION)
    _serialize_dynamodb()

    @cache
    def client(service: str) -> Any:
        return session.client(service, region_name=REGION, endpoint_url=endpoint_url)  # type: ignore[call-overload]

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
        properties = template.resolve(secret.properties)
        name = template.physical_name(secret.logical_id)
        request: dict[str, Any] = {
            "Name": name,
            "SecretString": properties.get("SecretString") or secret_value(),
            "Tags": [{"Key": CUSTOM_ID_TAG, "Value": secret_suffix(name)}],
        }
        if "Description" in properties:
            request["Description"] = properties["Description"]
        done.secrets[secret.logical_id] = client("secretsmanager").create_secret(**request)["ARN"]
    client("ses").verify_email_identity(EmailAddress=sender)
    if template.functions or template.state_machines:
        _create_role(client("iam"))
    lambda_client = client("lambda")
    code = _placeholder_zip()
    for fn in template.functions.values():
        done.functions[fn.logical_id] = lambda_client.create_function(
            FunctionName=fn.name,
            Runtime="python3.11",
            Role=ROLE_ARN,
            Handler=fn.handler,
            Code={"ZipFile": code},
            Timeout=fn.timeout,
            MemorySize=fn.memory_size,
            Environment={"Variables": dict(fn.environment)},
        )["FunctionArn"]
    for machine in template.state_machines:
        done.state_machines[machine.logical_id] = client("stepfunctions").create_state_machine(
            name=machine.name, definition=machine.definition, roleArn=ROLE_ARN, type=machine.type
        )["stateMachineArn"]
    return done


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
    Manager rotations and `lambda:Invoke` calls all end in `LambdaBackend.invoke`, patched here. A
    handler that raises answers like the Python runtime (FunctionError "Unhandled", errorType = the
    exception's class), so Retry and Catch in state machines see the error name.
    """

    def __init__(self, template: Template, invoke: Invoke) -> None:
        self.template = template
        self._invoke = invoke

    def install(self) -> LambdaBridge:
        global _active_bridge
        if _active_bridge not in (None, self):
            raise RuntimeError("another LambdaBridge is installed in this process")
        _patch_lambda()
        if self.template.state_machines:
            _patch_step_functions()
        _active_bridge = self
        return self

    def uninstall(self) -> None:
        global _active_bridge
        if _active_bridge is self:
            _active_bridge = None

    def __enter__(self) -> LambdaBridge:
        return self.install()

    def __exit__(self, *_: object) -> None:
        self.uninstall()

    def function_for(self, name_or_arn: str) -> str | None:
        """The logical id of the function a name, `name:qualifier`, or (partial) ARN designates."""
        name = name_or_arn.split(":function:", 1)[-1].split(":", 1)[0]
        return next((fn.logical_id for fn in self.template.functions.values() if fn.name == name), None)

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


def _patch_lambda() -> None:
    """Patch moto once per process; without an installed bridge the patch changes nothing."""
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda_simple.models import LambdaSimpleBackend

    for backend in (LambdaBackend, LambdaSimpleBackend):
        original = backend.__dict__["invoke"]
        if getattr(original, "panelist_patch", False):
            continue

        def invoke(
            self: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
            _original: Any = original,
        ) -> Any:
            bridge = _active_bridge
            logical_id = bridge.function_for(function_name) if bridge else None
            if bridge is None or logical_id is None:
                return _original(self, function_name, qualifier, body, headers, response_headers)
            return bridge.run(logical_id, body, headers, response_headers)

        invoke.panelist_patch = True  # type: ignore[attr-defined]
        backend.invoke = invoke  # type: ignore[method-assign]


_dynamodb_lock = threading.RLock()


def _serialize_dynamodb() -> None:
    """Make each emulated DynamoDB request atomic, as DynamoDB's are, and transactions affordable.

    moto's backend is not thread-safe (a transaction deep-copies tables that another thread may be
    changing), so concurrent requests, from the threaded server or threads in a test, take turns.
    Requests still interleave with each other exactly as they would against DynamoDB.

    moto 5.2.5 also snapshots the whole table once per item of a transaction, for its rollback; one
    snapshot per table is the same rollback at a twentieth of the cost for a 20-item transaction.
    """
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.__dict__["call_action"]
    if getattr(original, "panelist_patch", False):
        return

    def call_action(self: Any) -> Any:
        with _dynamodb_lock:
            return original(self)

    call_action.panelist_patch = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]

    transact = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: Any) -> Any:
        snapshots: dict[int, Any] = {}

        def deepcopy(value: Any, memo: Any = None) -> Any:
            if not isinstance(value, Table):
                return copy.deepcopy(value, memo)
            if id(value) not in snapshots:
                snapshots[id(value)] = copy.deepcopy(value)
            return snapshots[id(value)]

        with _dynamodb_lock:  # the module's `copy` is swapped for this call only; no other request runs
            models.copy = SimpleNamespace(deepcopy=deepcopy)  # type: ignore[assignment]
            try:
                return transact(self, transact_items)
            finally:
                models.copy = copy  # type: ignore[assignment]

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _patch_step_functions() -> None:
    """moto 5.2.5 names every unnamed execution "None", so the second one fails as a duplicate."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend  # another second: only with state machines

    start = StepFunctionsParserBackend.__dict__["start_execution"]
    if not getattr(start, "panelist_patch", False):

        def start_execution(
            self: Any,
            state_machine_arn: str,
            name: str | None = None,
            execution_input: Any = None,
            trace_header: Any = None,
        ) -> Any:
            return start(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

        start_execution.panelist_patch = True  # type: ignore[attr-defined]
        StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]


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
