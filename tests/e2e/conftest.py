"""A real `panelist serve --demo` on a free loopback port, driven over HTTP as a client would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpReply:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return HttpReply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return HttpReply(error.code, dict(error.headers), error.read())


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """The running server's state file contents; the server is stopped with Ctrl-C at the end."""
    state_file = tmp_path_factory.mktemp("serve") / "local.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANELIST_", "POWERTOOLS_", "AWS_"))}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "panelist_local.cli",
            "serve",
            "--port",
            "0",
            "--demo",
            "--state-file",
            str(state_file),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + READY_TIMEOUT
    try:
        while not state_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"panelist serve did not start:\n{process.communicate()[1]}")
            time.sleep(0.05)
        state = json.loads(state_file.read_text())
    except BaseException:
        process.kill()  # never left running past the session
        raise
    yield {**state, "state_file": str(state_file)}
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


@pytest.fixture(scope="session")
def client(served) -> Client:
    return Client(served["base_url"])


@pytest.fixture(scope="session")
def platform_admin(served) -> dict[str, str]:
    return {"Authorization": f"Bearer {served['platform_admin_key']}"}


@pytest.fixture(scope="session")
def contract_server(tmp_path_factory):
    """A server of its own for test_contract_fuzz and test_sdk: they write into the demo organization."""
    from tests.e2e.test_contract_fuzz import own_server

    yield from own_server(tmp_path_factory)
