"""The synthetic SAM app the local runtime runs in tests, and polling helpers."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def poll(check: Callable[[], T], timeout: float = 15) -> T:
    """check() until it returns something truthy; the deadline keeps a broken test from hanging."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached in {timeout} s: {check}")
        time.sleep(0.02)
    return result


def finished(sfn: Any, execution_arn: str) -> dict[str, Any]:
    """The description of an execution once it is no longer running."""

    def done() -> dict[str, Any] | None:
        description = sfn.describe_execution(executionArn=execution_arn)
        return None if description["status"] == "RUNNING" else description

    return poll(done)


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: prod}
  Flavor: {Type: String, Default: plain, AllowedValues: [plain, fancy]}
Conditions:
  IsFancy: !Equals [!Ref Flavor, fancy]
  IsPlain: !Not [!Condition IsFancy]
Globals:
  Function:
    Runtime: python3.11
    Handler: app.handler
    Timeout: 5
    MemorySize: 256
    Environment:
      Variables:
        APP_STAGE: !Ref Stage
        APP_TABLE: !Ref Table
        APP_QUEUE_URL: !Ref WorkQueue
        APP_BUCKET: !Ref Bucket
        APP_MODE: !If [IsFancy, fancy-mode, plain-mode]
        APP_PLAIN: !If [IsPlain, "yes", !Ref AWS::NoValue]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub app-${Stage}
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub app-${Stage}-${AWS::AccountId}-${AWS::Region}
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub app/${Stage}/keys
      GenerateSecretString: {SecretStringTemplate: "{}", GenerateStringKey: platform_admin_key}
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub app-${Stage}-work
      VisibilityTimeout: 0
      RedrivePolicy: {deadLetterTargetArn: !GetAtt WorkDeadLetters.Arn, maxReceiveCount: 2}
  WorkDeadLetters:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Sub "app-${Stage}-work-dlq"}
  HookQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub app-${Stage}-hooks.fifo
      FifoQueue: true
      VisibilityTimeout: 360
      RedrivePolicy: {deadLetterTargetArn: !GetAtt HookDeadLetters.Arn, maxReceiveCount: 8}
  HookDeadLetters:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Sub "app-${Stage}-hooks-dlq.fifo", FifoQueue: true}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: !GetAtt GateFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
  GateFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/gate/}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/echo/
      Events:
        Item: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: "/items/{id}"}}
        SpecialItem: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: get, Path: /items/special}}
        AnyItem: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: ANY, Path: "/items/{id}"}}
        Files: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: "/files/{proxy+}"}}
        Echo: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: POST, Path: /echo}}
        Binary: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: /binary}}
        Plain: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: /plain}}
        Boom: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: /boom}}
        Public: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: POST, Path: /public, Auth: {Authorizer: NONE}}}
        Write: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: POST, Path: /write}}
  PresignFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/presign/
      Policies:
        - Statement:
            - {Effect: Allow, Action: s3:GetObject, Resource: !Sub "${Bucket.Arn}/public/*"}
            - {Effect: Allow, Action: s3:PutObject, Resource: !Sub "${Bucket.Arn}/uploads/*"}
      Events:
        Presign: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: /presign}}
  FallbackFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/fallback/
      Events:
        Default: {Type: HttpApi, Properties: {ApiId: !Ref Api, Auth: {Authorizer: NONE}}}
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/worker/
      Policies:
        - Statement:
            - {Effect: Allow, Action: dynamodb:PutItem, Resource: !GetAtt Table.Arn}
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
  HookFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/hook/
      Environment:
        Variables:
          HOOK_QUEUE_URL: !Ref HookQueue
      Policies:
        - SQSPollerPolicy: {QueueName: !GetAtt HookQueue.QueueName}
      Events:
        Hooks:
          Type: SQS
          Properties:
            Queue: !GetAtt HookQueue.Arn
            BatchSize: 1
            FunctionResponseTypes: [ReportBatchItemFailures]
  NightlyFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/nightly/
      Events:
        Nightly: {Type: Schedule, Properties: {Schedule: rate(1 day), Input: '{"job": "nightly"}'}}
        Hourly: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 hour), Name: !Sub "app-${Stage}-hourly"}}
        Uploads: {Type: S3, Properties: {Bucket: !Ref Bucket, Events: s3:ObjectCreated:*}}
  StepFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/step/
      FunctionName: !Sub app-${Stage}-step
  FlakyFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/flaky/}
  Pipeline:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub app-${Stage}-pipeline
      DefinitionUri: statemachine/pipeline.asl.json
      DefinitionSubstitutions:
        StepArn: !GetAtt StepFunction.Arn
        FlakyArn: !GetAtt FlakyFunction.Arn
      Policies:
        - LambdaInvokePolicy: {FunctionName: !Ref StepFunction}
        - LambdaInvokePolicy: {FunctionName: !Ref FlakyFunction}
Outputs:
  ApiUrl:
    Value: !Sub https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}
"""

FILES = {
    "functions/gate/app.py": """
        def handler(event, context):
            token = event["headers"].get("authorization", "")
            if token == "deny":
                return {"isAuthorized": False}
            if token == "crash":
                raise ValueError("authorizer bug")
            return {"isAuthorized": True,
                    "context": {"caller": token or "anonymous", "type": event["type"], "route": event["routeKey"]}}
    """,
    "functions/echo/app.py": """
        import base64
        import json
        import os

        import boto3


        def handler(event, context):
            if event["rawPath"] == "/binary":
                return {"statusCode": 200, "headers": {"content-type": "image/png"},
                        "body": base64.b64encode(b"\\x89PNG\\x00\\xff").decode(), "isBase64Encoded": True}
            if event["rawPath"] == "/boom":
                raise RuntimeError("secret detail")
            if event["rawPath"] == "/plain":
                return {"hello": "world"}
            if event["rawPath"] == "/write":  # the echo function's role grants no table write
                boto3.client("dynamodb").put_item(TableName=os.environ["APP_TABLE"], Item={"PK": {"S": "echo"}})
            headers = {"content-type": "application/json", "x-function": context.function_name}
            return {"statusCode": 200, "headers": headers, "cookies": ["a=1; Path=/", "b=2"], "body": json.dumps(event)}
    """,
    "functions/presign/app.py": """
        import json
        import os

        import boto3
        from botocore.config import Config


        def handler(event, context):
            s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
            query = event["queryStringParameters"]
            params = {"Bucket": os.environ["APP_BUCKET"], "Key": query["key"]}
            if query.get("post"):  # a browser upload of at most 16 bytes
                conditions = [["content-length-range", 1, 16]]
                return s3.generate_presigned_post(**params, Conditions=conditions, ExpiresIn=60)
            return {"url": s3.generate_presigned_url("get_object", Params=params, ExpiresIn=60)}
    """,
    "functions/fallback/app.py": """
        import json


        def handler(event, context):
            return {"statusCode": 404, "body": json.dumps({"fallback": event["routeKey"], "path": event["rawPath"]})}
    """,
    "functions/worker/app.py": """
        import os

        import boto3


        def handler(event, context):
            failures = []
            for record in event["Records"]:
                if "poison" in record["body"]:
                    failures.append({"itemIdentifier": record["messageId"]})
                    continue
                boto3.client("dynamodb").put_item(TableName=os.environ["APP_TABLE"], Item={
                    "PK": {"S": record["body"]}, "source": {"S": record["eventSourceARN"]}})
            return {"batchItemFailures": failures}
    """,
    "functions/hook/app.py": """
        # DeliverWebhooksFunction's way with a FIFO queue (functions/deliver_webhooks/app.py), to a plain URL: in
        # order per message group, a failed attempt delayed with panelist's backoff (ChangeMessageVisibility).
        import json
        import os
        import urllib.error
        import urllib.request

        import boto3
        from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

        from panelist.webhooks import delivery

        processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        processor.raise_on_entire_batch_failure = False


        def deliver(record):
            attempt = int(record.attributes.approximate_receive_count)
            hook = json.loads(record.body)
            request = urllib.request.Request(
                hook["url"], data=record.body.encode(), method="POST", headers={"x-attempt": str(attempt)}
            )
            try:
                with urllib.request.urlopen(request, timeout=5):
                    return
            except urllib.error.HTTPError:
                delay = delivery.backoff(attempt)
                boto3.client("sqs").change_message_visibility(
                    QueueUrl=os.environ["HOOK_QUEUE_URL"], ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
                )
                raise delivery.DeliveryFailed(f"attempt {attempt} failed", retry_in=delay) from None


        def handler(event, context):
            return process_partial_response(event=event, record_handler=deliver, processor=processor, context=context)
    """,
    "functions/nightly/app.py": """
        def handler(event, context):
            return {"received": event}
    """,
    "functions/step/app.py": """
        class Rejected(Exception):
            pass


        def handler(event, context):
            if event["n"] < 0:
                raise Rejected(f"{event['n']} is negative")
            return {"n": event["n"], "double": event["n"] * 2}
    """,
    "functions/flaky/app.py": """
        attempts = {}


        class TransientError(Exception):
            pass


        def handler(event, context):
            attempts[event["id"]] = attempts.get(event["id"], 0) + 1
            if attempts[event["id"]] < 2:
                raise TransientError("try again")
            return {"attempts": attempts[event["id"]]}
    """,
    "statemachine/pipeline.asl.json": """
        {
          "StartAt": "Flaky",
          "States": {
            "Flaky": {
              "Type": "Task", "Resource": "${FlakyArn}", "Parameters": {"id.$": "$.id"}, "ResultPath": "$.flaky",
              "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1}],
              "Next": "Route"
            },
            "Route": {
              "Type": "Choice",
              "Choices": [{"Variable": "$.mode", "StringEquals": "single", "Next": "Single"}],
              "Default": "Fanout"
            },
            "Single": {
              "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName": "${StepArn}", "Payload": {"n.$": "$.items[0]"}},
              "ResultSelector": {"value.$": "$.Payload"}, "ResultPath": "$.single",
              "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.error", "Next": "Rejected"}],
              "End": true
            },
            "Fanout": {
              "Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.doubled",
              "Iterator": {
                "StartAt": "Double",
                "States": {
                  "Double": {"Type": "Task", "Resource": "${StepArn}", "Parameters": {"n.$": "$"}, "End": true}
                }
              },
              "End": true
            },
            "Rejected": {"Type": "Pass", "Result": "rejected", "ResultPath": "$.outcome", "End": true}
          }
        }
    """,
}


def write_app(root: Path) -> Path:
    (root / "template.yaml").write_text(TEMPLATE)
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root
