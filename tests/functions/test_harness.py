"""The emulated stack the function tests share: each test starts from it as provisioned."""

import boto3
from moto import mock_aws

from panelist.core.settings import get_settings
from panelist_local.emulator import SENDER, sent_mail

SECRET = "Secret"


def _leave_data_everywhere(stack) -> None:
    settings = get_settings()
    boto3.client("dynamodb").put_item(TableName=settings.table, Item={"PK": {"S": "left"}, "SK": {"S": "over"}})
    boto3.client("s3").put_object(Bucket=settings.bucket, Key="left/over", Body=b"x")
    for url in stack.provisioned.queues.values():
        fifo = url.endswith(".fifo")
        extra = {"MessageGroupId": "g", "MessageDeduplicationId": "d"} if fifo else {}
        boto3.client("sqs").send_message(QueueUrl=url, MessageBody="left over", **extra)
    for arn in stack.provisioned.state_machines.values():
        boto3.client("stepfunctions").start_execution(stateMachineArn=arn, input="{}")
    boto3.client("ses").send_email(
        Source=SENDER,
        Destination={"ToAddresses": ["a@example.com"]},
        Message={"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}},
    )
    boto3.client("secretsmanager").put_secret_value(SecretId=SECRET, SecretString='{"ip_hash_key": "k"}')


def _assert_as_provisioned(stack) -> None:
    settings = get_settings()
    assert boto3.client("dynamodb").scan(TableName=settings.table)["Items"] == []
    assert boto3.client("s3").list_objects_v2(Bucket=settings.bucket)["KeyCount"] == 0
    for url in stack.provisioned.queues.values():
        attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0", url
    for arn in stack.provisioned.state_machines.values():
        assert boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"] == []
    assert sent_mail() == []
    versions = boto3.client("secretsmanager").list_secret_version_ids(SecretId=SECRET)["Versions"]
    value = boto3.client("secretsmanager").get_secret_value(SecretId=SECRET, VersionStage="AWSCURRENT")
    assert (len(versions), value["SecretString"]) == (1, stack.secret_values["Secret"])


def test_each_test_starts_from_the_stack_as_provisioned(stack):
    with stack.running():
        _leave_data_everywhere(stack)
    with stack.running():
        _assert_as_provisioned(stack)


def test_a_test_that_resets_moto_takes_the_stack_which_is_then_provisioned_again(stack):
    with stack.running():
        pass
    with mock_aws():
        pass  # as tests elsewhere do: moto starts from nothing and ends with nothing
    with stack.running():
        _assert_as_provisioned(stack)


def test_workflow_tests_get_the_functions_and_a_state_machine_that_runs(stack):
    with stack.running(workflows=True):
        functions = boto3.client("lambda").list_functions()["Functions"]
        assert {f["FunctionName"] for f in functions} == {fn.name for fn in stack.template.functions.values()}
    with stack.running():
        assert boto3.client("lambda").list_functions()["Functions"] == []  # other tests have no functions
