"""Contract fuzzing: schemathesis over the whole OpenAPI document against a real `panelist serve --demo`.

Every operation gets a few generated requests (seeded: the same ones every run) with the demo's admin key (the
platform-admin key on platform-admin routes): no answer may be a 5xx, and every answer must conform to the
document (status code, content type, body schema, headers). A sample of real calls with the demo's own ids
checks the success bodies the random ids rarely reach.

The server is this module's own (conftest's `contract_server`, shared with test_sdk.py on one xdist worker):
the calls write into the demo organization, which other e2e tests count on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import READY_TIMEOUT, ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("contract")]

EXAMPLES_PER_OPERATION = 4  # ~70 operations: about 20 s on 2 cores, with the server's start
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def own_server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """A `panelist serve --demo` of its own (conftest's `contract_server`): its state, then it is stopped."""
    state_file = tmp_path_factory.mktemp("contract") / "local.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANELIST_", "POWERTOOLS_", "AWS_"))}
    command = [sys.executable, "-m", "panelist_local.cli", "serve", "--port", "0", "--demo"]
    process = subprocess.Popen(
        [*command, "--state-file", str(state_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + READY_TIMEOUT * 2
    try:
        while not state_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"panelist serve did not start:\n{process.communicate()[1]}")
            time.sleep(0.05)
        state = json.loads(state_file.read_text())
    except BaseException:
        process.kill()
        raise
    yield state
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr


def _document(base_url: str) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/openapi.json", timeout=30) as response:
        served = json.loads(response.read())
    committed = json.loads((Path(ROOT) / "shared/panelist/api/openapi.json").read_text())
    assert served["paths"] == committed["paths"], "the server answers another document than the committed one"
    assert served["servers"] == [{"url": base_url, "description": "This deployment"}]
    return served


def _credentials(state: dict, operation: Any) -> dict[str, str]:
    access = operation.definition.raw.get("x-panelist-access")
    if access == "public":
        return {}
    if access == "platform_admin":
        return {"Authorization": f"Bearer {state['platform_admin_key']}"}
    return {"apiKey": state["demo"]["admin_key"]}


def _failures(response: Any, case: Any) -> list[str]:
    try:
        case.validate_response(response, checks=CHECKS)
    except Exception as exc:  # schemathesis raises one group of every failed check
        return [f"{case.method} {case.formatted_path} -> {response.status_code}: {str(exc)[:1500]}"]
    return []


def _fuzz(operation: Any, base_url: str, headers: dict[str, str], failures: list[str]) -> int:
    """Call one operation with its generated cases; the number of calls made."""
    calls = 0

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def fuzz(case: Any) -> None:
        nonlocal calls
        calls += 1
        failures.extend(_failures(case.call(base_url=base_url, headers=headers, timeout=30), case))

    fuzz()
    return calls


def test_every_operation_answers_within_the_contract(contract_server):
    base_url = contract_server["base_url"]
    schema = schemathesis.openapi.from_dict(_document(base_url))
    failures: list[str] = []
    called = [
        _fuzz(result.ok(), base_url, _credentials(contract_server, result.ok()), failures)
        for result in schema.get_all_operations()
    ]
    assert len(called) >= 50  # every operation of the document, and each was called
    assert all(called), called
    assert failures == [], "\n\n".join(failures)


def test_a_sample_of_real_calls_conforms(contract_server):
    base_url = contract_server["base_url"]
    schema = schemathesis.openapi.from_dict(_document(base_url))
    ids = contract_server["demo"]["ids"]
    key = {"apiKey": contract_server["demo"]["admin_key"]}
    sample = [
        ("GET", "/api/campaigns", {}, {"limit": 2}),
        ("GET", "/api/campaigns/{id}", {"id": ids["campaign_id"]}, {}),
        ("GET", "/api/sessions", {}, {"campaign_id": ids["campaign_id"], "status": "completed"}),
        ("GET", "/api/invites/{token}", {"token": ids["invite_tokens"][0]}, {}),
        ("GET", "/api/v2/ai-interviews/details/{ai_interview_id}", {"ai_interview_id": 1}, {}),
        ("GET", "/api/billing/credits", {}, {}),
        ("GET", "/api/projects", {}, {}),
        ("GET", "/api/webhooks", {}, {}),
        ("POST", "/auth/token", {}, {}),
    ]
    failures = []
    statuses = []
    for method, path, path_parameters, query in sample:
        operation = schema[path][method]
        case = operation.Case(path_parameters=path_parameters, query=query or None)
        response = case.call(base_url=base_url, headers=key, timeout=30)
        statuses.append(response.status_code)
        failures += _failures(response, case)
    assert failures == [], "\n\n".join(failures)
    assert all(200 <= status < 300 for status in statuses), statuses
