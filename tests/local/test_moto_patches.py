"""The patches of moto's internals (panelist_local/moto_patches.py): pinned to one moto, applied, doing their job."""

import copy
import json
import threading
from collections.abc import Iterator

import boto3
import moto
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from panelist_local import moto_patches
from panelist_local.emulator import MOTO_CONFIG
from tests.local.support import poll

TABLE = "patched"


@pytest.fixture(autouse=True)
def applied() -> None:
    moto_patches.apply()


def test_the_patches_were_written_for_the_installed_moto():
    assert moto.__version__ == moto_patches.MOTO_VERSION, (
        f"moto {moto.__version__} is installed, but local/panelist_local/moto_patches.py patches the internals of "
        f"moto {moto_patches.MOTO_VERSION}: re-check each patch in it against the new moto's source (the classes "
        "and methods it replaces, and whether the new moto still needs it), then set MOTO_VERSION"
    )


def test_every_patch_is_applied_once():
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.core.models import MockAWS
    from moto.dynamodb.responses import DynamoHandler
    from moto.sqs.models import Queue, SQSBackend
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    patched = {
        (LambdaBackend, "invoke"),
        (LambdaSimpleBackend, "invoke"),
        (DynamoHandler, "call_action"),
        (DynamoDBBackend, "transact_write_items"),
        (StepFunctionsParserBackend, "start_execution"),
        (MockAWS, "_disable_patching"),
        (SQSBackend, "receive_message"),
        (SQSBackend, "change_message_visibility"),
        (Queue, "delete_message"),
    }
    before = {(owner, target): owner.__dict__[target] for owner, target in patched}
    moto_patches.apply()
    for owner, target in patched:
        assert getattr(owner.__dict__[target], "panelist_patch", False), f"{owner.__name__}.{target} is not patched"
        assert owner.__dict__[target] is before[owner, target], f"{owner.__name__}.{target} was patched twice"


@pytest.fixture
def table() -> Iterator[object]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


def test_lambda_invocations_go_to_the_router_and_else_to_moto(monkeypatch):
    with mock_aws(config=MOTO_CONFIG):
        client = boto3.client("lambda", region_name="us-east-1")
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        for name in ("routed", "other"):
            client.create_function(
                FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler", Code={"ZipFile": b"x"}
            )
        seen = []

        def router(function_name, body, headers, response_headers):
            seen.append((function_name, json.loads(body)))
            return b'{"routed": true}' if function_name == "routed" else None

        moto_patches.route_lambda_invocations(router)
        try:
            routed = client.invoke(FunctionName="routed", Payload=b'{"n": 1}')["Payload"].read()
            other = client.invoke(FunctionName="other", Payload=b'{"n": 2}')["Payload"].read()
        finally:
            moto_patches.route_lambda_invocations(None)
        assert json.loads(routed) == {"routed": True}
        assert json.loads(other) == {"n": 2}  # moto's own answer: its simple Lambda echoes the payload
        assert seen == [("routed", {"n": 1}), ("other", {"n": 2})]
        assert json.loads(client.invoke(FunctionName="routed", Payload=b'{"n": 3}')["Payload"].read()) == {"n": 3}


def test_each_dynamodb_request_holds_the_lock_while_moto_handles_it(table, monkeypatch):
    held_elsewhere = []
    put_item = DynamoDBBackend.put_item

    def observed(self, *args, **kwargs):
        acquired: list[bool] = []  # whether another thread could take the lock meanwhile
        probe = threading.Thread(target=lambda: acquired.append(moto_patches._dynamodb_lock.acquire(blocking=False)))
        probe.start()
        probe.join()
        held_elsewhere.append(not acquired[0])
        return put_item(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", observed)
    table.put_item(TableName=TABLE, Item={"PK": {"S": "a"}})
    assert held_elsewhere == [True]


def test_a_transaction_copies_each_table_once_and_still_rolls_back(table, monkeypatch):
    table.put_item(TableName=TABLE, Item={"PK": {"S": "kept"}, "v": {"N": "1"}})
    copies = []
    deepcopy = copy.deepcopy

    def counted(value, memo=None):
        if isinstance(value, Table):
            copies.append(value.name)
        return deepcopy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counted)
    puts = [{"Put": {"TableName": TABLE, "Item": {"PK": {"S": f"item-{n}"}}}} for n in range(19)]
    table.transact_write_items(TransactItems=puts)
    assert copies == [TABLE]

    copies.clear()
    new = [{"Put": {"TableName": TABLE, "Item": {"PK": {"S": f"new-{n}"}}}} for n in range(5)]
    kept = {"TableName": TABLE, "Item": {"PK": {"S": "kept"}}, "ConditionExpression": "attribute_not_exists(PK)"}
    with pytest.raises(table.exceptions.TransactionCanceledException):
        table.transact_write_items(TransactItems=[*new, {"Put": kept}])
    assert copies == [TABLE]
    keys = {item["PK"]["S"] for item in table.scan(TableName=TABLE)["Items"]}
    assert keys == {"kept", *(f"item-{n}" for n in range(19))}  # none of the failed transaction's puts


def test_unnamed_executions_of_a_running_state_machine_get_unique_names():
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    with mock_aws(config=MOTO_CONFIG):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="unnamed", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
        )["stateMachineArn"]
        first, second = (
            sfn.start_execution(stateMachineArn=arn, input=f'{{"n": {n}}}')["executionArn"] for n in (1, 2)
        )
        assert first != second
        assert "None" not in (first.rsplit(":", 1)[1], second.rsplit(":", 1)[1])


def test_a_mock_stopped_keeping_its_data_lets_go_of_its_callbacks_and_instances():
    from moto.core.models import responses_mock
    from moto.sqs.models import Queue

    queues = []
    with mock_aws():
        pass  # moto from nothing
    try:
        for _ in range(2):
            mock = mock_aws()
            mock.start(reset=False)
            sqs = boto3.client("sqs", region_name="us-east-1")
            queues.append(len(sqs.list_queues().get("QueueUrls", [])))
            sqs.create_queue(QueueName="kept")
            assert responses_mock.registered()
            mock.stop(remove_data=False)
            assert responses_mock.registered() == []
            assert Queue.instances_tracked == []  # type: ignore[attr-defined]
    finally:
        with mock_aws():
            pass  # and to nothing again
    assert queues == [0, 1]  # the data was kept


# ------------------------------------------------------------------ SQS: FIFO order and long polls that wait


@pytest.fixture
def sqs() -> Iterator[object]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def _fifo(sqs, name: str = "hooks.fifo", *, max_receives: int | None = None) -> str:
    attributes = {"FifoQueue": "true", "VisibilityTimeout": "360"}
    if max_receives:
        dead = sqs.create_queue(QueueName=f"dead-{name}", Attributes={"FifoQueue": "true"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receives})
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def _send(sqs, queue: str, group: str, *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(QueueUrl=queue, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=group + body)


def _receive(sqs, queue: str, count: int = 10, wait: int = 0) -> list[dict]:
    return sqs.receive_message(
        QueueUrl=queue, MaxNumberOfMessages=count, WaitTimeSeconds=wait, MessageSystemAttributeNames=["All"]
    ).get("Messages", [])


def test_a_fifo_group_visible_again_is_received_from_its_first_message(sqs):
    queue = _fifo(sqs)
    _send(sqs, queue, "g", "first", "second", "third")
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=1)["Messages"]
    assert [m["Body"] for m in received] == ["first", "second", "third"]  # one receive may take a whole group
    (again,) = _receive(sqs, queue, count=1, wait=5)  # once their visibility timeout is over (moto: "third")
    assert (again["Body"], again["Attributes"]["ApproximateReceiveCount"]) == ("first", "2")


def test_a_fifo_group_stays_locked_while_its_message_is_postponed(sqs):
    queue = _fifo(sqs)
    _send(sqs, queue, "failing", "f1", "f2")
    _send(sqs, queue, "other", "o1")
    (head,) = _receive(sqs, queue, count=1)
    assert head["Body"] == "f1"
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=head["ReceiptHandle"], VisibilityTimeout=60)
    assert [m["Body"] for m in _receive(sqs, queue)] == ["o1"]  # f2 waits behind f1, unreceived
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=head["ReceiptHandle"])
    (second,) = _receive(sqs, queue)
    assert (second["Body"], second["Attributes"]["ApproximateReceiveCount"]) == ("f2", "1")


def test_a_fifo_message_received_max_receive_count_times_moves_to_the_dead_letter_queue(sqs):
    queue = _fifo(sqs, max_receives=2)
    _send(sqs, queue, "g", "poison", "next")
    for _ in range(2):
        (message,) = _receive(sqs, queue, count=1)
        assert message["Body"] == "poison"
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    (message,) = _receive(sqs, queue, count=1)
    assert (message["Body"], message["Attributes"]["ApproximateReceiveCount"]) == ("next", "1")
    dead = sqs.get_queue_url(QueueName="dead-hooks.fifo")["QueueUrl"]
    assert [m["Body"] for m in _receive(sqs, dead)] == ["poison"]


def test_a_long_poll_waits_without_spinning_and_wakes_for_a_message(sqs, monkeypatch):
    queue = _fifo(sqs)
    _send(sqs, queue, "g", "held", "behind")
    (held,) = _receive(sqs, queue, count=1)  # "behind" is visible, but its group is locked: nothing to receive
    passes = []
    receive_once = moto_patches._receive_once
    monkeypatch.setattr(moto_patches, "_receive_once", lambda *args: passes.append(1) or receive_once(*args))
    assert _receive(sqs, queue, wait=1) == []
    assert len(passes) <= 3  # moto's own loop makes thousands of passes in that second
    got: list[list[dict]] = []
    waiting = threading.Thread(target=lambda: got.append(_receive(sqs, queue, wait=20)))
    waiting.start()
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=held["ReceiptHandle"])  # frees the group
    waiting.join(10)
    assert not waiting.is_alive()
    assert [m["Body"] for m in got[0]] == ["behind"]


def test_a_long_poll_wakes_when_a_postponed_message_is_due(sqs):
    queue = _fifo(sqs)
    _send(sqs, queue, "g", "retry")
    (message,) = _receive(sqs, queue)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=1)
    (again,) = _receive(sqs, queue, wait=20)
    assert (again["Body"], again["Attributes"]["ApproximateReceiveCount"]) == ("retry", "2")


def test_ended_long_polls_return_at_once(sqs):
    queue = _fifo(sqs)
    got: list[list[dict]] = []
    waiting = threading.Thread(target=lambda: got.append(_receive(sqs, queue, wait=20)))
    waiting.start()
    try:
        poll(lambda: moto_patches._waiting)  # the receive is waiting
        moto_patches.end_long_polls()
        waiting.join(10)
        assert not waiting.is_alive()
        assert got == [[]]
    finally:
        moto_patches.allow_long_polls()
