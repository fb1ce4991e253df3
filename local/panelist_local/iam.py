"""IAM as AWS enforces it: every function runs under its own role, built from the deployed template's policies.

The roles come from the template after the SAM transform (`transform.transformed`), so a policy template such as
`SQSSendMessagePolicy` is exactly the statements CloudFormation creates. While a function runs (`acting_as`),
every boto3 call it makes is authorized first, the way IAM authorizes the real request:

* the action and resource(s) are those the service checks: a TransactWriteItems is one PutItem, UpdateItem,
  DeleteItem or ConditionCheckItem per item, a Query on an index is checked against the index ARN, a
  DeleteObjects is one s3:DeleteObject per key, a Converse is bedrock:InvokeModel on the model or profile;
* the condition keys the services set are filled in (`dynamodb:LeadingKeys`, `ses:FromAddress`, `s3:prefix`);
* explicit Deny wins, then any Allow, else the call is refused with the service's AccessDenied error and
  the message AWS writes ("... is not authorized to perform: X on resource: Y because ...").

Calls are also signed with the role's own access key, so a presigned URL carries the function that made it:
the emulator checks presigned S3 requests against that role when they are used (`presigned.py`), as S3 does.
Calls made outside a function (the runtime provisioning, a test preparing data) are not restricted.
"""

from __future__ import annotations

import contextvars
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from panelist_local.template import ACCOUNT_ID, REGION, Template

# The statements of the AWS managed policies SAM attaches (as published by AWS).
AWS_MANAGED_POLICIES: dict[str, list[dict[str, Any]]] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        },
    ],
}

# Calls IAM does not authorize (any valid credentials may make them).
_UNAUTHORIZED_CALLS = {("sts", "GetCallerIdentity")}

# What each service answers a refused call with: (error code, HTTP status).
_DENIAL_CODES = {
    "s3": ("AccessDenied", 403),
    "sqs": ("AccessDenied", 403),
    "ses": ("AccessDenied", 403),
    "dynamodb": ("AccessDeniedException", 400),
    "secretsmanager": ("AccessDeniedException", 400),
    "states": ("AccessDeniedException", 400),
    "translate": ("AccessDeniedException", 400),
}


class PolicyError(Exception):
    """A policy the local runtime cannot evaluate faithfully (an unknown condition operator, say)."""


# ------------------------------------------------------------------ policies


def _pattern(text: str, *, ignore_case: bool) -> re.Pattern[str]:
    """IAM wildcards: `*` any run of characters (slashes and colons included), `?` one character."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{body}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@dataclass(frozen=True)
class Request:
    """One authorization IAM makes: an action on a resource, with the request's condition keys."""

    action: str
    resource: str
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sid: str = ""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Statement:
        if "Principal" in raw or "NotPrincipal" in raw:
            raise PolicyError("an identity policy statement cannot name a Principal")
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError(f"statement Effect must be Allow or Deny, not {effect!r}")
        statement = cls(
            effect=effect,
            actions=tuple(str(a) for a in _listed(raw.get("Action"))),
            not_actions=tuple(str(a) for a in _listed(raw.get("NotAction"))),
            resources=tuple(str(r) for r in _listed(raw.get("Resource"))),
            not_resources=tuple(str(r) for r in _listed(raw.get("NotResource"))),
            conditions=dict(raw.get("Condition") or {}),
            sid=str(raw.get("Sid") or ""),
        )
        for operator in statement.conditions:
            _operator(operator)  # refuse what cannot be evaluated now, not when a request meets it
        return statement

    @cached_property
    def _action_patterns(self) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
        return (
            [_pattern(a, ignore_case=True) for a in self.actions],
            [_pattern(a, ignore_case=True) for a in self.not_actions],
        )

    @cached_property
    def _resource_patterns(self) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
        return (
            [_pattern(r, ignore_case=False) for r in self.resources],
            [_pattern(r, ignore_case=False) for r in self.not_resources],
        )

    def grants_action(self, action: str) -> bool:
        actions, not_actions = self._action_patterns
        if actions:
            return any(p.match(action) for p in actions)
        return bool(not_actions) and not any(p.match(action) for p in not_actions)

    def matches(self, request: Request) -> bool:
        if not self.grants_action(request.action):
            return False
        resources, not_resources = self._resource_patterns
        if resources:
            if not any(p.match(request.resource) for p in resources):
                return False
        elif not not_resources or any(p.match(request.resource) for p in not_resources):
            return False
        return all(
            _condition_holds(operator, key, expected, request.context)
            for operator, block in self.conditions.items()
            for key, expected in block.items()
        )


_OPERATORS = {
    "StringEquals": lambda v, e: v == e,
    "StringNotEquals": lambda v, e: v != e,
    "StringEqualsIgnoreCase": lambda v, e: v.lower() == e.lower(),
    "StringNotEqualsIgnoreCase": lambda v, e: v.lower() != e.lower(),
    "StringLike": lambda v, e: bool(_pattern(e, ignore_case=False).match(v)),
    "StringNotLike": lambda v, e: not _pattern(e, ignore_case=False).match(v),
    "ArnEquals": lambda v, e: v == e,
    "ArnLike": lambda v, e: bool(_pattern(e, ignore_case=False).match(v)),
    "ArnNotEquals": lambda v, e: v != e,
    "ArnNotLike": lambda v, e: not _pattern(e, ignore_case=False).match(v),
    "Bool": lambda v, e: v.lower() == e.lower(),
}
_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}


def _operator(operator: str) -> tuple[str, str, bool]:
    """(set qualifier or "", base operator, IfExists) of a condition operator; PolicyError if unknown."""
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if qualifier not in ("", "ForAllValues", "ForAnyValue") or base not in _OPERATORS:
        raise PolicyError(f"condition operator {operator!r} is not evaluated by the local runtime")
    return qualifier, base, if_exists


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Sequence[str]]) -> bool:
    qualifier, base, if_exists = _operator(operator)
    values = next((list(v) for k, v in context.items() if k.lower() == key.lower()), None)
    wanted = [str(e).lower() if isinstance(e, bool) else str(e) for e in _listed(expected)]
    compare = _OPERATORS[base]
    if qualifier == "ForAllValues":  # true when the key is absent or empty, as in IAM
        return all(any(compare(v, e) for e in wanted) for v in values or [])
    if not values:  # a key the request does not carry: only IfExists and the negated operators hold
        return if_exists or (qualifier == "" and base in _NEGATED)
    if qualifier == "ForAnyValue":
        return any(compare(v, e) for v in values for e in wanted)
    if base in _NEGATED:
        return all(compare(values[0], e) for e in wanted)
    return any(compare(values[0], e) for e in wanted)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: bool = False


@dataclass(frozen=True)
class Role:
    """A function's (or state machine's) execution role, with the statements of every policy attached to it."""

    name: str
    session_name: str
    statements: tuple[Statement, ...]

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:role/{self.name}"

    @property
    def assumed_arn(self) -> str:
        return f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{self.name}/{self.session_name}"

    @cached_property
    def access_key_id(self) -> str:
        digest = hashlib.sha256(f"access:{self.name}".encode()).hexdigest().upper()
        return "ASIA" + digest[:16]

    @cached_property
    def secret_access_key(self) -> str:
        return hashlib.sha256(f"secret:{self.name}".encode()).hexdigest()[:40]

    @cached_property
    def credentials(self) -> Any:
        from botocore.credentials import Credentials

        return Credentials(self.access_key_id, self.secret_access_key, f"local-session-{self.name}")

    def decide(self, request: Request) -> Decision:
        matching = [s for s in self.statements if s.matches(request)]
        if any(s.effect == "Deny" for s in matching):
            return Decision(False, explicit_deny=True)
        return Decision(any(s.effect == "Allow" for s in matching))

    def allows(self, action: str, resource: str, context: Mapping[str, Sequence[str]] | None = None) -> bool:
        return self.decide(Request(action, resource, context or {})).allowed

    def without(self, predicate: Callable[[Statement], bool]) -> Role:
        """The same role without the statements `predicate(statement)` picks (tests take one away)."""
        kept = tuple(s for s in self.statements if not predicate(s))
        return Role(self.name, self.session_name, kept)

    def denial_message(self, request: Request, decision: Decision) -> str:
        reason = (
            "with an explicit deny in an identity-based policy"
            if decision.explicit_deny
            else f"because no identity-based policy allows the {request.action} action"
        )
        return (
            f"User: {self.assumed_arn} is not authorized to perform: {request.action} "
            f"on resource: {request.resource} {reason}"
        )


def granting(action: str) -> Callable[[Statement], bool]:
    """Picks the statements that grant `action` (for `Role.without`)."""
    return lambda statement: statement.effect == "Allow" and statement.grants_action(action)


class Roles:
    """The template's execution roles by the logical id of the function or state machine that assumes them."""

    def __init__(self, by_owner: Mapping[str, Role]) -> None:
        self.by_owner = dict(by_owner)
        self._by_key = {role.access_key_id: role for role in self.by_owner.values()}

    def __getitem__(self, owner: str) -> Role:
        return self.by_owner[owner]

    def by_access_key(self, access_key_id: str) -> Role | None:
        return self._by_key.get(access_key_id)

    def replace(self, owner: str, role: Role) -> None:
        self.by_owner[owner] = role
        self._by_key = {r.access_key_id: r for r in self.by_owner.values()}

    @classmethod
    def from_template(cls, template: Template, *, cache_dir: Path | None = None) -> Roles:
        from panelist_local.transform import transformed

        body = transformed(template.path, template.parameters, cache_dir=cache_dir, body=template.body)
        return cls.from_transformed(template, body)

    @classmethod
    def from_transformed(cls, template: Template, body: Mapping[str, Any]) -> Roles:
        deployed = Template(template.path, body, template.parameters)
        resources: Mapping[str, Any] = body["Resources"]
        attached: dict[str, list[Any]] = {}  # role logical id -> policy documents
        for spec in resources.values():
            if spec.get("Type") in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
                for role in _listed((spec.get("Properties") or {}).get("Roles")):
                    if isinstance(role, dict) and "Ref" in role:
                        attached.setdefault(role["Ref"], []).append(spec["Properties"]["PolicyDocument"])
        owners: dict[str, Role] = {}
        for logical_id, spec in resources.items():
            props = spec.get("Properties") or {}
            if spec.get("Type") == "AWS::Lambda::Function":
                role_ref = props.get("Role")
                session = deployed.physical_name(logical_id)
            elif spec.get("Type") == "AWS::StepFunctions::StateMachine":
                role_ref = props.get("RoleArn")
                session = logical_id
            else:
                continue
            if not (isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref):
                raise PolicyError(
                    f"{logical_id}: its role must be a role of the template (Fn::GetAtt), not {role_ref!r}"
                )
            role_id = role_ref["Fn::GetAtt"][0]
            role_props = resources[role_id].get("Properties") or {}
            documents = [p["PolicyDocument"] for p in role_props.get("Policies") or []]
            for arn in role_props.get("ManagedPolicyArns") or []:
                if isinstance(arn, dict) and "Ref" in arn and arn["Ref"] in resources:
                    documents.append(resources[arn["Ref"]]["Properties"]["PolicyDocument"])
                elif isinstance(arn, str) and arn in AWS_MANAGED_POLICIES:
                    documents.append({"Statement": AWS_MANAGED_POLICIES[arn]})
                else:
                    raise PolicyError(f"{role_id}: managed policy {arn!r} is not known to the local runtime")
            documents += attached.get(role_id, [])
            statements = tuple(
                Statement.parse(raw)
                for document in deployed.resolve(documents)
                for raw in _listed(document.get("Statement"))
            )
            owners[logical_id] = Role(f"panelist-local-{role_id}", session, statements)
        return cls(owners)


# ------------------------------------------------------------------ what a call asks IAM


def _dynamodb_arn(table: str) -> str:
    return table if table.startswith("arn:") else f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{table}"


def _wire_value(value: Any) -> str | None:
    """A key attribute's value, in DynamoDB's wire form ({"S": "x"}) or plain."""
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    return value if isinstance(value, str | int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class KeySchemas:
    """The partition key attribute of each table and index, for `dynamodb:LeadingKeys`."""

    tables: Mapping[str, str] = field(default_factory=dict)  # table name -> partition attribute
    indexes: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (table, index) -> partition attribute

    @classmethod
    def from_template(cls, template: Template) -> KeySchemas:
        tables: dict[str, str] = {}
        indexes: dict[tuple[str, str], str] = {}
        for resource in template.of_type("AWS::DynamoDB::Table"):
            name = template.physical_name(resource.logical_id)
            props = template.resolve(resource.properties)
            tables[name] = _hash_key(props.get("KeySchema"))
            for index in props.get("GlobalSecondaryIndexes") or []:
                indexes[(name, index["IndexName"])] = _hash_key(index.get("KeySchema"))
        return cls(tables, indexes)


def _hash_key(schema: Any) -> str:
    return next((k["AttributeName"] for k in schema or [] if k.get("KeyType") == "HASH"), "")


def _leading_key_of_item(key: Mapping[str, Any] | None, partition: str) -> list[str]:
    value = _wire_value((key or {}).get(partition)) if partition else None
    return [str(value)] if value is not None else []


def _leading_key_of_query(params: Mapping[str, Any], partition: str) -> list[str]:
    expression = str(params.get("KeyConditionExpression") or "")
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    for name, placeholder in re.findall(r"(#?[\w.]+)\s*=\s*(:\w+)", expression):
        if names.get(name, name) == partition and placeholder in values:
            value = _wire_value(values[placeholder])
            return [str(value)] if value is not None else []
    return []


_DYNAMODB_ITEM_CALLS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _dynamodb(operation: str, params: Mapping[str, Any], keys: KeySchemas) -> list[Request]:
    def item(action: str, table: str, key: Mapping[str, Any] | None) -> Request:
        leading = _leading_key_of_item(key, keys.tables.get(table, ""))
        return Request(f"dynamodb:{action}", _dynamodb_arn(table), {"dynamodb:LeadingKeys": leading})

    if operation in _DYNAMODB_ITEM_CALLS:
        key = params.get("Key")
        if operation == "PutItem":
            key = params.get("Item")
        return [item(operation, params["TableName"], key)]
    if operation == "TransactWriteItems":
        requests = []
        for entry in params.get("TransactItems") or []:
            ((kind, op),) = entry.items()
            requests.append(
                item(_TRANSACT_ACTIONS[kind], op["TableName"], op.get("Item") if kind == "Put" else op.get("Key"))
            )
        return requests
    if operation == "TransactGetItems":
        return [item("GetItem", e["Get"]["TableName"], e["Get"].get("Key")) for e in params.get("TransactItems") or []]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Request(f"dynamodb:{operation}", _dynamodb_arn(t)) for t in params.get("RequestItems") or {}]
    if operation in ("Query", "Scan"):
        table = params["TableName"]
        index = params.get("IndexName")
        resource = _dynamodb_arn(table) + (f"/index/{index}" if index else "")
        context: dict[str, list[str]] = {}
        if operation == "Query":
            partition = keys.indexes.get((table, index), "") if index else keys.tables.get(table, "")
            context["dynamodb:LeadingKeys"] = _leading_key_of_query(params, partition)
        return [Request(f"dynamodb:{operation}", resource, context)]
    table = params.get("TableName")
    return [Request(f"dynamodb:{operation}", _dynamodb_arn(table) if table else "*")]


_S3_OBJECT_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "DeleteObject": "s3:DeleteObject",
    "PutObjectAcl": "s3:PutObjectAcl",
    "GetObjectAcl": "s3:GetObjectAcl",
    "GetObjectTagging": "s3:GetObjectTagging",
    "PutObjectTagging": "s3:PutObjectTagging",
}
_S3_VERSIONED = {"s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion"}
_S3_BUCKET_ACTIONS = {
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "GetBucketLocation": "s3:GetBucketLocation",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketVersioning": "s3:PutBucketVersioning",
    "GetBucketVersioning": "s3:GetBucketVersioning",
}


def _s3_object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _s3(operation: str, params: Mapping[str, Any]) -> list[Request]:
    bucket = params.get("Bucket", "")
    if operation in _S3_OBJECT_ACTIONS:
        action = _S3_OBJECT_ACTIONS[operation]
        if params.get("VersionId"):
            action = _S3_VERSIONED.get(action, action)
        return [Request(action, _s3_object(bucket, params["Key"]))]
    if operation == "CopyObject":
        source = params["CopySource"]
        if isinstance(source, str):
            source_bucket, _, source_key = unquote(source.lstrip("/")).partition("/")
            source_key = source_key.split("?versionId=")[0]
        else:
            source_bucket, source_key = source["Bucket"], source["Key"]
        return [
            Request("s3:GetObject", _s3_object(source_bucket, source_key)),
            Request("s3:PutObject", _s3_object(bucket, params["Key"])),
        ]
    if operation == "DeleteObjects":
        objects = (params.get("Delete") or {}).get("Objects") or []
        return [
            Request("s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject", _s3_object(bucket, o["Key"]))
            for o in objects
        ]
    if operation in _S3_BUCKET_ACTIONS:
        context = {"s3:prefix": [str(params.get("Prefix") or "")]} if operation.startswith("ListObject") else {}
        return [Request(_S3_BUCKET_ACTIONS[operation], f"arn:aws:s3:::{bucket}", context)]
    if operation == "ListBuckets":
        return [Request("s3:ListAllMyBuckets", "*")]
    return [Request(f"s3:{operation}", f"arn:aws:s3:::{bucket}" if bucket else "*")]


_SQS_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def queue_arn(queue_url_or_name: str) -> str:
    if queue_url_or_name.startswith("arn:"):
        return queue_url_or_name
    parts = urlparse(queue_url_or_name).path.strip("/").split("/")
    account, name = (parts[-2], parts[-1]) if len(parts) >= 2 else (ACCOUNT_ID, parts[-1])
    return f"arn:aws:sqs:{REGION}:{account}:{name}"


def _sqs(operation: str, params: Mapping[str, Any]) -> list[Request]:
    action = f"sqs:{_SQS_ACTIONS.get(operation, operation)}"
    if "QueueUrl" in params:
        return [Request(action, queue_arn(params["QueueUrl"]))]
    if "QueueName" in params:
        return [Request(action, queue_arn(params["QueueName"]))]
    return [Request(action, "*")]


def _ses(operation: str, params: Mapping[str, Any]) -> list[Request]:
    source = params.get("Source") or params.get("FromEmailAddress") or ""
    address = parseaddr(source)[1] or source
    context = {"ses:FromAddress": [address]} if address else {}
    resource = f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:identity/{address}" if address else "*"
    return [Request(f"ses:{operation}", resource, context)]


def _secretsmanager(
    operation: str, params: Mapping[str, Any], secrets: Mapping[str, str], rotation: Mapping[str, str]
) -> list[Request]:
    secret_id = params.get("SecretId")
    if not secret_id:
        return [Request(f"secretsmanager:{operation}", "*")]
    arn = secrets.get(secret_id, secret_id)
    if not arn.startswith("arn:"):
        arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{secret_id}-??????"
    context = {"secretsmanager:SecretId": [arn]}
    if arn in rotation:  # a property of the secret that rotation policies test
        context["secretsmanager:resource/AllowRotationLambdaArn"] = [rotation[arn]]
    return [Request(f"secretsmanager:{operation}", arn, context)]


def _states(operation: str, params: Mapping[str, Any]) -> list[Request]:
    resource = params.get("stateMachineArn") or params.get("executionArn") or "*"
    return [Request(f"states:{operation}", resource)]


def _model_arn(model_id: str) -> str:
    if model_id.startswith("arn:"):
        return model_id
    if re.match(r"^(us|eu|apac|global|us-gov|jp|au|ca)\.", model_id):
        return f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:inference-profile/{model_id}"
    return f"arn:aws:bedrock:{REGION}::foundation-model/{model_id}"


def _bedrock_runtime(operation: str, params: Mapping[str, Any]) -> list[Request]:
    streaming = operation in ("ConverseStream", "InvokeModelWithResponseStream")
    action = "bedrock:InvokeModelWithResponseStream" if streaming else "bedrock:InvokeModel"
    return [Request(action, _model_arn(str(params.get("modelId", ""))))]


def _lambda(operation: str, params: Mapping[str, Any]) -> list[Request]:
    name = str(params.get("FunctionName", ""))
    arn = name if name.startswith("arn:") else f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
    action = "lambda:InvokeFunction" if operation == "Invoke" else f"lambda:{operation}"
    return [Request(action, arn if name else "*")]


def _transcribe(operation: str, params: Mapping[str, Any]) -> list[Request]:
    """Amazon Transcribe's job actions on the job's ARN; starting a job reads its media and writes its output
    with the caller's permissions (s3:GetObject, s3:PutObject), as the service does."""
    name = str(params.get("TranscriptionJobName") or "")
    resource = f"arn:aws:transcribe:{REGION}:{ACCOUNT_ID}:transcription-job/{name}" if name else "*"
    requests = [Request(f"transcribe:{operation}", resource)]
    if operation == "StartTranscriptionJob":
        media = str((params.get("Media") or {}).get("MediaFileUri") or "")
        if media.startswith("s3://"):
            bucket, _, key = media.removeprefix("s3://").partition("/")
            requests.append(Request("s3:GetObject", _s3_object(bucket, key)))
        if params.get("OutputBucketName"):
            output = str(params.get("OutputKey") or f"{name}.json")
            requests.append(Request("s3:PutObject", _s3_object(str(params["OutputBucketName"]), output)))
    return requests


@dataclass
class Authorizer:
    """Turns a boto3 call into the IAM requests the service makes of it."""

    keys: KeySchemas = field(default_factory=KeySchemas)
    secrets: Mapping[str, str] = field(default_factory=dict)  # secret name -> ARN, for calls that name a secret
    rotation: Mapping[str, str] = field(default_factory=dict)  # secret ARN -> its rotation function's ARN

    @classmethod
    def for_stack(cls, template: Template, secret_arns: Mapping[str, str]) -> Authorizer:
        """For the template's resources as provisioned (`secret_arns`: logical id -> ARN)."""
        names = {template.physical_name(logical_id): arn for logical_id, arn in secret_arns.items()}
        rotation = {}
        for schedule in template.of_type("AWS::SecretsManager::RotationSchedule"):
            props = template.resolve(schedule.properties)
            secret = str(props.get("SecretId", ""))
            if props.get("RotationLambdaARN"):
                rotation[names.get(secret, secret)] = str(props["RotationLambdaARN"])
        return cls(KeySchemas.from_template(template), names, rotation)

    def requests(self, service: str, operation: str, params: Mapping[str, Any]) -> list[Request]:
        if service == "dynamodb":
            return _dynamodb(operation, params, self.keys)
        if service == "s3":
            return _s3(operation, params)
        if service == "sqs":
            return _sqs(operation, params)
        if service in ("ses", "sesv2"):
            return _ses(operation, params)
        if service == "secretsmanager":
            return _secretsmanager(operation, params, self.secrets, self.rotation)
        if service == "stepfunctions":
            return _states(operation, params)
        if service == "bedrock-runtime":
            return _bedrock_runtime(operation, params)
        if service == "lambda":
            return _lambda(operation, params)
        if service == "transcribe":
            return _transcribe(operation, params)
        return [Request(f"{service}:{operation}", "*")]


# ------------------------------------------------------------------ enforcement


_acting: contextvars.ContextVar[Role | None] = contextvars.ContextVar("panelist_iam_role", default=None)


def current_role() -> Role | None:
    return _acting.get()


@contextmanager
def acting_as(role: Role | None) -> Iterator[None]:
    """Calls made in this block (and in threads started with a copy of this context) are `role`'s."""
    token = _acting.set(role)
    try:
        yield
    finally:
        _acting.reset(token)


@dataclass
class Enforcement:
    roles: Roles
    authorizer: Authorizer


_installed: list[Enforcement] = []  # the last one installed applies; a test may install over a running runtime


def _iam_service(model: Any) -> str:
    return str(model.service_model.service_name)


def _denial(service: str, operation: str, role: Role, request: Request, decision: Decision) -> Exception:
    from botocore.exceptions import ClientError

    code, status = _DENIAL_CODES.get(service.split("-")[0], ("AccessDeniedException", 403))
    message = role.denial_message(request, decision)
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


def authorize_call(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raise the service's AccessDenied error if the acting role may not make this call."""
    role = _acting.get()
    enforcement = enforced()
    if role is None or enforcement is None or (service, operation) in _UNAUTHORIZED_CALLS:
        return
    for request in enforcement.authorizer.requests(service, operation, params):
        decision = role.decide(request)
        if not decision.allowed:
            raise _denial(service, operation, role, request, decision)


def _before_parameter_build(
    params: Mapping[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any
) -> None:
    context = context if context is not None else {}
    if context.get("is_presign_request"):
        return  # a presigned URL is authorized when it is used (presigned.py), as S3 does
    context["panelist_object"] = (params.get("Bucket"), params.get("Key"))
    authorize_call(_iam_service(model), model.name, params)


def _before_sign(request: Any, **_: Any) -> None:
    role = _acting.get()
    if role is not None and _installed:
        request.context.setdefault("signing", {})["request_credentials"] = role.credentials


def _after_call(http_response: Any, parsed: dict[str, Any], model: Any, context: Mapping[str, Any], **_: Any) -> None:
    """S3 answers 403, not 404, for a missing key when the caller may not list it."""
    role = _acting.get()
    if role is None or not _installed or http_response.status_code != 404:
        return
    if _iam_service(model) != "s3" or model.name not in ("GetObject", "HeadObject"):
        return
    bucket, key = context.get("panelist_object") or (None, None)
    # S3 asks whether the caller could have listed that key: s3:ListBucket with the key as s3:prefix.
    listing = Request("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": [str(key or "")]})
    decision = role.decide(listing)
    if bucket and not decision.allowed:
        message = f"Access Denied (the object does not exist, and {role.denial_message(listing, decision)})"
        parsed["Error"] = {"Code": "AccessDenied", "Message": message}
        parsed.setdefault("ResponseMetadata", {})["HTTPStatusCode"] = 403


_HANDLERS = (
    ("before-parameter-build", _before_parameter_build),
    ("before-sign", _before_sign),
    ("after-call", _after_call),
)


def _cache_per_role() -> None:
    """Powertools' parameter cache keyed by role too: on AWS each function has its own process, so a secret
    one function read is never served from memory to another that may not read it."""
    from aws_lambda_powertools.utilities.parameters.base import BaseProvider

    build = BaseProvider._build_cache_key
    if getattr(build, "panelist_per_role", False):
        return

    def per_role(self: Any, name: str, transform: Any = None, is_nested: bool = False) -> tuple[Any, ...]:
        role = _acting.get()
        return (role.name if role else None, *build(self, name=name, transform=transform, is_nested=is_nested))

    per_role.panelist_per_role = True  # type: ignore[attr-defined]
    BaseProvider._build_cache_key = per_role  # type: ignore[method-assign]


def install(roles: Roles, authorizer: Authorizer) -> Enforcement:
    """Enforce `roles` on every boto3 client of this process, those made before and after this call, until
    `uninstall` is given what this returns."""
    import boto3
    from botocore import handlers

    enforcement = Enforcement(roles, authorizer)
    _installed.append(enforcement)
    _cache_per_role()
    for spec in _HANDLERS:
        if spec not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(spec)  # sessions created from now on
    default = boto3.DEFAULT_SESSION
    if default is not None:
        _register(default._session.get_component("event_emitter"))
    return enforcement


def _register(emitter: Any) -> None:
    for event, handler in _HANDLERS:
        emitter.register(event, handler, unique_id=f"panelist-iam-{event}")


def uninstall(enforcement: Enforcement) -> None:
    """Stop enforcing what `install` returned (the handlers stay registered and do nothing without one)."""
    if enforcement in _installed:
        _installed.remove(enforcement)


def enforced() -> Enforcement | None:
    return _installed[-1] if _installed else None


def role_with_access_key(access_key_id: str) -> Role | None:
    """The role whose access key this is, in any enforcement installed (presigned URLs outlive a test's)."""
    return next(
        (role for e in reversed(_installed) if (role := e.roles.by_access_key(access_key_id)) is not None), None
    )


# ------------------------------------------------------------------ what AWS checks when the stack is created


def wiring_problems(template: Template, roles: Roles) -> list[str]:
    """What AWS refuses before any request: an event source mapping whose role cannot poll its queue, a state
    machine whose role cannot invoke its tasks' functions."""
    problems = []
    for source in template.sqs_sources:
        arn = template.resolve({"Fn::GetAtt": [source.queue, "Arn"]})
        role = roles[source.function]
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
            if not role.allows(action, arn):
                problems.append(f"{source.function}: its role may not {action} on {arn} (its SQS event source)")
    for machine in template.state_machines:
        role = roles.by_owner.get(machine.logical_id)
        if role is None:
            continue
        for arn in _task_functions(machine.definition):
            if not role.allows("lambda:InvokeFunction", arn):
                problems.append(f"{machine.logical_id}: its role may not lambda:InvokeFunction on {arn}")
    return problems


def _task_functions(definition: str) -> Iterable[str]:
    import json

    def walk(states: Mapping[str, Any]) -> Iterator[str]:
        for state in states.values():
            resource = state.get("Resource", "")
            if resource.startswith("arn:aws:lambda:"):
                yield resource
            elif resource.startswith("arn:aws:states:::lambda:invoke"):
                yield str((state.get("Parameters") or {}).get("FunctionName", ""))
            for branch in state.get("Branches") or []:
                yield from walk(branch.get("States") or {})
            for key in ("Iterator", "ItemProcessor"):
                if key in state:
                    yield from walk(state[key].get("States") or {})

    return list(walk(json.loads(definition).get("States") or {}))
