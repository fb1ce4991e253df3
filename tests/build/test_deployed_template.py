"""What a deployment of template.yaml gets, read from the template after the SAM transform (aws-sam-translator).

Least privilege (no role may Scan, BatchWriteItem, change the bucket's lifecycle or ACLs; S3 grants name their key
prefixes), the model and mail grants, operations (a log group with the retention parameter for every function,
alarms on every dead-letter queue, every function, the workflow and the API, wired to the alarm topic), retained
and unnamed state, and the sizes a new AWS account can create. tests/build/test_deployed_shape.py lints the same
transformed template and checks its route keys and state machines' ASL.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from panelist.api.auth import Principal
from panelist_local.template import Template
from panelist_local.transform import transformed

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
PARAMETERS = {"MailSender": "interviews@example.com"}
TOPIC = "arn:aws:sns:us-east-1:123456789012:panelist-alarms"
RESOURCE_BUDGET = 450  # CloudFormation refuses a template of more than 500 resources
NEW_ACCOUNT_MEMORY_MB = 3008  # the most a function may have in a new account (Lambda quota)
FORBIDDEN = ("dynamodb:Scan", "dynamodb:BatchWriteItem", "s3:PutLifecycleConfiguration", "s3:PutObjectAcl")
TRANSIENT = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
# Functions whose code charges or grants credits (panelist.billing.changes, then panelist.billing.alerts).
CREDIT_CHANGERS = {
    "GenerateInterviewFunction",  # the job's charge (and its refund when the workflow cannot start)
    "SubmitAnswerFunction",  # a completed session's charge
    "InterviewSessionFunction",  # a session completed past its time limit when its page is opened
    "ExportReportFunction",  # translated results
    "CreateTopupFunction",
    "StripeWebhookFunction",  # a verified Stripe payment's top-up
    "ResetMonthlyCreditsFunction",
    "GetBillingUsageFunction",  # reading the ledger writes what is queued to it first (changes.catch_up)
}
MODEL_CALLERS = {"AnalyseJobFunction", "WriteQuestionsFunction", "SubmitAnswerFunction", "AnalyseSessionFunction"}


def _deployed(parameters: Mapping[str, str]) -> Template:
    """The transformed template, with intrinsic functions resolvable as the local runtime names resources."""
    values = {**PARAMETERS, **parameters}
    source = Template.load(TEMPLATE, values)
    return Template(source.path, transformed(TEMPLATE, values), source.parameters)


@pytest.fixture(scope="module")
def deployed() -> Template:
    return _deployed({})


@pytest.fixture(scope="module")
def alarmed() -> Template:
    return _deployed({"AlarmTopicArn": TOPIC})


def _of_type(template: Template, kind: str) -> dict[str, Mapping[str, Any]]:
    return {k: v for k, v in template.body["Resources"].items() if v["Type"] == kind}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(template: Template, role: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every statement a role grants, from its inline policies and the template's managed policies, resolved."""
    props = role["Properties"]
    documents = [policy["PolicyDocument"] for policy in props.get("Policies", [])]
    for arn in props.get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and "Ref" in arn:
            documents.append(template.body["Resources"][arn["Ref"]]["Properties"]["PolicyDocument"])
    for document in documents:
        for statement in _listed(template.resolve(document)["Statement"]):
            if statement.get("Effect") == "Allow":
                yield statement


def _role_of(template: Template, function: str) -> Mapping[str, Any]:
    role = template.body["Resources"][function]["Properties"]["Role"]
    return template.body["Resources"][role["Fn::GetAtt"][0]]


def _grants(template: Template, function: str, action: str) -> list[dict[str, Any]]:
    statements = _statements(template, _role_of(template, function))
    return [s for s in statements if any(fnmatchcase(action, a) for a in _listed(s["Action"]))]


def _managed(template: Template, function: str) -> set[str]:
    arns = _role_of(template, function)["Properties"].get("ManagedPolicyArns", [])
    return {arn["Ref"] for arn in arns if isinstance(arn, dict) and "Ref" in arn}


# ------------------------------------------------------------------------------------------------ size


def test_the_stack_stays_well_under_cloudformations_resource_limit(deployed, alarmed):
    for template in (deployed, alarmed):
        count = len(template.body["Resources"])
        assert count <= RESOURCE_BUDGET, f"{count} resources: alarms or log groups per function will not fit in 500"


# ------------------------------------------------------------------------------------------------ IAM


def test_no_role_is_granted_a_forbidden_action(deployed):
    roles = _of_type(deployed, "AWS::IAM::Role")
    assert len(roles) >= len(_of_type(deployed, "AWS::Lambda::Function"))
    for name, role in roles.items():
        for statement in _statements(deployed, role):
            for action in _listed(statement["Action"]):
                bad = [f for f in FORBIDDEN if fnmatchcase(f.lower(), action.lower())]
                assert not bad, f"{name} is granted {action} ({', '.join(bad)})"


def test_s3_grants_name_their_key_prefixes(deployed):
    bucket_arn = deployed.resolve({"Fn::GetAtt": ["Bucket", "Arn"]})
    for name, role in _of_type(deployed, "AWS::IAM::Role").items():
        for statement in _statements(deployed, role):
            actions = [a for a in _listed(statement["Action"]) if a.startswith("s3:")]
            if not actions:
                continue
            for resource in _listed(statement["Resource"]):
                assert resource != "*", f"{name}: {actions} on every bucket"
                assert resource.startswith(bucket_arn), f"{name}: {actions} on {resource}"
                if resource == bucket_arn:  # listing: only under the prefixes the code lists
                    assert all(a.startswith("s3:List") for a in actions), f"{name}: {actions} on the bucket"
                    prefixes = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
                    assert prefixes, f"{name}: {actions} without an s3:prefix condition"
                    assert all(p.rstrip("*") for p in _listed(prefixes)), f"{name}: lists the whole bucket"
                else:
                    prefix = resource.removeprefix(bucket_arn + "/")
                    assert prefix.split("/")[0] not in ("", "*"), f"{name}: {actions} on {resource} (no prefix)"


def test_functions_that_change_credits_may_warn_by_mail_and_webhook_and_only_from_the_sender(deployed):
    queue = deployed.resolve({"Fn::GetAtt": ["WebhookQueue", "Arn"]})
    for function in CREDIT_CHANGERS:
        assert "CreditAlertsPolicy" in _managed(deployed, function), function
        [mail] = _grants(deployed, function, "ses:SendEmail")
        assert mail["Condition"] == {"StringEquals": {"ses:FromAddress": PARAMETERS["MailSender"]}}
        assert any(queue in _listed(s["Resource"]) for s in _grants(deployed, function, "sqs:SendMessage")), function
    body = deployed.body["Resources"]
    functions = _of_type(deployed, "AWS::Lambda::Function")
    holders = {f for f in functions if "CreditAlertsPolicy" in _managed(deployed, f)}
    assert holders == CREDIT_CHANGERS, "one managed policy, for exactly the functions that change credits"
    assert "Default" not in deployed.body.get("Parameters", {}).get("MailSender", {})
    assert body["CreditAlertsPolicy"]["Type"] == "AWS::IAM::ManagedPolicy"


@pytest.mark.parametrize(
    ("model", "profile", "foundation"),
    [
        (None, "us.anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0"),
        ("eu.amazon.nova-lite-v1:0", "eu.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0"),
        ("anthropic.claude-3-haiku-20240307-v1:0", None, "anthropic.claude-3-haiku-20240307-v1:0"),
    ],
)
def test_the_model_is_invoked_through_its_inference_profile_in_any_of_its_regions(deployed, model, profile, foundation):
    template = deployed if model is None else _deployed({"BedrockModelId": model})
    if model is None:
        assert template.parameters["BedrockModelId"] == profile, "the default is a cross-region inference profile"
    expected = [f"arn:aws:bedrock:*::foundation-model/{foundation}"]
    if profile:
        expected.insert(0, f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{profile}")
    functions = _of_type(template, "AWS::Lambda::Function")
    callers = {f for f in functions if _grants(template, f, "bedrock:InvokeModel")}
    assert callers == MODEL_CALLERS
    for function in callers:
        assert "BedrockInvokePolicy" in _managed(template, function)
        [grant] = _grants(template, function, "bedrock:InvokeModel")
        assert _listed(grant["Action"]) == ["bedrock:InvokeModel"]  # what Converse is authorized as
        assert _listed(grant["Resource"]) == expected


def test_no_role_has_more_managed_policies_than_iam_allows(deployed):
    for name, role in _of_type(deployed, "AWS::IAM::Role").items():
        assert len(role["Properties"].get("ManagedPolicyArns", [])) <= 10, name  # IAM's default quota per role


# ------------------------------------------------------------------------------------------------ operations


def test_every_function_logs_to_its_domains_group_kept_for_the_retention_parameter(deployed):
    groups = _of_type(deployed, "AWS::Logs::LogGroup")
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
    used: dict[str, list[str]] = {}
    for name, function in _of_type(deployed, "AWS::Lambda::Function").items():
        group = function["Properties"].get("LoggingConfig", {}).get("LogGroup")
        assert isinstance(group, dict), f"{name} has no log group of the stack's"
        assert group.get("Ref") in groups, f"{name} logs to {group}"
        used.setdefault(group["Ref"], []).append(name)
        assert deployed.resolve(group).startswith("/aws/lambda/"), name
    # a group per domain: the functions share them, and every domain group is used
    assert len(used) < len(_of_type(deployed, "AWS::Lambda::Function")) / 5
    assert {g for g in groups if deployed.resolve({"Ref": g}).startswith("/aws/lambda/")} == set(used)
    assert deployed.body["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_the_workflow_logs_its_errors_without_execution_data(deployed):
    for name, machine in _of_type(deployed, "AWS::StepFunctions::StateMachine").items():
        logging = machine["Properties"]["LoggingConfiguration"]
        assert (logging["Level"], logging["IncludeExecutionData"]) == ("ERROR", False), name
        group = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        assert deployed.body["Resources"][group]["Type"] == "AWS::Logs::LogGroup"


def _alarms(template: Template) -> dict[str, dict[str, Any]]:
    return {k: template.resolve(v["Properties"]) for k, v in _of_type(template, "AWS::CloudWatch::Alarm").items()}


def _metrics(alarm: Mapping[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of every metric an alarm reads."""
    if "MetricName" in alarm:
        stats = [alarm]
    else:
        stats = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    return [(m["Namespace"], m["MetricName"], {d["Name"]: d["Value"] for d in m.get("Dimensions", [])}) for m in stats]


def test_every_alarm_notifies_the_topic_and_none_without_one(deployed, alarmed):
    assert _alarms(alarmed)
    for name, alarm in _alarms(alarmed).items():
        assert alarm["AlarmActions"] == [TOPIC], name
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        assert len(alarm.get("Metrics", [])) <= 11, f"{name}: an alarm's math takes at most 10 metrics"
    for name, alarm in _alarms(deployed).items():
        assert "AlarmActions" not in alarm, name
        assert "OKActions" not in alarm, name


def test_every_dead_letter_queue_has_an_alarm_on_its_depth(alarmed):
    queues = _of_type(alarmed, "AWS::SQS::Queue")
    dead = {
        alarmed.resolve(policy["deadLetterTargetArn"]).rsplit(":", 1)[1]
        for queue in queues.values()
        if (policy := alarmed.resolve(queue["Properties"].get("RedrivePolicy")))
    }
    assert len(dead) >= 3
    watched = {
        dims["QueueName"]
        for alarm in _alarms(alarmed).values()
        for namespace, metric, dims in _metrics(alarm)
        if (namespace, metric) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    }
    assert dead <= watched, f"dead-letter queues without an alarm: {sorted(dead - watched)}"


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_is_watched_for_errors_and_throttles(alarmed, metric):
    functions = {alarmed.resolve({"Ref": f}) for f in _of_type(alarmed, "AWS::Lambda::Function")}
    watched = {
        dims["FunctionName"]
        for alarm in _alarms(alarmed).values()
        for namespace, name, dims in _metrics(alarm)
        if (namespace, name) == ("AWS/Lambda", metric)
    }
    assert functions <= watched, f"functions without a {metric} alarm: {sorted(functions - watched)}"


def test_failed_generations_and_api_5xx_have_alarms(alarmed):
    metrics = [m for alarm in _alarms(alarmed).values() for m in _metrics(alarm)]
    machine = alarmed.resolve({"Ref": "GenerateInterviewStateMachine"})
    assert ("AWS/States", "ExecutionsFailed", {"StateMachineArn": machine}) in metrics
    assert ("AWS/ApiGateway", "5xx", {"ApiId": alarmed.resolve({"Ref": "HttpApi"})}) in metrics


def test_every_task_state_retries_transient_lambda_errors(deployed):
    machines = Template(deployed.path, deployed.body, deployed.parameters).state_machines
    assert machines

    def tasks(states: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for name, state in states.items():
            if state["Type"] == "Task":
                yield name, state
            for branch in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
                if branch:
                    yield from tasks(branch["States"])

    for machine in machines:
        for name, state in tasks(json.loads(machine.definition)["States"]):
            retried = {error for retrier in state.get("Retry", []) for error in retrier["ErrorEquals"]}
            assert retried >= TRANSIENT or "States.ALL" in retried, f"{machine.logical_id}.{name}: {retried}"


# ------------------------------------------------------------------------------------------------ state


def test_state_is_retained_and_unnamed_so_the_stack_can_be_deleted_and_deployed_again(deployed):
    kept = {
        "AWS::DynamoDB::Table": "TableName",
        "AWS::S3::Bucket": "BucketName",
        "AWS::SecretsManager::Secret": "Name",
    }
    for kind, name_property in kept.items():
        resources = _of_type(deployed, kind)
        assert resources, kind
        for name, resource in resources.items():
            assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain"), name
            assert name_property not in resource["Properties"], f"{name}: a kept {name_property} blocks a redeploy"


def test_the_bucket_is_versioned_and_old_versions_expire(deployed):
    props = deployed.resolve(deployed.body["Resources"]["Bucket"]["Properties"])
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = props["LifecycleConfiguration"]["Rules"]
    everything = [r for r in rules if "Prefix" not in r and "NoncurrentVersionExpiration" in r]
    assert everything, "noncurrent versions of every object expire"
    for rule in rules:
        if "ExpirationInDays" in rule:  # what expires leaves a noncurrent version: it goes too
            assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 7, rule["Id"]


def test_unattached_uploads_expire_and_browsers_may_post_them(deployed):
    from panelist.sessions.flow import UPLOAD_PREFIX

    props = deployed.resolve(deployed.body["Resources"]["Bucket"]["Properties"])
    (rule,) = [r for r in props["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == UPLOAD_PREFIX]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] <= 2, "an upload nobody attached is kept no more than a day or two"
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 2, "the versioned bucket keeps its copy too"
    (cors,) = props["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["POST"], "presigned POSTs (browser-based uploads), nothing else"
    signers = [
        name
        for name, role in _of_type(deployed, "AWS::IAM::Role").items()
        for statement in _statements(deployed, role)
        if "s3:PutObject" in _listed(statement["Action"])
        and any(r.split("/", 1)[-1].startswith(UPLOAD_PREFIX) for r in _listed(statement["Resource"]))
    ]
    assert signers == ["CreateInterviewUploadFunctionRole"], "only the upload function signs uploads"


def test_a_new_account_can_create_every_function(deployed):
    parameter = deployed.body["Parameters"]["ExportReportMemorySize"]
    assert deployed.body["Resources"]["ExportReportFunction"]["Properties"]["MemorySize"] == {
        "Ref": "ExportReportMemorySize"
    }
    assert parameter["Default"] <= NEW_ACCOUNT_MEMORY_MB
    for name, function in _of_type(deployed, "AWS::Lambda::Function").items():
        memory = int(deployed.resolve(function["Properties"].get("MemorySize", 128)))
        assert memory <= NEW_ACCOUNT_MEMORY_MB, f"{name}: {memory} MB"


def test_the_access_log_reads_the_key_the_authorizer_sets(deployed):
    [stage] = _of_type(deployed, "AWS::ApiGatewayV2::Stage").values()
    log_format = stage["Properties"]["AccessLogSettings"]["Format"]
    authorizer_keys = set(re.findall(r"\$context\.authorizer\.([A-Za-z0-9_]+)", log_format))
    context = {field.name for field in dataclasses.fields(Principal)} | {"error"}  # panelist.api.auth.authorize
    assert authorizer_keys == {"organization_id", "error"}
    assert authorizer_keys <= context
