"""The synthetic app served by a LocalRuntime: HTTP, SQS, Step Functions, schedules, mail, state file."""

import base64
import http.client
import json
import os
import stat
import urllib.parse

import boto3
import pytest
from botocore.config import Config

from panelist_local.cli import main
from panelist_local.emulator import CREDENTIALS, SENDER
from panelist_local.gateway import MAX_BODY_BYTES
from tests.local.support import finished, poll

pytestmark = pytest.mark.xdist_group("local-runtime")


def call(runtime, method: str, path: str, headers: list[tuple[str, str]] = (), body: bytes | None = None):
    connection = http.client.HTTPConnection(runtime.host, runtime.base_url.rsplit(":", 1)[1], timeout=30)
    connection.putrequest(method, path)
    for name, value in headers:
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def test_requests_reach_the_route_with_an_api_gateway_event(runtime):
    response, data = call(
        runtime,
        "GET",
        "/items/42?x=1&x=2",
        [("Authorization", "alice"), ("X-Dup", "a"), ("X-Dup", "b"), ("Cookie", "s=1; t=2")],
    )
    assert response.status == 200
    event = json.loads(data)
    assert (event["routeKey"], event["rawPath"], event["rawQueryString"]) == ("GET /items/{id}", "/items/42", "x=1&x=2")
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["headers"]["x-dup"] == "a,b"
    assert event["cookies"] == ["s=1", "t=2"]
    context = event["requestContext"]
    assert context["domainName"] == runtime.base_url.removeprefix("http://")
    assert context["authorizer"] == {"lambda": {"caller": "alice", "type": "REQUEST", "route": "GET /items/{id}"}}
    assert response.getheader("apigw-requestid") == context["requestId"]
    assert response.getheader("x-function") == "EchoFunction"
    assert response.headers.get_all("Set-Cookie") == ["a=1; Path=/", "b=2"]


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("GET", "/items/special", "GET /items/special"),
        ("DELETE", "/items/5", "ANY /items/{id}"),
        ("GET", "/files/a/b.txt", "GET /files/{proxy+}"),
    ],
)
def test_the_most_specific_route_handles_the_request(runtime, method, path, key):
    response, data = call(runtime, method, path)
    assert (response.status, json.loads(data)["routeKey"]) == (200, key)


def test_unmatched_requests_go_to_the_default_route(runtime):
    response, data = call(runtime, "PATCH", "/nowhere?x=1")
    assert (response.status, json.loads(data)) == (404, {"fallback": "$default", "path": "/nowhere"})


def test_routes_without_auth_skip_the_authorizer(runtime):
    response, data = call(runtime, "POST", "/public", [("Authorization", "deny")], b"{}")
    assert response.status == 200
    assert "authorizer" not in json.loads(data)["requestContext"]


def test_the_authorizer_denies_and_its_failures_are_500(runtime):
    response, data = call(runtime, "GET", "/items/1", [("Authorization", "deny")])
    assert (response.status, json.loads(data)) == (403, {"message": "Forbidden"})
    response, data = call(runtime, "GET", "/items/1", [("Authorization", "crash")])
    assert (response.status, json.loads(data)) == (500, {"message": "Internal Server Error"})


def test_binary_bodies_travel_base64_encoded(runtime):
    response, data = call(runtime, "GET", "/binary")
    assert (response.status, response.getheader("content-type"), data) == (200, "image/png", b"\x89PNG\x00\xff")
    response, data = call(runtime, "POST", "/echo", [("Content-Type", "application/octet-stream")], b"\x00\x01")
    event = json.loads(data)
    assert (event["isBase64Encoded"], base64.b64decode(event["body"])) == (True, b"\x00\x01")
    response, data = call(runtime, "POST", "/echo", [("Content-Type", "application/json")], b'{"a": 1}')
    assert (json.loads(data)["isBase64Encoded"], json.loads(data)["body"]) == (False, '{"a": 1}')


def test_bodies_over_10_mib_are_refused(runtime):
    connection = http.client.HTTPConnection(runtime.host, runtime.base_url.rsplit(":", 1)[1], timeout=30)
    connection.putrequest("POST", "/echo")
    connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    connection.endheaders(b"x" * 1024)
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (413, {"message": "Request Entity Too Large"})
    connection.close()


def test_a_raising_handler_is_a_bare_500(runtime, capsys):
    response, data = call(runtime, "GET", "/boom")
    assert (response.status, data) == (500, b'{"message": "Internal Server Error"}')
    assert "secret detail" not in data.decode()


def test_a_result_without_status_code_is_200_json(runtime):
    response, data = call(runtime, "GET", "/plain")
    assert (response.status, response.getheader("content-type"), json.loads(data)) == (
        200,
        "application/json",
        {"hello": "world"},
    )


def test_sqs_partial_batch_failures_go_to_the_dead_letter_queue(runtime):
    sqs, dynamodb = boto3.client("sqs"), boto3.client("dynamodb")
    queue = runtime.provisioned.queues["WorkQueue"]
    dead_letters = runtime.provisioned.queues["WorkDeadLetters"]
    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(["good-1", "poison-1", "good-2"])],
    )

    def stored() -> set[str]:
        return {item["PK"]["S"] for item in dynamodb.scan(TableName="app-local")["Items"]}

    assert poll(lambda: stored() >= {"good-1", "good-2"})
    moved = poll(
        lambda: sqs.receive_message(QueueUrl=dead_letters, MessageSystemAttributeNames=["All"]).get("Messages")
    )
    assert [m["Body"] for m in moved] == ["poison-1"]
    assert moved[0]["Attributes"]["ApproximateReceiveCount"] == "3"  # 2 failed deliveries, then the DLQ read
    assert "poison-1" not in stored()
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == (
        "0",
        "0",
    )


def test_state_machine_tasks_run_in_process_with_retry_catch_map_and_choice(runtime):
    sfn = boto3.client("stepfunctions")
    machine = runtime.provisioned.state_machines["Pipeline"]
    inputs = {
        "fanout": {"id": "a", "mode": "fanout", "items": [1, 2, 3]},
        "caught": {"id": "b", "mode": "single", "items": [-1]},
        "single": {"id": "c", "mode": "single", "items": [5]},
        "failed": {"id": "d", "mode": "fanout", "items": [1, -2]},
    }
    runs = {
        name: sfn.start_execution(stateMachineArn=machine, input=json.dumps(value))["executionArn"]
        for name, value in inputs.items()
    }  # unnamed executions: moto needs the runtime's fix for these
    results = {name: finished(sfn, arn) for name, arn in runs.items()}

    fanout = json.loads(results["fanout"]["output"])
    assert fanout["flaky"] == {"attempts": 2}  # failed once with TransientError, retried
    assert fanout["doubled"] == [{"n": 1, "double": 2}, {"n": 2, "double": 4}, {"n": 3, "double": 6}]
    caught = json.loads(results["caught"]["output"])
    assert (caught["outcome"], caught["error"]["Error"]) == ("rejected", "Rejected")
    assert json.loads(results["single"]["output"])["single"] == {"value": {"n": 5, "double": 10}}
    assert (results["failed"]["status"], results["failed"]["error"]) == ("FAILED", "Rejected")


def test_schedules_fire_on_demand(runtime):
    response, data = call(runtime, "POST", "/_panelist/schedules/Nightly")
    assert (response.status, json.loads(data)) == (200, {"received": {"job": "nightly"}})
    response, data = call(runtime, "POST", "/_panelist/schedules/app-local-hourly")
    event = json.loads(data)["received"]
    assert (event["detail-type"], event["source"], event["resources"]) == (
        "Scheduled Event",
        "aws.scheduler",
        ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/app-local-hourly"],
    )
    response, data = call(runtime, "POST", "/_panelist/schedules/weekly")
    assert response.status == 404
    assert "weekly" in json.loads(data)["message"]


def test_mail_sent_through_ses_is_listed(runtime):
    boto3.client("ses").send_email(
        Source=SENDER,
        Destination={"ToAddresses": ["candidate@example.com"]},
        Message={"Subject": {"Data": "Invite"}, "Body": {"Text": {"Data": "Hello"}}},
    )
    _, data = call(runtime, "GET", "/_panelist/mail")
    (message,) = [m for m in json.loads(data)["messages"] if m["subject"] == "Invite"]
    assert message["destinations"]["ToAddresses"] == ["candidate@example.com"]


def test_the_state_file_has_the_urls_and_keys_only_for_its_owner(runtime):
    state = json.loads(runtime.state_file.read_text())
    assert state == {
        "base_url": runtime.base_url,
        "emulator_url": runtime.emulator_url,
        "platform_admin_key": runtime.platform_admin_key,
        "iam_enforced": True,
    }
    assert len(state["platform_admin_key"]) >= 32
    assert stat.S_IMODE(os.stat(runtime.state_file).st_mode) == 0o600
    _, data = call(runtime, "GET", "/_panelist/health")
    assert json.loads(data)["status"] == "ok"


def test_invoke_uses_the_running_runtime(runtime, app_root, tmp_path, monkeypatch, capsys):
    event = {"Records": [{"messageId": "m1", "body": "invoked-directly", "eventSourceARN": "arn:aws:sqs:x"}]}
    (tmp_path / "event.json").write_text(json.dumps(event))
    monkeypatch.chdir(app_root)
    assert (
        main(["invoke", "worker", "--event", str(tmp_path / "event.json"), "--state-file", str(runtime.state_file)])
        == 0
    )
    assert json.loads(capsys.readouterr().out) == {"batchItemFailures": []}
    item = boto3.client("dynamodb").get_item(TableName="app-local", Key={"PK": {"S": "invoked-directly"}})
    assert item["Item"]["source"] == {"S": "arn:aws:sqs:x"}


# ------------------------------------------------------------------ what AWS would refuse


def test_a_call_the_function_role_does_not_grant_fails_as_on_aws(runtime, caplog):
    response, _ = call(runtime, "POST", "/write", body=b"{}")
    assert response.status == 500
    (failure,) = [r for r in caplog.records if r.exc_info and "POST /write" in r.getMessage()]
    assert "is not authorized to perform: dynamodb:PutItem" in str(failure.exc_info[1])
    table = next(iter(runtime.provisioned.tables.values()))
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"PK": {"S": "echo"}})
    assert "Item" not in item


def _presigned(runtime, key: str) -> str:
    response, data = call(runtime, "GET", f"/presign?key={key}")
    assert response.status == 200
    return json.loads(data)["url"]


def _fetch(url: str) -> tuple[int, bytes]:
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    connection.request("GET", f"{parsed.path}?{parsed.query}")
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def _s3(runtime, config: Config | None = None):
    """A client with the runtime's own credentials (boto3's default session may hold moto's, from another test)."""
    return boto3.Session(**_RUNTIME_CREDENTIALS).client("s3", endpoint_url=runtime.emulator_url, config=config)


_RUNTIME_CREDENTIALS = {
    "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
    "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    "aws_session_token": CREDENTIALS["AWS_SESSION_TOKEN"],
    "region_name": CREDENTIALS["AWS_REGION"],
}


def _bucket(runtime) -> str:
    return next(iter(runtime.provisioned.buckets.values()))


def test_a_presigned_url_works_where_the_signer_role_allows_it(runtime):
    s3 = _s3(runtime)
    s3.put_object(Bucket=_bucket(runtime), Key="public/a.txt", Body=b"hello")
    assert _fetch(_presigned(runtime, "public/a.txt")) == (200, b"hello")


def test_a_presigned_url_is_refused_where_the_signer_role_does_not_reach(runtime):
    s3 = _s3(runtime)
    s3.put_object(Bucket=_bucket(runtime), Key="private/b.txt", Body=b"secret")
    status, data = _fetch(_presigned(runtime, "private/b.txt"))
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in data
    assert b"s3:GetObject" in data


def test_a_tampered_presigned_url_is_refused(runtime):
    s3 = _s3(runtime)
    s3.put_object(Bucket=_bucket(runtime), Key="public/c.txt", Body=b"hello")
    url = _presigned(runtime, "public/c.txt").replace("public/c.txt", "public/a.txt")
    status, data = _fetch(url)
    assert (status, b"<Code>SignatureDoesNotMatch</Code>" in data) == (403, True)


def test_sigv2_presigned_urls_are_refused_as_s3_refuses_them(runtime):
    s3 = _s3(runtime, Config(signature_version="s3"))
    s3.put_object(Bucket=_bucket(runtime), Key="public/d.txt", Body=b"hello")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": _bucket(runtime), "Key": "public/d.txt"})
    assert "Signature=" in url
    status, data = _fetch(url)
    assert status == 400
    assert b"Please use AWS4-HMAC-SHA256" in data


def test_an_expired_presigned_url_is_refused(runtime):
    s3 = _s3(runtime, Config(signature_version="s3v4"))
    s3.put_object(Bucket=_bucket(runtime), Key="public/e.txt", Body=b"hello")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": _bucket(runtime), "Key": "public/e.txt"}, ExpiresIn=60
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    signed_at = query["X-Amz-Date"][0]
    assert _fetch(url) == (200, b"hello"), url
    past = url.replace(signed_at, "20200101T000000Z")  # re-dated: expired, and no longer the signed text
    assert _fetch(past)[0] == 403
