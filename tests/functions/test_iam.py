"""Each function runs under its own role from the deployed template: what the template does not grant fails here.

The roles come from template.yaml after the SAM transform (panelist_local.iam); `revoke` takes statements
away for one test, as if they had been left out of the template.
"""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from panelist.core import aws
from panelist.core.settings import get_settings
from panelist_local import iam


def test_a_route_without_its_table_write_is_a_500_in_the_surface_format_and_writes_nothing(
    api, tenant_a, revoke, caplog
):
    revoke("create_project", iam.granting("dynamodb:PutItem"))
    with caplog.at_level(logging.ERROR):
        reply = api("create_project", body={"name": "Engineering"}, headers=tenant_a.as_member())
    assert reply.status == 500
    assert reply.body["error"]["code"] == "INTERNAL_ERROR"
    assert "permission" in reply.body["error"]["message"]
    assert "arn:" not in json.dumps(reply.body)  # the operator's details stay in the log
    denied = [r for r in caplog.records if "denied" in r.getMessage() or "denied" in str(getattr(r, "denied", ""))]
    assert denied, "the denial is logged"
    assert "dynamodb:PutItem" in str(denied[0].__dict__.get("denied", "")) + denied[0].getMessage()
    assert api("list_projects", query={}, headers=tenant_a.as_member()).body["projects"] == []


def test_a_route_without_the_rate_limit_policy_fails_before_doing_anything(api, tenant_a, revoke):
    revoke("create_project", iam.granting("dynamodb:UpdateItem"))
    reply = api("create_project", body={"name": "Engineering"}, headers=tenant_a.as_member())
    assert reply.status == 500
    assert reply.body["error"]["code"] == "INTERNAL_ERROR"
    assert api("list_projects", query={}, headers=tenant_a.as_member()).body["projects"] == []


def test_the_same_route_works_with_its_template_policies(api, tenant_a):
    assert api("create_project", body={"name": "Engineering"}, headers=tenant_a.as_member()).status == 201


def test_the_rate_limit_policy_reaches_only_rate_items(stack, emulated):
    """RateLimitPolicy's dynamodb:LeadingKeys condition: UpdateItem on RATE# items only."""
    table = get_settings().table
    client = boto3.client("dynamodb")
    role = stack.role("list_projects")  # a read-only function: its only write is the rate-limit count
    with iam.acting_as(role):
        client.update_item(
            TableName=table,
            Key={"PK": {"S": "RATE#x"}, "SK": {"S": "w"}},
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        with pytest.raises(ClientError) as refused:
            client.update_item(
                TableName=table,
                Key={"PK": {"S": "ORG#x"}, "SK": {"S": "PROFILE"}},
                UpdateExpression="SET plan = :p",
                ExpressionAttributeValues={":p": {"S": "enterprise"}},
            )
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: {role.assumed_arn} is not authorized to perform: dynamodb:UpdateItem on resource: "
        f"arn:aws:dynamodb:us-east-1:123456789012:table/{table} because no identity-based policy allows "
        "the dynamodb:UpdateItem action"
    )
    assert client.get_item(TableName=table, Key={"PK": {"S": "ORG#x"}, "SK": {"S": "PROFILE"}}).get("Item") is None


def test_a_transaction_is_authorized_item_by_item_and_refused_whole(stack, emulated):
    table = get_settings().table
    client = boto3.client("dynamodb")
    with iam.acting_as(stack.role("list_projects")), pytest.raises(ClientError) as refused:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"PK": {"S": "RATE#t"}, "SK": {"S": "w"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {"PK": {"S": "RATE#t"}, "SK": {"S": "other"}}}},
            ]
        )
    assert "dynamodb:PutItem" in refused.value.response["Error"]["Message"]
    assert "Item" not in client.get_item(TableName=table, Key={"PK": {"S": "RATE#t"}, "SK": {"S": "w"}})


def test_a_query_on_an_index_is_checked_against_the_index(stack, emulated, revoke):
    table = get_settings().table
    client = boto3.client("dynamodb")
    query = {
        "TableName": table,
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "none"}},
    }
    with iam.acting_as(stack.role("list_projects")):
        client.query(**query)
    revoke("list_projects", lambda s: any(r.endswith("/index/*") for r in s.resources))
    with iam.acting_as(stack.role("list_projects")), pytest.raises(ClientError) as refused:
        client.query(**query)
    assert f"table/{table}/index/GSI1" in refused.value.response["Error"]["Message"]


def test_mail_only_from_the_configured_sender(stack, emulated):
    ses = boto3.client("ses")
    message = {
        "Destination": {"ToAddresses": ["a@example.com"]},
        "Message": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
    }
    ses.verify_email_identity(EmailAddress="someone@else.example")
    with iam.acting_as(stack.role("send_invite_mails")):
        ses.send_email(Source=f"Panelist <{get_settings().mail_sender}>", **message)
        with pytest.raises(ClientError) as refused:
            ses.send_email(Source="someone@else.example", **message)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_a_function_without_s3_list_sees_a_missing_object_as_403(stack, emulated):
    s3 = aws.client("s3")
    with iam.acting_as(stack.role("attach_resume")), pytest.raises(ClientError) as refused:
        s3.head_object(Bucket=get_settings().bucket, Key="uploads/none/none/resume-missing.pdf")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_calls_are_signed_with_the_function_role_keys(stack, emulated):
    s3 = aws.client("s3")
    role = stack.role("get_session_audio")
    with iam.acting_as(role):
        url = s3.generate_presigned_url("get_object", Params={"Bucket": get_settings().bucket, "Key": "orgs/x/a.webm"})
    assert f"X-Amz-Credential={role.access_key_id}%2F" in url


def test_the_template_wiring_passes_what_aws_checks_at_deploy(stack):
    assert iam.wiring_problems(stack.template, stack.roles) == []


def test_an_event_source_whose_role_cannot_poll_is_refused(stack):
    roles = iam.Roles(dict(stack.roles.by_owner))
    roles.replace(
        "DeliverWebhooksFunction", roles["DeliverWebhooksFunction"].without(iam.granting("sqs:ReceiveMessage"))
    )
    problems = iam.wiring_problems(stack.template, roles)
    assert any(p.startswith("DeliverWebhooksFunction: its role may not sqs:ReceiveMessage") for p in problems)


def test_a_state_machine_whose_role_cannot_invoke_a_task_is_refused(stack):
    roles = iam.Roles(dict(stack.roles.by_owner))
    machine = stack.template.state_machines[0].logical_id
    roles.replace(machine, roles[machine].without(lambda s: "AnalyseJob" in " ".join(s.resources)))
    problems = iam.wiring_problems(stack.template, roles)
    assert any("lambda:InvokeFunction" in p and "AnalyseJob" in p for p in problems)


def test_only_the_authorizer_may_read_the_platform_admin_key(stack, emulated):
    from panelist.api import auth
    from tests.functions.harness import PLATFORM_ADMIN_KEY

    with iam.acting_as(stack.role("authorizer")):
        assert auth.platform_admin_key() == PLATFORM_ADMIN_KEY
    readers = [
        logical_id
        for logical_id, role in stack.roles.by_owner.items()
        if role.allows("secretsmanager:GetSecretValue", stack.provisioned.secrets["AdminKeySecret"])
    ]
    assert readers == ["AuthorizerFunction"]
    with iam.acting_as(stack.role("share_report")), pytest.raises(GetParameterError, match="AccessDeniedException"):
        auth.platform_admin_key()  # not from the authorizer's cache either: each function has its own process


def test_a_secret_the_role_may_not_read_is_a_500_in_the_surface_format(api, tenant_a, revoke):
    revoke("create_access_token", iam.granting("secretsmanager:GetSecretValue"))
    reply = api("create_access_token", body={"expires_in": 600}, headers=tenant_a.as_member())
    assert reply.status == 500
    assert "permission" in json.dumps(reply.body)
    assert "access_token" not in reply.body
