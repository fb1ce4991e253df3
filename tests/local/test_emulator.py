"""Provisioning from the template and the Lambda bridge, inside moto.mock_aws (as other tests use them)."""

import json

import boto3
import pytest
from moto import mock_aws

from panelist_local.emulator import MOTO_CONFIG, SENDER, LambdaBridge, provision, sent_mail
from panelist_local.handlers import Handlers
from panelist_local.template import Template
from tests.local.support import ROOT, finished


def test_the_real_template_is_provisioned_as_declared():
    template = Template.load(ROOT / "template.yaml", {"Stage": "test"}, local=True)
    declared = template.resources["Table"].properties
    with mock_aws():
        done = provision(template)
        dynamodb = boto3.client("dynamodb")
        table = dynamodb.describe_table(TableName="Table")["Table"]
        assert table["KeySchema"] == declared["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(declared["AttributeDefinitions"], key=str)
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        created = {i["IndexName"]: i["KeySchema"] for i in table["GlobalSecondaryIndexes"]}
        assert created == {i["IndexName"]: i["KeySchema"] for i in declared["GlobalSecondaryIndexes"]}
        assert len(created) == 4
        ttl = dynamodb.describe_time_to_live(TableName="Table")["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")

        bucket = "panelist-local-bucket"
        encryption = boto3.client("s3").get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

        secret = boto3.client("secretsmanager").describe_secret(SecretId="Secret")
        assert (
            secret["ARN"]
            == done.secrets["Secret"]
            == template.functions["AuthorizerFunction"].environment["PANELIST_SECRET_ID"]
        )
        value = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret["ARN"])["SecretString"])
        assert value["active_kid"] in {k["kid"] for k in value["signing_keys"]}  # rotated once, as deployed
        assert len(value["ip_hash_key"]) >= 32  # generated as CloudFormation generates it
        admin = boto3.client("secretsmanager").get_secret_value(SecretId=done.secrets["AdminKeySecret"])
        assert set(json.loads(admin["SecretString"])) == {"platform_admin_key"}
        assert "PANELIST_ADMIN_SECRET_ID" not in template.functions["CreateProjectFunction"].environment

        assert SENDER in boto3.client("ses").list_identities()["Identities"]
        names = {f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]}
        assert names == {fn.name for fn in template.functions.values()}


def test_secret_values_can_be_supplied(app_root):
    template = Template.load(app_root / "template.yaml", local=True)
    with mock_aws():
        done = provision(template, secret_values={"Secret": '{"platform_admin_key": "k"}'})
        value = boto3.client("secretsmanager").get_secret_value(SecretId=done.secrets["Secret"])["SecretString"]
        assert json.loads(value) == {"platform_admin_key": "k"}
        assert done.queues["WorkQueue"].endswith("/app-local-work")
        attributes = boto3.client("sqs").get_queue_attributes(
            QueueUrl=done.queues["WorkQueue"], AttributeNames=["All"]
        )["Attributes"]
        assert json.loads(attributes["RedrivePolicy"]) == {
            "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:app-local-work-dlq",
            "maxReceiveCount": 2,
        }
        assert attributes["VisibilityTimeout"] == "0"


@pytest.fixture
def bridged(app_root):
    """The recipe for tests: mock_aws with MOTO_CONFIG, resources from the template, handlers in-process."""
    template = Template.load(app_root / "template.yaml", local=True)
    with mock_aws(config=MOTO_CONFIG):
        handlers = Handlers(template)
        with LambdaBridge(template, handlers.invoke):
            yield template, provision(template)


def test_lambda_invoke_runs_the_handler_in_process(bridged):
    client = boto3.client("lambda")
    reply = client.invoke(FunctionName="app-local-step", Payload=json.dumps({"n": 4}))
    assert json.loads(reply["Payload"].read()) == {"n": 4, "double": 8}
    failed = client.invoke(
        FunctionName="arn:aws:lambda:us-east-1:123456789012:function:app-local-step:$LATEST",
        Payload=json.dumps({"n": -1}),
    )
    assert failed["FunctionError"] == "Unhandled"
    error = json.loads(failed["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("Rejected", "-1 is negative")


def test_a_state_machine_task_catches_a_handler_error_inside_mock_aws(bridged):
    _, done = bridged
    sfn = boto3.client("stepfunctions")
    definition = {
        "StartAt": "Step",
        "States": {
            "Step": {
                "Type": "Task",
                "Resource": done.functions["StepFunction"],
                "End": True,
                "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.error", "Next": "Caught"}],
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    arn = sfn.create_state_machine(
        name="catch", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/panelist-local"
    )["stateMachineArn"]
    runs = [sfn.start_execution(stateMachineArn=arn, input=json.dumps({"n": n}))["executionArn"] for n in (3, -3)]
    ok, caught = (finished(sfn, run) for run in runs)
    assert (ok["status"], json.loads(ok["output"])) == ("SUCCEEDED", {"n": 3, "double": 6})
    assert caught["status"] == "SUCCEEDED"
    assert json.loads(caught["output"])["error"]["Error"] == "Rejected"


def test_sent_mail_reads_what_ses_accepted():
    with mock_aws():
        boto3.client("ses").verify_email_identity(EmailAddress=SENDER)
        boto3.client("ses").send_email(
            Source=SENDER,
            Destination={"ToAddresses": ["a@example.com"]},
            Message={"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}},
        )
        (message,) = sent_mail()
        assert (message["source"], message["subject"], message["destinations"]["ToAddresses"]) == (
            SENDER,
            "Hi",
            ["a@example.com"],
        )
        assert sent_mail(clear=True)
        assert sent_mail() == []
