"""IAM policy evaluation as AWS documents it, on statements written here (no emulator)."""

from __future__ import annotations

import pytest

from panelist_local import iam
from panelist_local.iam import Authorizer, KeySchemas, PolicyError, Request, Role, Statement

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/t"


def role(*statements: dict) -> Role:
    return Role("r", "f", tuple(Statement.parse(s) for s in statements))


def test_no_statement_means_implicit_deny():
    assert not role().allows("dynamodb:GetItem", TABLE)


def test_actions_are_case_insensitive_and_take_wildcards():
    r = role({"Effect": "Allow", "Action": "SQS:SendMessage*", "Resource": "*"})
    assert r.allows("sqs:SendMessage", "q")
    assert r.allows("sqs:sendmessagebatch", "q")
    assert not r.allows("sqs:ReceiveMessage", "q")


def test_resources_match_with_wildcards_across_slashes_and_are_case_sensitive():
    r = role({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/orgs/*"})
    assert r.allows("s3:GetObject", "arn:aws:s3:::b/orgs/o1/c/a.webm")
    assert not r.allows("s3:GetObject", "arn:aws:s3:::b/reports/x.pdf")
    assert not r.allows("s3:GetObject", "arn:aws:s3:::b/ORGS/o1")


def test_an_explicit_deny_wins_over_any_allow():
    r = role(
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "dynamodb:Scan", "Resource": "*"},
    )
    decision = r.decide(Request("dynamodb:Scan", TABLE))
    assert not decision.allowed
    assert decision.explicit_deny
    assert "with an explicit deny" in r.denial_message(Request("dynamodb:Scan", TABLE), decision)
    assert r.allows("dynamodb:Query", TABLE)


def test_not_action_and_not_resource():
    r = role({"Effect": "Allow", "NotAction": "dynamodb:Scan", "NotResource": "arn:aws:s3:::secret/*"})
    assert r.allows("dynamodb:Query", TABLE)
    assert not r.allows("dynamodb:Scan", TABLE)
    assert not r.allows("s3:GetObject", "arn:aws:s3:::secret/x")


def test_for_all_values_holds_for_every_value_and_for_none():
    r = role(
        {
            "Effect": "Allow",
            "Action": "dynamodb:UpdateItem",
            "Resource": TABLE,
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["RATE#*"]}},
        }
    )
    assert r.allows("dynamodb:UpdateItem", TABLE, {"dynamodb:LeadingKeys": ["RATE#a"]})
    assert not r.allows("dynamodb:UpdateItem", TABLE, {"dynamodb:LeadingKeys": ["RATE#a", "ORG#b"]})
    assert r.allows("dynamodb:UpdateItem", TABLE, {})  # IAM's documented pitfall: an absent key passes


def test_single_valued_conditions_need_the_key_unless_if_exists_or_negated():
    equals = role(
        {
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": "*",
            "Condition": {"StringEquals": {"ses:FromAddress": "a@x"}},
        }
    )
    assert equals.allows("ses:SendEmail", "*", {"ses:FromAddress": ["a@x"]})
    assert not equals.allows("ses:SendEmail", "*", {"ses:FromAddress": ["b@x"]})
    assert not equals.allows("ses:SendEmail", "*", {})
    if_exists = role(
        {
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": "*",
            "Condition": {"StringEqualsIfExists": {"ses:FromAddress": "a@x"}},
        }
    )
    assert if_exists.allows("ses:SendEmail", "*", {})
    negated = role(
        {
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"ses:FromAddress": "a@x"}},
        }
    )
    assert negated.allows("ses:SendEmail", "*", {})
    assert not negated.allows("ses:SendEmail", "*", {"ses:FromAddress": ["a@x"]})


def test_condition_key_names_are_case_insensitive_and_bool_compares_text():
    r = role(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": True}}}
    )
    assert r.allows("s3:GetObject", "x", {"AWS:securetransport": ["true"]})
    assert not r.allows("s3:GetObject", "x", {"aws:SecureTransport": ["false"]})


def test_an_operator_the_runtime_cannot_evaluate_is_refused_when_the_policy_is_read():
    with pytest.raises(PolicyError, match="NumericLessThan"):
        Statement.parse({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"k": 1}}})
    with pytest.raises(PolicyError, match="Principal"):
        Statement.parse({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})


# ------------------------------------------------------------------ calls -> IAM requests

KEYS = KeySchemas(tables={"t": "PK"}, indexes={("t", "GSI1"): "GSI1PK"})


def requests(service: str, operation: str, params: dict) -> list[Request]:
    return Authorizer(KEYS, {"keys": "arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf"}).requests(
        service, operation, params
    )


def test_transact_write_items_is_one_action_per_item():
    found = requests(
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "t", "Item": {"PK": {"S": "ORG#1"}, "SK": {"S": "A"}}}},
                {"Update": {"TableName": "t", "Key": {"PK": {"S": "RATE#1"}, "SK": {"S": "B"}}}},
                {"Delete": {"TableName": "t", "Key": {"PK": {"S": "X"}, "SK": {"S": "C"}}}},
                {"ConditionCheck": {"TableName": "t", "Key": {"PK": {"S": "Y"}, "SK": {"S": "D"}}}},
            ]
        },
    )
    assert [(r.action, r.resource, list(r.context["dynamodb:LeadingKeys"])) for r in found] == [
        ("dynamodb:PutItem", TABLE, ["ORG#1"]),
        ("dynamodb:UpdateItem", TABLE, ["RATE#1"]),
        ("dynamodb:DeleteItem", TABLE, ["X"]),
        ("dynamodb:ConditionCheckItem", TABLE, ["Y"]),
    ]


def test_a_query_names_its_index_and_its_partition_value():
    (found,) = requests(
        "dynamodb",
        "Query",
        {
            "TableName": "t",
            "IndexName": "GSI1",
            "KeyConditionExpression": "#p = :p AND begins_with(GSI1SK, :s)",
            "ExpressionAttributeNames": {"#p": "GSI1PK"},
            "ExpressionAttributeValues": {":p": {"S": "ORG#1#CAMPAIGNS"}, ":s": {"S": "2026"}},
        },
    )
    assert found.resource == TABLE + "/index/GSI1"
    assert list(found.context["dynamodb:LeadingKeys"]) == ["ORG#1#CAMPAIGNS"]


def test_s3_calls_map_to_the_actions_s3_checks():
    assert [(r.action, r.resource) for r in requests("s3", "HeadObject", {"Bucket": "b", "Key": "k"})] == [
        ("s3:GetObject", "arn:aws:s3:::b/k")
    ]
    assert requests("s3", "DeleteObject", {"Bucket": "b", "Key": "k", "VersionId": "v"})[0].action == (
        "s3:DeleteObjectVersion"
    )
    listed = requests("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "orgs/1/"})[0]
    assert (listed.action, listed.resource, list(listed.context["s3:prefix"])) == (
        "s3:ListBucket",
        "arn:aws:s3:::b",
        ["orgs/1/"],
    )
    deleted = requests("s3", "DeleteObjects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "a"}, {"Key": "c"}]}})
    assert [r.resource for r in deleted] == ["arn:aws:s3:::b/a", "arn:aws:s3:::b/c"]
    copied = requests("s3", "CopyObject", {"Bucket": "b", "Key": "to", "CopySource": {"Bucket": "src", "Key": "from"}})
    assert [(r.action, r.resource) for r in copied] == [
        ("s3:GetObject", "arn:aws:s3:::src/from"),
        ("s3:PutObject", "arn:aws:s3:::b/to"),
    ]


def test_other_services():
    (sent,) = requests("sqs", "SendMessageBatch", {"QueueUrl": "http://127.0.0.1:5000/123456789012/q.fifo"})
    assert (sent.action, sent.resource) == ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q.fifo")
    (mail,) = requests("ses", "SendEmail", {"Source": "Panelist <noreply@x.example>"})
    assert list(mail.context["ses:FromAddress"]) == ["noreply@x.example"]
    (secret,) = requests("secretsmanager", "GetSecretValue", {"SecretId": "keys"})
    assert secret.resource == "arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf"
    (profile,) = requests("bedrock-runtime", "Converse", {"modelId": "us.anthropic.claude-3-5-haiku-20241022-v1:0"})
    assert profile.action == "bedrock:InvokeModel"
    assert profile.resource.endswith(":inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0")
    (model,) = requests("bedrock-runtime", "Converse", {"modelId": "anthropic.claude-3-5-haiku-20241022-v1:0"})
    assert model.resource == "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"
    (started,) = requests(
        "stepfunctions", "StartExecution", {"stateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:m"}
    )
    assert (started.action, started.resource) == ("states:StartExecution", "arn:aws:states:us-east-1:1:stateMachine:m")


def test_nothing_is_enforced_outside_a_function():
    enforcement = iam.install(iam.Roles({}), Authorizer())
    try:
        iam.authorize_call("dynamodb", "Scan", {"TableName": "t"})  # the runtime or a test, not a function
        with iam.acting_as(role()), pytest.raises(Exception, match="not authorized to perform: dynamodb:Scan"):
            iam.authorize_call("dynamodb", "Scan", {"TableName": "t"})
    finally:
        iam.uninstall(enforcement)
    with iam.acting_as(role()):
        iam.authorize_call("dynamodb", "Scan", {"TableName": "t"})  # nothing installed: nothing enforced
