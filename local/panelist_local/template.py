"""template.yaml as the local runtime sees it: functions, routes, event sources and resolved values.

Intrinsic functions resolve to the names and ARNs the resources get in the emulator (account
123456789012, region us-east-1); a resource without an explicit name is named after its logical id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml

from panelist_local import route_keys

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
URL_SUFFIX = "amazonaws.com"
STACK_NAME = "panelist-local"
API_ID = "local"
# MailSender: the sender the emulator verifies in SES.
LOCAL_PARAMETERS = {
    "Stage": "local",
    "AiProvider": "offline",
    "SpeechEngine": "offline",  # PocketSphinx: Amazon Transcribe's completion events never fire locally
    "MailSender": "noreply@panelist.local",
}

TABLE = "AWS::DynamoDB::Table"
BUCKET = "AWS::S3::Bucket"
SECRET = "AWS::SecretsManager::Secret"  # noqa: S105 - a resource type
QUEUE = "AWS::SQS::Queue"
FUNCTION_TYPES = ("AWS::Serverless::Function",)
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
HTTP_API = "AWS::Serverless::HttpApi"
IMPLICIT_HTTP_API = "ServerlessHttpApi"  # what SAM calls the API of HttpApi events without ApiId
HANDLED_EVENT_TYPES = ("HttpApi", "SQS", "Schedule", "ScheduleV2")

_NO_VALUE: Any = object()  # AWS::NoValue: the enclosing key or list item disappears


class TemplateError(Exception):
    """The template uses something the local runtime cannot emulate, or is inconsistent."""


# ------------------------------------------------------------------ YAML


class CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that reads every CloudFormation short-form tag (`!Ref`, `!GetAtt`, `!Sub`, ...); libyaml's when
    PyYAML has it (the template is 3,000 lines: 0.7 s in pure Python, a tenth of that in C)."""


def _short_form(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _short_form)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=CfnLoader)  # noqa: S506 - a SafeLoader subclass


# ------------------------------------------------------------------ what the template declares


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    environment: Mapping[str, str]
    timeout: int
    memory_size: int

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"


@dataclass(frozen=True)
class Authorizer:
    name: str
    function: str  # logical id of the authorizer function
    simple_responses: bool
    identity_headers: tuple[str, ...] = ()
    identity_query_strings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    method: str  # upper case; ANY matches every method
    path: str  # `/items/{id}`, `/files/{proxy+}`, or `$default`
    function: str
    event: str
    authorizer: Authorizer | None

    @property
    def key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class Cors:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None
    allow_credentials: bool


@dataclass(frozen=True)
class SqsSource:
    function: str
    event: str
    queue: str  # logical id of the queue
    batch_size: int
    report_batch_item_failures: bool
    enabled: bool


@dataclass(frozen=True)
class Schedule:
    name: str
    function: str
    event: str
    kind: Literal["Schedule", "ScheduleV2"]
    expression: str | None
    input: Any  # the parsed Input, or None for the default scheduled event
    enabled: bool


@dataclass(frozen=True)
class StateMachine:
    logical_id: str
    name: str
    type: str
    definition: str  # the ASL JSON with its substitutions applied

    @property
    def arn(self) -> str:
        return f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{self.name}"


@dataclass(frozen=True)
class IgnoredEvent:
    function: str
    event: str
    type: str


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _env_string(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def secret_suffix(name: str) -> str:
    """The 6 random letters Secrets Manager appends to an ARN, derived from the name to be stable."""
    digest = hashlib.sha256(name.encode()).digest()
    return "".join(string.ascii_letters[b % 52] for b in digest[:6])


@dataclass
class Template:
    path: Path
    body: Mapping[str, Any]
    parameters: Mapping[str, str]
    _conditions: dict[str, bool] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path | str, parameters: Mapping[str, str] | None = None, *, local: bool = False) -> Template:
        """Read a template; `parameters` override the declared defaults (unknown names are an error).

        `local` first applies LOCAL_PARAMETERS to the parameters the template declares.
        """
        path = Path(path).resolve()
        body = load_yaml(path.read_text())
        if not isinstance(body, dict) or not isinstance(body.get("Resources"), dict):
            raise TemplateError(f"{path} is not a CloudFormation template")
        declared: dict[str, Any] = body.get("Parameters") or {}
        unknown = set(parameters or {}) - set(declared)
        if unknown:
            raise TemplateError(f"unknown template parameters: {', '.join(sorted(unknown))}")
        overrides = {k: v for k, v in LOCAL_PARAMETERS.items() if k in declared} if local else {}
        overrides.update(parameters or {})
        values: dict[str, str] = {}
        for name, spec in declared.items():
            value = overrides.get(name, spec.get("Default"))
            if value is None:
                raise TemplateError(f"template parameter {name} has no default and no value")
            value = _env_string(value)
            allowed = spec.get("AllowedValues")
            if allowed and value not in [_env_string(v) for v in allowed]:
                raise TemplateError(f"template parameter {name}={value!r} is not one of {allowed}")
            values[name] = value
        return cls(path, body, values)

    @property
    def root(self) -> Path:
        return self.path.parent

    # -------------------------------------------------------------- resources

    @cached_property
    def resources(self) -> dict[str, Resource]:
        return {
            logical_id: Resource(logical_id, spec.get("Type", ""), spec.get("Properties") or {})
            for logical_id, spec in self.body["Resources"].items()
            if self._included(spec)
        }

    def _included(self, spec: Mapping[str, Any]) -> bool:
        return "Condition" not in spec or self.condition(spec["Condition"])

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type in types]

    def _resource(self, logical_id: str) -> Resource:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise TemplateError(f"no resource {logical_id!r} in the template") from None

    def physical_name(self, logical_id: str) -> str:
        """The name a resource gets: its name property resolved, else its logical id."""
        resource = self._resource(logical_id)
        props = resource.properties
        name_property = {
            TABLE: "TableName",
            BUCKET: "BucketName",
            SECRET: "Name",
            QUEUE: "QueueName",
            "AWS::Serverless::Function": "FunctionName",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::Serverless::StateMachine": "Name",
            "AWS::StepFunctions::StateMachine": "StateMachineName",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::Serverless::LayerVersion": "LayerName",
            "AWS::IAM::Role": "RoleName",
            "AWS::SNS::Topic": "TopicName",
        }.get(resource.type)
        if name_property and name_property in props:
            return str(self.resolve(props[name_property]))
        if resource.type == BUCKET:
            return f"{STACK_NAME}-{logical_id.lower()}"
        if resource.type == QUEUE and self.resolve(props.get("FifoQueue")) in (True, "true"):
            return f"{logical_id}.fifo"
        return logical_id

    def secret_arn(self, logical_id: str) -> str:
        name = self.physical_name(logical_id)
        return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}-{secret_suffix(name)}"

    # -------------------------------------------------------------- functions

    @cached_property
    def _function_globals(self) -> dict[str, Any]:
        return (self.body.get("Globals") or {}).get("Function") or {}

    @cached_property
    def functions(self) -> dict[str, Function]:
        functions = {}
        for resource in self.of_type(*FUNCTION_TYPES):
            props = _merge(self._function_globals, resource.properties)
            if props.get("PackageType") == "Image" or "InlineCode" in props:
                raise TemplateError(f"{resource.logical_id}: only zip functions with a CodeUri run locally")
            code_uri = self.resolve(props.get("CodeUri"))
            if not isinstance(code_uri, str):
                raise TemplateError(f"{resource.logical_id}: CodeUri must be a local folder")
            variables = self.resolve((props.get("Environment") or {}).get("Variables") or {})
            functions[resource.logical_id] = Function(
                logical_id=resource.logical_id,
                name=self.physical_name(resource.logical_id),
                code_dir=(self.root / code_uri).resolve(),
                handler=str(self.resolve(props.get("Handler", "app.handler"))),
                environment={k: _env_string(v) for k, v in variables.items()},
                timeout=int(self.resolve(props.get("Timeout", 3))),
                memory_size=int(self.resolve(props.get("MemorySize", 128))),
            )
        return functions

    def function(self, name: str) -> Function:
        """A function by logical id, physical name, ARN, or code folder name (`create_organization`)."""
        if ":function:" in name:
            name = name.split(":function:", 1)[1].split(":", 1)[0]
        for fn in self.functions.values():
            if name in (fn.logical_id, fn.name, fn.code_dir.name):
                return fn
        raise TemplateError(f"no function {name!r} in the template")

    def shared_environment(self) -> tuple[dict[str, str], list[str]]:
        """Every function's variables in one environment (one process), and the conflicts found."""
        merged: dict[str, str] = {}
        owner: dict[str, str] = {}
        conflicts = []
        for fn in self.functions.values():
            for key, value in fn.environment.items():
                if key in merged and merged[key] != value:
                    conflicts.append(f"{key} differs between {owner[key]} and {fn.logical_id}")
                    continue
                merged.setdefault(key, value)
                owner.setdefault(key, fn.logical_id)
        return merged, conflicts

    def _events(self) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
        for resource in self.of_type(*FUNCTION_TYPES):
            for key, event in (resource.properties.get("Events") or {}).items():
                yield resource.logical_id, key, event.get("Type", ""), event.get("Properties") or {}

    @cached_property
    def ignored_events(self) -> list[IgnoredEvent]:
        return [IgnoredEvent(fn, key, kind) for fn, key, kind, _ in self._events() if kind not in HANDLED_EVENT_TYPES]

    # -------------------------------------------------------------- HTTP API

    def _api_properties(self, api_id: str) -> dict[str, Any]:
        globals_ = (self.body.get("Globals") or {}).get("HttpApi") or {}
        if api_id == IMPLICIT_HTTP_API and api_id not in self.resources:
            return dict(globals_)
        resource = self._resource(api_id)
        if resource.type != HTTP_API:
            raise TemplateError(f"{api_id} is not an AWS::Serverless::HttpApi")
        return _merge(globals_, resource.properties)

    def _authorizer(self, api_id: str, name: str) -> Authorizer:
        spec = ((self._api_properties(api_id).get("Auth") or {}).get("Authorizers") or {}).get(name)
        if spec is None:
            raise TemplateError(f"{api_id} has no authorizer {name!r}")
        arn = spec.get("FunctionArn")
        if arn is None:
            raise TemplateError(f"authorizer {name}: only Lambda authorizers are emulated")
        if isinstance(arn, dict) and "Fn::GetAtt" in arn:
            function = arn["Fn::GetAtt"][0]
        else:
            function = self.function(str(self.resolve(arn))).logical_id
        if str(spec.get("AuthorizerPayloadFormatVersion", "2.0")) != "2.0":
            raise TemplateError(f"authorizer {name}: only payload format 2.0 is emulated")
        identity = spec.get("Identity") or {}
        return Authorizer(
            name=name,
            function=function,
            simple_responses=bool(spec.get("EnableSimpleResponses", False)),
            identity_headers=tuple(h.lower() for h in identity.get("Headers", [])),
            identity_query_strings=tuple(identity.get("QueryStrings", [])),
        )

    def _route_authorizer(self, api_id: str, auth: Mapping[str, Any]) -> Authorizer | None:
        name = auth.get("Authorizer") or (self._api_properties(api_id).get("Auth") or {}).get("DefaultAuthorizer")
        return None if name in (None, "NONE") else self._authorizer(api_id, name)

    @cached_property
    def all_routes(self) -> list[Route]:
        routes = []
        for fn, key, kind, props in self._events():
            if kind != "HttpApi":
                continue
            api_id = props.get("ApiId", {"Ref": IMPLICIT_HTTP_API})
            api_id = api_id["Ref"] if isinstance(api_id, dict) and "Ref" in api_id else str(api_id)
            path = str(props.get("Path", "$default"))
            method = "ANY" if path == "$default" else str(props.get("Method", "ANY")).upper()
            authorizer = self._route_authorizer(api_id, props.get("Auth") or {})
            routes.append(Route(method, path, fn, key, authorizer))
        keys = [r.key for r in routes]
        if duplicates := sorted({k for k in keys if keys.count(k) > 1}):
            raise TemplateError(f"routes declared more than once: {', '.join(duplicates)}")
        # A key HTTP API cannot hold (e.g. a path ending with `/`) is dropped by API Gateway's import, its
        # requests falling to `$default`: refused here rather than served locally as if it worked.
        if refused := [problem for key in keys for problem in route_keys.problems(key)]:
            raise TemplateError("route keys API Gateway would refuse or drop: " + "; ".join(refused))
        return routes

    @property
    def routes(self) -> list[Route]:
        return [r for r in self.all_routes if r.path != "$default"]

    @property
    def default_route(self) -> Route | None:
        return next((r for r in self.all_routes if r.path == "$default"), None)

    @property
    def default_authorizer(self) -> Authorizer | None:
        apis = [r.logical_id for r in self.of_type(HTTP_API)] or [IMPLICIT_HTTP_API]
        for api_id in apis:
            if name := (self._api_properties(api_id).get("Auth") or {}).get("DefaultAuthorizer"):
                return self._authorizer(api_id, name)
        return None

    @cached_property
    def cors(self) -> Cors | None:
        apis = [r.logical_id for r in self.of_type(HTTP_API)] or [IMPLICIT_HTTP_API]
        spec = next((c for a in apis if (c := self._api_properties(a).get("CorsConfiguration"))), None)
        if not spec:
            return None
        if spec is True:
            spec = {"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"]}
        spec = self.resolve(spec)
        return Cors(
            allow_origins=tuple(spec.get("AllowOrigins", [])),
            allow_methods=tuple(m.upper() for m in spec.get("AllowMethods", [])),
            allow_headers=tuple(h.lower() for h in spec.get("AllowHeaders", [])),
            expose_headers=tuple(h.lower() for h in spec.get("ExposeHeaders", [])),
            max_age=spec.get("MaxAge"),
            allow_credentials=bool(spec.get("AllowCredentials", False)),
        )

    def route_table(self) -> dict[str, list[str]]:
        """`{path: [methods]}` for every route but `$default` (what a 404/405 fallback needs)."""
        table: dict[str, set[str]] = {}
        for route in self.routes:
            table.setdefault(route.path, set()).add(route.method)
        return {path: sorted(methods) for path, methods in sorted(table.items())}

    # -------------------------------------------------------------- other event sources

    @cached_property
    def sqs_sources(self) -> list[SqsSource]:
        sources = []
        for fn, key, kind, props in self._events():
            if kind != "SQS":
                continue
            sources.append(
                SqsSource(
                    function=fn,
                    event=key,
                    queue=self._queue_logical_id(props.get("Queue")),
                    batch_size=int(self.resolve(props.get("BatchSize", 10))),
                    report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                    enabled=self.resolve(props.get("Enabled", True)) in (True, "true"),
                )
            )
        return sources

    def _queue_logical_id(self, queue: Any) -> str:
        if isinstance(queue, dict) and "Fn::GetAtt" in queue:
            return str(queue["Fn::GetAtt"][0])
        arn = str(self.resolve(queue))
        for resource in self.of_type(QUEUE):
            if self.physical_name(resource.logical_id) == arn.rsplit(":", 1)[-1]:
                return resource.logical_id
        raise TemplateError(f"SQS event source {arn!r} is not a queue of the template")

    @cached_property
    def schedules(self) -> list[Schedule]:
        schedules = []
        for fn, key, kind, props in self._events():
            if kind not in ("Schedule", "ScheduleV2"):
                continue
            raw_input = self.resolve(props.get("Input"))
            expression = self.resolve(props.get("Schedule" if kind == "Schedule" else "ScheduleExpression"))
            state = self.resolve(props.get("State", "ENABLED"))
            schedules.append(
                Schedule(
                    name=str(self.resolve(props["Name"])) if "Name" in props else key,
                    function=fn,
                    event=key,
                    kind=kind,  # type: ignore[arg-type]
                    expression=expression,
                    input=json.loads(raw_input) if isinstance(raw_input, str) else raw_input,
                    enabled=self.resolve(props.get("Enabled", True)) in (True, "true") and state == "ENABLED",
                )
            )
        return schedules

    def schedule(self, name: str) -> Schedule:
        """A schedule by its name, its event key, or `Function.EventKey`."""
        found = [s for s in self.schedules if name in (s.name, s.event, f"{s.function}.{s.event}")]
        if len(found) != 1:
            known = ", ".join(s.name for s in self.schedules) or "none"
            problem = "is ambiguous" if found else "does not exist"
            raise TemplateError(f"schedule {name!r} {problem} (schedules: {known})")
        return found[0]

    @cached_property
    def state_machines(self) -> list[StateMachine]:
        machines = []
        for resource in self.of_type(*STATE_MACHINE_TYPES):
            props = resource.properties
            definition = self._definition(resource)
            substitutions = self.resolve(props.get("DefinitionSubstitutions") or {})
            for key, value in substitutions.items():
                encoded = json.dumps(value if isinstance(value, str) else _env_string(value))[1:-1]
                definition = definition.replace("${" + key + "}", encoded)
            machines.append(
                StateMachine(
                    logical_id=resource.logical_id,
                    name=self.physical_name(resource.logical_id),
                    type=str(self.resolve(props.get("Type", props.get("StateMachineType", "STANDARD")))),
                    definition=definition,
                )
            )
        return machines

    def _definition(self, resource: Resource) -> str:
        props = resource.properties
        uri = props.get("DefinitionUri") or props.get("DefinitionS3Location")
        if isinstance(uri, str):
            text = (self.root / uri).read_text()
            return json.dumps(load_yaml(text) if uri.endswith((".yaml", ".yml")) else json.loads(text))
        if "Definition" in props:
            return json.dumps(self.resolve(props["Definition"]))
        if isinstance(props.get("DefinitionString"), str | dict):
            definition = self.resolve(props["DefinitionString"])
            return definition if isinstance(definition, str) else json.dumps(definition)
        raise TemplateError(f"{resource.logical_id}: the definition must be a local file or inline")

    # -------------------------------------------------------------- intrinsic functions

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.body.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"no condition {name!r} in the template")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function evaluated as the emulator's resources are named."""
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    return self._ref(arg)
                if key == "Condition" and isinstance(arg, str):
                    return self.condition(arg)
                if key.startswith("Fn::"):
                    return self._fn(key[4:], arg)
            resolved = {k: self._resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not _NO_VALUE}
        if isinstance(value, list):
            return [r for r in map(self._resolve, value) if r is not _NO_VALUE]
        return value

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::Partition": "aws",
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": _NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name == IMPLICIT_HTTP_API:
            return API_ID
        resource = self._resource(name)
        kind = resource.type
        if kind == SECRET:
            return self.secret_arn(name)
        if kind == QUEUE:
            return f"https://sqs.{REGION}.{URL_SUFFIX}/{ACCOUNT_ID}/{self.physical_name(name)}"
        if kind in STATE_MACHINE_TYPES:
            return self._get_att(name, "Arn")
        if kind == HTTP_API:
            return API_ID
        if kind == "AWS::Serverless::LayerVersion":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{self.physical_name(name)}:1"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{self.physical_name(name)}"
        return self.physical_name(name)

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        kind = self._resource(logical_id).type
        name = self.physical_name(logical_id)
        arns = {
            TABLE: f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}",
            BUCKET: f"arn:aws:s3:::{name}",
            QUEUE: f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}",
            SECRET: self.secret_arn(logical_id) if kind == SECRET else "",
            "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
            "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
            "AWS::Serverless::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}",
            "AWS::StepFunctions::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}:*",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}",
        }
        others: dict[tuple[str, str], Any] = {
            (QUEUE, "QueueName"): name,
            (SECRET, "Id"): self.secret_arn(logical_id) if kind == SECRET else "",
            (BUCKET, "DomainName"): f"{name}.s3.{URL_SUFFIX}",
            (BUCKET, "RegionalDomainName"): f"{name}.s3.{REGION}.{URL_SUFFIX}",
            (TABLE, "StreamArn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}/stream/local",
            ("AWS::Serverless::StateMachine", "Name"): name,
            ("AWS::StepFunctions::StateMachine", "Name"): name,
            (HTTP_API, "ApiId"): API_ID,
        }
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        if (kind, attribute) == (QUEUE, "QueueUrl"):
            return self._ref(logical_id)
        if (kind, attribute) in others:
            return others[(kind, attribute)]
        raise TemplateError(f"!GetAtt {logical_id}.{attribute} ({kind}) is not emulated")

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self._resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                value = self._get_att(*name.split(".", 1))
            else:
                value = self._ref(name)
            return _env_string(value)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def _fn(self, name: str, arg: Any) -> Any:
        if name == "Sub":
            return self._sub(arg)
        if name == "GetAtt":
            logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return self._get_att(logical_id, self._resolve(attribute))
        if name == "If":
            condition, when_true, when_false = arg
            return self._resolve(when_true if self.condition(condition) else when_false)
        if name in ("Equals", "Not", "And", "Or"):
            values = [self._resolve(a) for a in arg]
            if name == "Equals":
                return _env_string(values[0]) == _env_string(values[1])
            if name == "Not":
                return not values[0]
            return all(values) if name == "And" else any(values)
        resolved = self._resolve(arg)
        if name == "Join":
            return str(resolved[0]).join(_env_string(v) for v in resolved[1])
        if name == "Select":
            return resolved[1][int(resolved[0])]
        if name == "Split":
            return str(resolved[1]).split(str(resolved[0]))
        if name == "Base64":
            return base64.b64encode(str(resolved).encode()).decode()
        if name == "ToJsonString":
            return json.dumps(resolved, separators=(",", ":"))
        if name == "Length":
            return len(resolved)
        if name == "GetAZs":
            return [f"{REGION}{zone}" for zone in "abcdef"]
        if name == "FindInMap":
            return self.body["Mappings"][resolved[0]][resolved[1]][resolved[2]]
        raise TemplateError(f"Fn::{name} is not emulated")
