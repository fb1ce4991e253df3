import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from panelist_local.cli import main
from panelist_local.template import Template
from tests.local.support import ROOT, poll


def test_routes_json_is_the_route_table_of_the_template(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["routes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == Template.load(ROOT / "template.yaml", local=True).route_table()
    assert main(["routes"]) == 0
    assert "POST    /api/admin/organizations " in capsys.readouterr().out


def test_invoke_without_a_runtime_uses_a_throwaway_emulator(app_root, tmp_path, monkeypatch, capsys):
    (tmp_path / "event.json").write_text(json.dumps({"n": 21}))
    monkeypatch.chdir(app_root)
    args = ["--event", str(tmp_path / "event.json"), "--state-file", str(tmp_path / "none.json")]
    assert main(["invoke", "StepFunction", *args]) == 0
    assert json.loads(capsys.readouterr().out) == {"n": 21, "double": 42}
    (tmp_path / "event.json").write_text(json.dumps({"n": -1}))
    assert main(["invoke", "step", *args]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"errorMessage": "-1 is negative", "errorType": "Rejected"}
    assert "Traceback" in captured.err
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_commands_that_need_a_runtime_say_so(app_root, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(app_root)
    assert main(["mail", "--state-file", str(tmp_path / "none.json")]) == 2
    assert capsys.readouterr().err == "panelist: no local runtime is running (start one with `panelist serve`)\n"
    assert main(["invoke", "NoSuchFunction"]) == 2
    assert "no function 'NoSuchFunction'" in capsys.readouterr().err


def test_a_taken_port_is_one_clear_line(app_root, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(app_root)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--port", str(port), "--state-file", str(tmp_path / "state.json")])
    assert code == 2
    assert capsys.readouterr().err == (
        f"panelist: port {port} on 127.0.0.1 is already in use (try --port 0 or another port)\n"
    )
    assert not (tmp_path / "state.json").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_stops_cleanly_on_ctrl_c_and_sigterm(tmp_path, signum):
    state_file = tmp_path / "local.json"
    serve = subprocess.Popen(
        [sys.executable, "-m", "panelist_local", "serve", "--port", "0", "--state-file", str(state_file)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        state = json.loads(poll(lambda: state_file.exists() and state_file.read_text(), timeout=30))
        with urllib.request.urlopen(f"{state['base_url']}/_panelist/health", timeout=5) as health:
            assert json.loads(health.read())["status"] == "ok"
        serve.send_signal(signum)
        out, err = serve.communicate(timeout=15)
    finally:
        serve.kill()
    assert serve.returncode == 0
    assert "Traceback" not in err
    assert state["base_url"] in out
    assert state["platform_admin_key"] in out
    assert "Ctrl-C to stop" in out
    assert not state_file.exists()
