"""Every patch of moto's internals: AWS behaviours the local runtime and the tests need that moto lacks.

They were written against moto MOTO_VERSION, whose private classes and methods they replace, and a
moto upgrade can break them without an error. tests/local/test_moto_patches.py fails when another
moto is installed: re-check each patch below against the new moto's source, then change MOTO_VERSION.

`apply()` installs them all, once per process (applying again changes nothing). Each replaced method
carries `panelist_patch = True`. moto is imported here only when `apply()` runs.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

MOTO_VERSION = "5.2.5"

# (function name or ARN, payload, request headers, response headers) -> the response payload, or None
# when the function is not one the router runs (moto then answers as it would).
LambdaRouter = Callable[[str, Any, Any, dict[str, str]], bytes | None]

_lambda_router: LambdaRouter | None = None
_dynamodb_lock = threading.RLock()
_long_polls_ended = threading.Event()
_waiting: list[threading.Condition] = []  # the queue conditions receives are waiting on now (one entry each)
_waiting_lock = threading.Lock()


def apply() -> None:
    """Install every patch below."""
    lambda_invocations_reach_the_router()
    dynamodb_requests_are_atomic()
    dynamodb_transactions_snapshot_each_table_once()
    step_functions_executions_get_unique_names()
    mocks_that_keep_their_data_let_go_of_the_rest()
    sqs_receives_wait_and_keep_fifo_order()


def end_long_polls() -> None:
    """ReceiveMessage calls waiting for messages return now, and later ones do not wait, until
    `allow_long_polls()`: for stopping the runtime's pollers without waiting out their long polls."""
    _long_polls_ended.set()
    with _waiting_lock:
        conditions = list(_waiting)
    for condition in conditions:
        with condition:
            condition.notify_all()


def allow_long_polls() -> None:
    _long_polls_ended.clear()


def route_lambda_invocations(router: LambdaRouter | None) -> None:
    """Send moto's Lambda invocations to `router` (None: moto's own behaviour again)."""
    global _lambda_router
    _lambda_router = router


def _patched(owner: type, name: str) -> bool:
    return getattr(owner.__dict__[name], "panelist_patch", False)


def _install(owner: type, name: str, method: Callable[..., Any]) -> None:
    method.panelist_patch = True  # type: ignore[attr-defined]
    setattr(owner, name, method)


def lambda_invocations_reach_the_router() -> None:
    """Lambda `Invoke` runs the function's code, in this process.

    moto runs functions in Docker (`LambdaBackend`) or answers a canned string (`LambdaSimpleBackend`,
    with `{"lambda": {"use_docker": False}}`). Step Functions tasks, Secrets Manager rotations and
    `lambda:Invoke` calls all end in `invoke(function_name, qualifier, body, headers, response_headers)`
    of those two classes (moto.awslambda.models, moto.awslambda_simple.models), replaced here to ask
    the router installed with `route_lambda_invocations` first.
    """
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda_simple.models import LambdaSimpleBackend

    for backend in (LambdaBackend, LambdaSimpleBackend):
        if _patched(backend, "invoke"):
            continue
        original = backend.__dict__["invoke"]

        def invoke(
            self: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
            _original: Any = original,
        ) -> Any:
            router = _lambda_router
            payload = router(function_name, body, headers, response_headers) if router else None
            if payload is None:
                return _original(self, function_name, qualifier, body, headers, response_headers)
            return payload

        _install(backend, "invoke", invoke)


def dynamodb_requests_are_atomic() -> None:
    """Each DynamoDB request is atomic, as DynamoDB's are, whatever thread sends it.

    moto's DynamoDB backend is not thread-safe (a transaction deep-copies tables that another thread may
    be changing), so requests from the threaded server or from threads in a test take turns: every
    request goes through `DynamoHandler.call_action` (moto.dynamodb.responses), which here holds one
    lock. Requests still interleave with each other exactly as they would against DynamoDB.
    """
    from moto.dynamodb.responses import DynamoHandler

    if _patched(DynamoHandler, "call_action"):
        return
    original = DynamoHandler.__dict__["call_action"]

    def call_action(self: Any) -> Any:
        with _dynamodb_lock:
            return original(self)

    _install(DynamoHandler, "call_action", call_action)


def dynamodb_transactions_snapshot_each_table_once() -> None:
    """A TransactWriteItems costs about what its items cost; a failed one still changes nothing.

    `DynamoDBBackend.transact_write_items` (moto.dynamodb.models) keeps a `copy.deepcopy` of the whole
    table per item of the transaction, for its rollback. Here the `copy` module that method sees is
    swapped, for the duration of the call (under the request lock, so no other request runs), for one
    that copies each table once: the same rollback, at a twentieth of the cost for a 20-item transaction.
    """
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    if _patched(models.DynamoDBBackend, "transact_write_items"):
        return
    original = models.DynamoDBBackend.__dict__["transact_write_items"]

    def transact_write_items(self: Any, transact_items: Any) -> Any:
        snapshots: dict[int, Any] = {}

        def deepcopy(value: Any, memo: Any = None) -> Any:
            if not isinstance(value, Table):
                return copy.deepcopy(value, memo)
            if id(value) not in snapshots:
                snapshots[id(value)] = copy.deepcopy(value)
            return snapshots[id(value)]

        with _dynamodb_lock:
            models.copy = SimpleNamespace(deepcopy=deepcopy)  # type: ignore[assignment]
            try:
                return original(self, transact_items)
            finally:
                models.copy = copy  # type: ignore[assignment]

    _install(models.DynamoDBBackend, "transact_write_items", transact_write_items)


def step_functions_executions_get_unique_names() -> None:
    """StartExecution without a name gets a unique one, as on AWS.

    moto's state machine interpreter (`StepFunctionsParserBackend.start_execution`, used with
    `{"stepfunctions": {"execute_state_machine": True}}`) names every unnamed execution "None", so the
    second one fails as a duplicate (or, with the same input, is the first one again); here a missing name
    becomes a UUID, as moto's other backend does.
    The import takes about a second (moto's ASL interpreter).
    """
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    if _patched(StepFunctionsParserBackend, "start_execution"):
        return
    original = StepFunctionsParserBackend.__dict__["start_execution"]

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    _install(StepFunctionsParserBackend, "start_execution", start_execution)


def mocks_that_keep_their_data_let_go_of_the_rest() -> None:
    """A mock stopped with `remove_data=False` keeps the data and lets go of moto's bookkeeping.

    No AWS behaviour: this is for tests that keep one emulated stack and turn the mock on per test
    (tests/functions/harness.py). `MockAWS._disable_patching` (moto.core.models) forgets the request
    callbacks it registers on every start (`responses_mock`, about 1,300 a start) and the instances of
    every moto model ever made (`model_instances`, for moto's dashboard) only when it removes the data;
    kept, they pile up test after test and every garbage collection walks them.
    """
    from moto.core import models
    from moto.core.custom_responses_mock import reset_responses_mock
    from moto.core.model_instances import reset_model_data

    if _patched(models.MockAWS, "_disable_patching"):
        return
    original = models.MockAWS.__dict__["_disable_patching"]

    def _disable_patching(self: Any, remove_data: bool) -> None:
        original(self, remove_data)
        if not remove_data:
            reset_responses_mock(models.responses_mock)
            reset_model_data()

    _install(models.MockAWS, "_disable_patching", _disable_patching)


def sqs_receives_wait_and_keep_fifo_order() -> None:
    """ReceiveMessage waits for messages without spinning, and FIFO queues hand out each group in order.

    moto's `SQSBackend.receive_message` (moto.sqs.models) long-polls by calling `Queue.wait_for_messages(1)`
    in a loop, which returns at once while any message is visible: a visible message of a FIFO group held by
    another one in flight keeps every receive spinning for its whole WaitTimeSeconds (an idle poller burns
    most of a core). And it releases the messages whose visibility timeout has passed one at a time, as it
    meets them, so an earlier message of a group is skipped while a later one still counts as in flight:
    the later one is delivered first.

    Here a receive is a pass over the queue at one instant (`_receive_once`): messages whose visibility
    timeout has passed are no longer in flight; then the messages are taken in the order they were sent,
    skipping the delayed and the invisible and, in a FIFO queue, every message of a group that has a
    message in flight or an earlier message not yet receivable; a message already received maxReceiveCount
    times moves to the dead-letter queue instead, as SQS does. Between passes the receive waits on the
    queue's condition until a message is sent, deleted or has its visibility changed (both patched to
    notify it), or until the next message becomes visible, at most its WaitTimeSeconds.
    """
    from moto.sqs.models import Queue, SQSBackend

    if _patched(SQSBackend, "receive_message"):
        return
    delete_message = Queue.__dict__["delete_message"]
    change_message_visibility = SQSBackend.__dict__["change_message_visibility"]

    def receive_message(
        self: Any,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> list[Any]:
        queue = self.get_queue(queue_name)
        deadline = time.monotonic() + wait_seconds_timeout
        condition: threading.Condition = queue._messages_lock
        with condition:
            with _waiting_lock:
                _waiting.append(condition)  # before the check below: end_long_polls() either sees it or is seen
            try:
                while True:
                    messages, wake_in = _receive_once(queue, count, visibility_timeout, message_attribute_names or [])
                    remaining = deadline - time.monotonic()
                    if messages or remaining <= 0 or _long_polls_ended.is_set():
                        return messages
                    condition.wait(remaining if wake_in is None else min(remaining, wake_in))
            finally:
                with _waiting_lock:
                    _waiting.remove(condition)

    def queue_delete_message(self: Any, receipt_handle: str) -> None:
        with self._messages_lock:
            delete_message(self, receipt_handle)
            self._messages_lock.notify_all()  # the message's group may be free now

    def backend_change_message_visibility(
        self: Any, queue_name: str, receipt_handle: str, visibility_timeout: int
    ) -> None:
        queue = self.get_queue(queue_name)
        with queue._messages_lock:
            change_message_visibility(self, queue_name, receipt_handle, visibility_timeout)
            queue._messages_lock.notify_all()  # the message may be visible now, or later than a waiter thinks

    _install(Queue, "delete_message", queue_delete_message)
    _install(SQSBackend, "change_message_visibility", backend_change_message_visibility)
    _install(SQSBackend, "receive_message", receive_message)


def _receive_once(
    queue: Any, count: int, visibility_timeout: int, attribute_names: list[str]
) -> tuple[list[Any], float | None]:
    """The messages one ReceiveMessage takes now (copies, as moto returns them) and, when there are none,
    the seconds until one may be (its visibility timeout or delay ends; None: no time will). Call it holding
    the queue's lock."""
    from moto.core.utils import unix_time_millis
    from moto.sqs.models import _filter_message_attributes

    now = unix_time_millis()
    for message in list(queue.pending_messages):
        if now > message.visible_at:
            queue.pending_messages.discard(message)  # its visibility timeout has passed: no longer in flight
    fifo = queue.fifo_queue
    held = {message.group_id for message in queue.pending_messages} if fifo else set()
    policy = queue.redrive_policy if queue.dead_letter_queue is not None else None
    retained_since = now - int(queue.message_retention_period) * 1000
    received: list[Any] = []
    expired: list[Any] = []
    dead: list[Any] = []
    wake_at: float | None = None
    for message in list(queue._messages):
        if message.sent_timestamp <= retained_since:
            expired.append(message)  # past the retention period: SQS deletes it
            continue
        if not now > message.visible_at or now < message.delayed_until:
            ready_at = max(message.visible_at, message.delayed_until)
            wake_at = ready_at if wake_at is None else min(wake_at, ready_at)
            if fifo:
                held.add(message.group_id)  # nothing after it in its group goes first
            continue
        if fifo and message.group_id in held:
            continue
        if policy and message.approximate_receive_count >= policy["maxReceiveCount"]:
            dead.append(message)
            continue
        queue.pending_messages.add(message)
        message.mark_received(visibility_timeout=visibility_timeout)
        copied = copy.deepcopy(message)  # moto filters the attributes of a copy
        _filter_message_attributes(copied, attribute_names)
        received.append(copied)
        if len(received) >= count:
            break
    for message in expired:
        queue._messages.remove(message)
    for message in dead:
        queue._messages.remove(message)
        queue.dead_letter_queue.add_message(message)
    return received, None if wake_at is None else max((wake_at - now) / 1000, 0.001)
