"""The synthetic app served by a LocalRuntime: HTTP, SQS, Step Functions, schedules, mail, state file."""

import base64
import http.client
import json
import logging
import os
import socket
import stat
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
import requests
from botocore.config import Config

from panelist.webhooks import delivery
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


def admin(runtime) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {runtime.platform_admin_key}")]


def test_schedules_fire_on_demand(runtime):
    response, data = call(runtime, "POST", "/_panelist/schedules/Nightly", admin(runtime))
    assert (response.status, json.loads(data)) == (200, {"received": {"job": "nightly"}})
    response, data = call(runtime, "POST", "/_panelist/schedules/app-local-hourly", admin(runtime))
    event = json.loads(data)["received"]
    assert (event["detail-type"], event["source"], event["resources"]) == (
        "Scheduled Event",
        "aws.scheduler",
        ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/app-local-hourly"],
    )
    response, data = call(runtime, "POST", "/_panelist/schedules/weekly", admin(runtime))
    assert response.status == 404
    assert "weekly" in json.loads(data)["message"]


def test_mail_sent_through_ses_is_listed(runtime):
    boto3.client("ses").send_email(
        Source=SENDER,
        Destination={"ToAddresses": ["candidate@example.com"]},
        Message={"Subject": {"Data": "Invite"}, "Body": {"Text": {"Data": "Hello"}}},
    )
    _, data = call(runtime, "GET", "/_panelist/mail", admin(runtime))
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


def _upload_form(runtime, key: str) -> dict:
    response, data = call(runtime, "GET", f"/presign?post=1&key={key}")
    assert response.status == 200
    return json.loads(data)


def _post_form(form: dict, content: bytes, **extra: str) -> tuple[int, bytes]:
    """The form's fields, then the file, posted as a browser posts them (multipart/form-data)."""
    reply = requests.post(form["url"], data={**form["fields"], **extra}, files={"file": ("blob", content)}, timeout=30)
    return reply.status_code, reply.content


def test_a_presigned_post_within_its_policy_is_stored(runtime):
    assert urllib.parse.urlsplit(_upload_form(runtime, "uploads/a.bin")["url"]).path == f"/{_bucket(runtime)}"
    assert _post_form(_upload_form(runtime, "uploads/a.bin"), b"hello") == (204, b"")
    stored = _s3(runtime).get_object(Bucket=_bucket(runtime), Key="uploads/a.bin")
    assert stored["Body"].read() == b"hello"


def test_a_presigned_post_is_checked_as_s3_checks_it(runtime):
    form = _upload_form(runtime, "uploads/b.bin")
    status, data = _post_form(form, b"0" * 17)
    assert (status, b"<Code>EntityTooLarge</Code>" in data, b"<MaxSizeAllowed>16</MaxSizeAllowed>" in data) == (
        400,
        True,
        True,
    )
    status, data = _post_form(form, b"small", acl="public-read")
    assert (status, b"Extra input fields: acl" in data) == (403, True)
    status, data = _post_form({**form, "fields": {**form["fields"], "key": "uploads/c.bin"}}, b"small")
    assert (status, b"Policy Condition failed" in data) == (403, True)
    bucket, s3 = _bucket(runtime), _s3(runtime)
    assert s3.list_objects_v2(Bucket=bucket, Prefix="uploads/b").get("KeyCount") == 0
    assert s3.list_objects_v2(Bucket=bucket, Prefix="uploads/c").get("KeyCount") == 0


def test_a_presigned_post_is_refused_where_the_signer_role_does_not_reach(runtime):
    status, data = _post_form(_upload_form(runtime, "private/d.bin"), b"secret")
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in data
    assert b"s3:PutObject" in data


def test_an_unsigned_form_post_to_the_bucket_is_refused(runtime):
    url = f"{runtime.emulator_url}/{_bucket(runtime)}"
    reply = requests.post(url, data={"key": "uploads/e.bin"}, files={"file": ("blob", b"x")}, timeout=30)
    assert (reply.status_code, b"<Code>AccessDenied</Code>" in reply.content) == (403, True)


# ------------------------------------------------------------------ the control plane, the access log, framing


def test_the_control_plane_answers_only_to_the_platform_admin_key(runtime):
    for method, path in (("POST", "/_panelist/schedules/Nightly"), ("GET", "/_panelist/mail")):
        response, data = call(runtime, method, path)
        assert (response.status, response.getheader("WWW-Authenticate")) == (401, "Bearer")
        assert "platform-admin key" in json.loads(data)["message"]
        response, data = call(runtime, method, path, [("Authorization", "Bearer " + "x" * 40)])
        assert (response.status, json.loads(data)) == (403, {"message": "Forbidden: not the platform-admin key"})
        response, _ = call(runtime, method, path, [("Authorization", f"Basic {runtime.platform_admin_key}")])
        assert response.status == 401
    response, data = call(runtime, "DELETE", "/_panelist/mail", [("apiKey", "not-the-key")])
    assert response.status == 403
    response, data = call(runtime, "GET", "/_panelist/mail", [("apiKey", runtime.platform_admin_key)])
    assert (response.status, "messages" in json.loads(data)) == (200, True)


def test_health_is_open_and_tells_nothing_the_template_does_not(runtime):
    response, data = call(runtime, "GET", "/_panelist/health")
    assert response.status == 200
    assert set(json.loads(data)) == {"status", "functions", "routes"}
    assert runtime.emulator_url.rsplit(":", 1)[1] not in data.decode()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_log():
    lines = _Lines()
    logger = logging.getLogger("panelist_local")
    level = logger.level
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)  # as `panelist serve` logs
    yield lines.lines
    logger.setLevel(level)
    logger.removeHandler(lines)


def test_the_access_log_names_the_route_never_the_token_in_the_path(runtime, access_log):
    def logged() -> list[str]:  # the access log's lines, without their duration
        return [line.rsplit(" ", 1)[0] for line in access_log if line.endswith("ms")]

    assert call(runtime, "GET", "/_panelist/health")[0].status == 200  # written after its answer: wait for it
    start = poll(
        lambda: logged().index("GET /_panelist/health 200") + 1 if "GET /_panelist/health 200" in logged() else 0
    )
    token = "inv_Q2xhc3NpZmllZDp0b2tlbjQy"
    assert call(runtime, "GET", f"/items/{token}?sig=abc")[0].status == 200
    assert call(runtime, "GET", f"/files/{token}/report.pdf")[0].status == 200
    assert call(runtime, "GET", f"/nowhere/{token}/favicon.ico")[0].status == 404
    assert call(runtime, "POST", f"/_panelist/schedules/{token}")[0].status == 401
    assert call(runtime, "GET", f"/_panelist/{token}", admin(runtime))[0].status == 404
    expected = [
        "GET /items/{id} 200",
        "GET /files/{proxy+} 200",
        "GET /nowhere/{…}/favicon.ico 404",
        "POST /_panelist/schedules/{name} 401",
        "GET /_panelist/{…} 404",
    ]
    poll(lambda: len(logged()) >= start + len(expected))
    assert sorted(logged()[start:]) == sorted(expected)
    assert not [line for line in access_log if token in line or "sig=" in line]


def _raw(runtime, head: bytes, *body: bytes) -> tuple[int, bytes]:
    """Send a request as bytes, the body in pieces; the status and body of the answer."""
    port = int(runtime.base_url.rsplit(":", 1)[1])
    with socket.create_connection((runtime.host, port), timeout=30) as sock:
        sock.sendall(head)
        for piece in body:
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break  # answered and closed before reading it all: as it should
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


CHUNKED = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"


def test_a_chunked_body_with_extensions_and_trailers_arrives_whole(runtime):
    body = b'5;name=value;q="a \\"b\\""\r\nhello\r\n6 ; last\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'
    status, data = _raw(runtime, CHUNKED, body)
    assert (status, json.loads(data)["body"]) == (200, "hello world")


@pytest.mark.parametrize(
    "body",
    [
        b"-5\r\nhello\r\n0\r\n\r\n",  # a negative size: read "to the end" it would bypass the limit
        b"-1\r\n" + b"x" * 1024,
        b"0x5\r\nhello\r\n0\r\n\r\n",
        b"+5\r\nhello\r\n0\r\n\r\n",
        b"1_0\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n",
        b" 5\r\nhello\r\n0\r\n\r\n",
        b"5;\r\nhello\r\n0\r\n\r\n",
        b'5;a="open\r\nhello\r\n0\r\n\r\n',
        b"5;a=b c\r\nhello\r\n0\r\n\r\n",
        b"5\nhello\n0\n\n",
        b"5\r\nhelloXX0\r\n\r\n",
        b"5\r\nhello\r\n0\r\nno colon\r\n\r\n",
        b"f" * 17 + b"\r\n",
    ],
    ids=lambda body: body[:12].decode(errors="replace"),
)
def test_a_malformed_chunked_body_is_400_and_ends_the_connection(runtime, body):
    status, data = _raw(runtime, CHUNKED, body)
    assert (status, json.loads(data)) == (400, {"message": "Bad Request"})


def test_chunks_adding_up_past_10_mib_are_413_before_they_are_read(runtime):
    half = MAX_BODY_BYTES // 2 + 1
    first = f"{half:x}\r\n".encode() + b"x" * half + b"\r\n"
    status, data = _raw(runtime, CHUNKED, first, f"{half:x}\r\n".encode(), b"x" * half)
    assert (status, json.loads(data)) == (413, {"message": "Request Entity Too Large"})
    status, _ = _raw(runtime, CHUNKED, f"{MAX_BODY_BYTES + 1:x}\r\n".encode())
    assert status == 413


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (b"Content-Length: -1\r\n", 400),
        (b"Content-Length: 5, 5\r\n", 400),
        (b"Content-Length: 5\r\nContent-Length: 6\r\n", 400),
        (b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400),
        (b"Transfer-Encoding: gzip\r\n", 400),
        (b"Transfer-Encoding: gzip, chunked\r\n", 501),
    ],
)
def test_ambiguous_or_invalid_framing_is_refused(runtime, headers, status):
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    assert _raw(runtime, head, b"5\r\nhello\r\n0\r\n\r\n")[0] == status


# ------------------------------------------------------------------ FIFO deliveries (DeliverWebhooksFunction's way)


@dataclass(frozen=True)
class Hit:
    at: float  # time.monotonic()
    path: str
    event: str
    attempt: int
    status: int


class Receivers(ThreadingHTTPServer):
    """Loopback receivers: /failing answers 503 to its first `failures` requests, then 204; /steady always 204."""

    def __init__(self, failures: int) -> None:
        self.hits: list[Hit] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hook = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                failed = sum(hit.path == self.path for hit in outer.hits)
                status = 503 if self.path == "/failing" and failed < failures else 204
                attempt = int(self.headers["x-attempt"])
                outer.hits.append(Hit(time.monotonic(), self.path, hook["event"], attempt, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def receivers():
    server = Receivers(failures=2)
    yield server
    server.shutdown()
    server.server_close()


def _counts(sqs, queue: str) -> tuple[int, ...]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
    return tuple(int(attributes[name]) for name in names)


def test_a_failing_receiver_gets_its_webhooks_in_order_after_each_backoff_without_holding_up_others(
    runtime, receivers, monkeypatch
):
    chosen: list[tuple[int, int]] = []  # (attempt, seconds until the next): delivery.backoff as HookFunction calls it
    backoff = delivery.backoff

    def spy(attempt: int, retry_after: int | None = None) -> int:
        chosen.append((attempt, backoff(attempt, retry_after)))
        return chosen[-1][1]

    monkeypatch.setattr(delivery, "backoff", spy)
    sqs = boto3.client("sqs")
    queue, dead_letters = runtime.provisioned.queues["HookQueue"], runtime.provisioned.queues["HookDeadLetters"]
    run = uuid.uuid4().hex
    for path, events in (("/failing", ["e1", "e2", "e3"]), ("/steady", ["e1", "e2"])):
        for event in events:
            sqs.send_message(
                QueueUrl=queue,
                MessageBody=json.dumps({"url": receivers.url(path), "event": event}),
                MessageGroupId=path,  # one group per destination, as delivery.enqueue does
                MessageDeduplicationId=f"{run}{path}{event}",
            )

    poll(lambda: sum(hit.status == 204 for hit in receivers.hits) == 5, timeout=30)
    poll(lambda: _counts(sqs, queue) == (0, 0))
    failing = [hit for hit in receivers.hits if hit.path == "/failing"]
    assert [(hit.event, hit.attempt, hit.status) for hit in failing] == [
        ("e1", 1, 503),
        ("e1", 2, 503),
        ("e1", 3, 204),  # the receive count is the attempt: no receive spent on a message not attempted
        ("e2", 1, 204),
        ("e3", 1, 204),
    ]
    assert [attempt for attempt, _ in chosen] == [1, 2]
    for (attempt, delay), before, after in zip(chosen, failing, failing[1:], strict=False):
        ceiling = min(delivery.BACKOFF_CAP_SECONDS, delivery.BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        assert 1 <= delay <= ceiling
        assert delay <= after.at - before.at < delay + 2  # retried once its backoff is over, not before or long after
    steady = [hit for hit in receivers.hits if hit.path == "/steady"]
    assert [(hit.event, hit.attempt, hit.status) for hit in steady] == [("e1", 1, 204), ("e2", 1, 204)]
    assert steady[-1].at < failing[2].at  # the other destination did not wait for the failing one
    assert _counts(sqs, dead_letters) == (0, 0)
