"""What `panelist serve` keeps from its tenants: its control plane, and itself as a webhook receiver."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import READY_TIMEOUT, ROOT, Client
from tests.e2e.test_generation import receiver  # noqa: F401 - a fixture
from tests.functions.test_generate_interview import SEED_REQUEST


def test_the_control_plane_answers_the_platform_admin_key_only(client, served, platform_admin):
    tenant_admin = {"Authorization": f"Bearer {served['demo']['admin_key']}"}
    for method, path in (("GET", "/_panelist/mail"), ("POST", "/_panelist/schedules/MonthlyCreditsReset")):
        assert client.request(method, path).status == 401
        refused = client.request(method, path, headers=tenant_admin)
        assert (refused.status, refused.json) == (403, {"message": "Forbidden: not the platform-admin key"})
    assert "messages" in client.request("GET", "/_panelist/mail", headers=platform_admin).json
    health = client.request("GET", "/_panelist/health")
    assert (health.status, set(health.json)) == (200, {"status", "functions", "routes"})


def test_a_tenant_url_pointing_at_the_server_itself_is_refused(client, served, receiver):  # noqa: F811
    key = {"Authorization": f"Bearer {served['demo']['admin_key']}"}
    port = served["base_url"].rsplit(":", 1)[1]
    for url in (
        f"{served['base_url']}/_panelist/schedules/MonthlyCreditsReset",
        f"http://localhost:{port}/_panelist/mail",
        f"http://127.0.0.2:{port}/api/sessions",
        f"{served['emulator_url']}/",
    ):
        reply = client.request("POST", "/api/webhooks", body={"url": url}, headers=key)
        assert reply.status == 400, (url, reply.raw)
        assert reply.json["error"]["details"]["field"] == "url"
        assert "of the local runtime itself" in reply.json["error"]["message"]
        job = {**SEED_REQUEST, "notification_url": url}
        reply = client.request("POST", "/api/v2/ai-interviews/generate-interview", body=job, headers=key)
        assert reply.status == 400, (url, reply.raw)
        assert "notification_url" in reply.raw.decode()
    elsewhere = client.request("POST", "/api/webhooks", body={"url": receiver.url}, headers=key)
    assert elsewhere.status == 201, elsewhere.raw  # a receiver of the developer's, on another loopback port
    assert client.request("DELETE", f"/api/webhooks/{elsewhere.json['id']}", headers=key).status == 204


@pytest.fixture
def served_on_all_interfaces(tmp_path):
    state_file = tmp_path / "local.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANELIST_", "POWERTOOLS_", "AWS_"))}
    command = [sys.executable, "-m", "panelist_local.cli", "serve", "--host", "0.0.0.0", "--port", "0", "--demo"]  # noqa: S104
    process = subprocess.Popen(
        [*command, "--state-file", str(state_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not state_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"panelist serve did not start:\n{process.communicate(timeout=5)[1]}")
            time.sleep(0.05)
        yield json.loads(state_file.read_text())
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0, stderr
        assert "webhooks and notification URLs to loopback receivers are refused" in stderr
    finally:
        process.kill()


def test_served_on_every_interface_no_loopback_receiver_is_accepted(served_on_all_interfaces, receiver):  # noqa: F811
    state = served_on_all_interfaces
    client = Client(state["base_url"].replace("0.0.0.0", "127.0.0.1"))  # noqa: S104
    key = {"Authorization": f"Bearer {state['demo']['admin_key']}"}
    for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost")):
        reply = client.request("POST", "/api/webhooks", body={"url": url}, headers=key)
        assert reply.status == 400, (url, reply.raw)
        assert reply.json["error"]["details"]["field"] == "url"
