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


def apply() -> None:
    """Install every patch below."""
    lambda_invocations_reach_the_router()
    dynamodb_requests_are_atomic()
    dynamodb_transactions_snapshot_each_table_once()
    step_functions_executions_get_unique_names()
    mocks_that_keep_their_data_let_go_of_the_rest()


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
