"""The `panelist` command: run the app locally, invoke one function, fire schedules, read mail."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import traceback
import urllib.error
import urllib.request
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from panelist_local.emulator import CREDENTIALS, MOTO_CONFIG, LambdaBridge, provision
from panelist_local.handlers import Handlers
from panelist_local.runtime import (
    DEFAULT_STATE_FILE,
    EnvironmentPatch,
    LocalRuntime,
    StartError,
    configure_logging,
    is_loopback,
    local_environment,
)
from panelist_local.template import Template, TemplateError


class CliError(Exception):
    """A one-line reason to stop, printed as `panelist: <reason>` (exit status 2)."""


def find_repo_root(start: Path | None = None) -> Path:
    """The nearest folder holding template.yaml, from the working directory up, else this checkout."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents, Path(__file__).resolve().parents[2]):
        if (folder / "template.yaml").is_file():
            return folder
    raise CliError("no template.yaml in this folder or above")


def _state_file(args: argparse.Namespace, root: Path) -> Path:
    return Path(args.state_file) if args.state_file else root / DEFAULT_STATE_FILE


def _http(method: str, url: str, timeout: float = 30, *, key: str = "") -> tuple[int, Any]:
    """Call the runtime's control plane; `key`, the platform-admin key, is what it asks for (not health)."""
    if not url.startswith("http://"):
        raise CliError(f"unexpected runtime URL {url!r}")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310 - http:// checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def running_state(state_file: Path) -> dict[str, Any] | None:
    """The state of the runtime that wrote `state_file`, if it is still answering."""
    try:
        state = json.loads(state_file.read_text())
        status, _ = _http("GET", f"{state['base_url']}/_panelist/health", timeout=2)
    except (OSError, ValueError, KeyError, TypeError, CliError):
        return None
    return state if status == 200 else None


def _require_runtime(args: argparse.Namespace) -> dict[str, Any]:
    state = running_state(_state_file(args, find_repo_root()))
    if state is None:
        raise CliError("no local runtime is running (start one with `panelist serve`)")
    return state


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


# ------------------------------------------------------------------ commands


def serve(args: argparse.Namespace) -> int:
    root = find_repo_root()
    configure_logging()
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    runtime = LocalRuntime(root, args.host, args.port, args.demo, _state_file(args, root))
    try:
        runtime.start()
        while not stop.wait(1):
            pass
    except (StartError, TemplateError) as exc:
        raise CliError(str(exc)) from None
    finally:
        runtime.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def invoke(args: argparse.Namespace) -> int:
    """Run one function on an event, like `sam local invoke`; its logs go to stderr, its result to stdout.

    The function works against the running runtime's emulator when there is one, else against a
    throwaway in-memory emulator provisioned from the template.
    """
    root = find_repo_root()
    template = Template.load(root / "template.yaml", local=True)
    fn = template.function(args.function)
    if args.event == "-":
        event = json.load(sys.stdin)
    else:
        event = json.loads(Path(args.event).read_text()) if args.event else {}
    state = running_state(_state_file(args, root))
    stdout = sys.stdout
    environment = EnvironmentPatch()
    try:
        with redirect_stdout(sys.stderr):
            if state is not None:
                port = state["emulator_url"].rsplit(":", 1)[1]
                emulator = {**CREDENTIALS, "AWS_ENDPOINT_URL": state["emulator_url"], "MOTO_PORT": port}
                environment.apply(local_environment(fn.environment, emulator, _own_ports(state)))
                ok, result = _run(Handlers(template), fn.logical_id, event)
            else:
                ok, result = _run_ephemeral(template, fn.logical_id, event, environment)
    finally:
        environment.restore()
    print(json.dumps(result, indent=2, default=str), file=stdout)
    return 0 if ok else 1


def _own_ports(state: dict[str, Any]) -> set[int] | None:
    """The running runtime's ports when it listens on loopback only (see `local_environment`), else None."""
    api, emulator = urlsplit(state["base_url"]), urlsplit(state["emulator_url"])
    if not is_loopback(api.hostname or ""):
        return None
    return {port for port in (api.port, emulator.port) if port}


def _run(handlers: Handlers, logical_id: str, event: Any) -> tuple[bool, Any]:
    try:
        return True, handlers.invoke(logical_id, event)
    except Exception as exc:
        traceback.print_exc()
        return False, {"errorMessage": str(exc), "errorType": type(exc).__name__}


def _run_ephemeral(template: Template, logical_id: str, event: Any, environment: EnvironmentPatch) -> tuple[bool, Any]:
    from moto import mock_aws  # takes about a second: only this command needs it

    with mock_aws(config=MOTO_CONFIG):
        emulator = {**CREDENTIALS, "AWS_ENDPOINT_URL": None}  # mock_aws intercepts the default endpoints
        own_ports: tuple[int, ...] = ()  # no server: no port of its own to keep receivers away from
        environment.apply(local_environment(template.functions[logical_id].environment, emulator, own_ports))
        handlers = Handlers(template)
        with LambdaBridge(template, handlers.invoke):
            provision(template)
            return _run(handlers, logical_id, event)


def schedule_run(args: argparse.Namespace) -> int:
    state = _require_runtime(args)
    query = f"?at={quote(args.at)}" if args.at else ""
    url = f"{state['base_url']}/_panelist/schedules/{quote(args.name, safe='')}{query}"
    status, body = _http("POST", url, key=state.get("platform_admin_key", ""))
    _print_json(body)
    return 0 if status < 400 else 1


def mail(args: argparse.Namespace) -> int:
    state = _require_runtime(args)
    status, body = _http("GET", f"{state['base_url']}/_panelist/mail", key=state.get("platform_admin_key", ""))
    if status >= 400:
        _print_json(body)
        return 1
    _print_json(body["messages"])
    return 0


def routes(args: argparse.Namespace) -> int:
    template = Template.load(find_repo_root() / "template.yaml", local=True)
    if args.json:
        print(json.dumps(template.route_table(), indent=2))
        return 0
    for route in sorted(template.all_routes, key=lambda r: (r.path == "$default", r.path, r.method)):
        auth = route.authorizer.name if route.authorizer else "none"
        print(f"{route.method:<7} {route.path:<55} {route.function:<32} auth: {auth}")
    return 0


def transcribe(args: argparse.Namespace) -> int:
    """Print the transcript of an audio file as JSON: the code path the interview pipeline uses."""
    import mimetypes
    import os

    from panelist.core.errors import PanelistError
    from panelist.interviews.speech import Transcript
    from panelist.interviews.speech.aws import AwsRecognizer
    from panelist.interviews.speech.offline import OfflineRecognizer
    from panelist.interviews.speech.openai import OpenAIRecognizer

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    content_type = args.content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    try:
        if args.engine == "aws":
            if not args.bucket:
                raise CliError("--engine aws needs --bucket (the recording is uploaded there for Amazon Transcribe)")
            engine: OfflineRecognizer | AwsRecognizer | OpenAIRecognizer = AwsRecognizer(args.bucket)
        elif args.engine == "openai":
            base_url = args.base_url or os.environ.get("PANELIST_OPENAI_BASE_URL", "https://api.openai.com/v1")
            key = os.environ.get("PANELIST_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY", "")
            engine = OpenAIRecognizer(base_url, key, args.model)
        else:
            engine = OfflineRecognizer()
        transcript: Transcript = engine.transcribe(path, content_type=content_type, language=args.language)
    except (PanelistError, ValueError) as exc:
        raise CliError(str(exc)) from None
    _print_json(transcript.model_dump(mode="json"))
    return 0


def backfill(args: argparse.Namespace) -> int:
    """Index what an earlier deployment stored (issue 15), once: against the running runtime's emulator when
    `panelist serve` runs, else against the AWS account of the environment (the table: --table or
    PANELIST_TABLE). Prints {kind: {missing, written, skipped}} per organization and in total as JSON."""
    import os

    root = find_repo_root()
    state = running_state(_state_file(args, root))
    environment = EnvironmentPatch()
    if state is not None:
        template = Template.load(root / "template.yaml", local=True)
        port = state["emulator_url"].rsplit(":", 1)[1]
        emulator = {**CREDENTIALS, "AWS_ENDPOINT_URL": state["emulator_url"], "MOTO_PORT": port}
        variables = template.function("list_sessions").environment
        environment.apply(local_environment(variables, emulator, _own_ports(state)))
    else:
        table = args.table or os.environ.get("PANELIST_TABLE", "")
        if not table:
            raise CliError("no local runtime is running: name the deployed table with --table or PANELIST_TABLE")
        # Only the table is used; the other settings a function needs are not, but must be valid.
        defaults = {"PANELIST_STAGE": "backfill", "PANELIST_BUCKET": "unused", "PANELIST_SECRET_ID": "unused"}
        environment.apply({**{k: v for k, v in defaults.items() if k not in os.environ}, "PANELIST_TABLE": table})
    from panelist.accounts.store import get_organization
    from panelist.core import aws
    from panelist.core.errors import PanelistError
    from panelist.core.settings import get_settings
    from panelist_local.backfill import backfill as run_backfill

    get_settings.cache_clear()
    aws.reset()
    try:
        if args.organization:
            get_organization(args.organization)
        report = run_backfill(args.organization, dry_run=args.dry_run)
    except PanelistError as exc:
        raise CliError(str(exc)) from None
    finally:
        environment.restore()
        get_settings.cache_clear()
        aws.reset()
    _print_json(report)
    return 0


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state-file",
        help=f"where a running runtime's URLs and keys are (default: {DEFAULT_STATE_FILE} "
        "in the folder of template.yaml)",
    )
    parser = argparse.ArgumentParser(
        prog="panelist", description="Panelist on this machine: no Docker, no AWS account."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", parents=[common], help="run the whole app locally")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    serve_parser.add_argument("--demo", action="store_true", help="create a demo organization and keys")
    serve_parser.set_defaults(run=serve)

    invoke_parser = commands.add_parser("invoke", parents=[common], help="run one function on an event")
    invoke_parser.add_argument(
        "function", help="logical id (CreateOrganizationFunction) or folder (create_organization)"
    )
    invoke_parser.add_argument("--event", help="event JSON file, - for stdin (default: {})")
    invoke_parser.set_defaults(run=invoke)

    schedule_parser = commands.add_parser("schedule", help="scheduled events of the running runtime")
    schedule_commands = schedule_parser.add_subparsers(dest="action", required=True)
    run_parser = schedule_commands.add_parser("run", parents=[common], help="fire a schedule now")
    run_parser.add_argument("name", help="the schedule's Name or event key")
    run_parser.add_argument("--at", help="fire it as if at this ISO 8601 date-time (default: now)")
    run_parser.set_defaults(run=schedule_run)

    mail_parser = commands.add_parser("mail", parents=[common], help="print the mail the running runtime sent")
    mail_parser.set_defaults(run=mail)

    routes_parser = commands.add_parser("routes", parents=[common], help="print the HTTP routes of template.yaml")
    routes_parser.add_argument(
        "--json", action="store_true", help="{path: [methods]} (functions/route_not_found/routes.json)"
    )
    routes_parser.set_defaults(run=routes)

    speech_parser = commands.add_parser("transcribe", help="print the transcript of an audio file as JSON")
    speech_parser.add_argument("file", help="the recording (WAV; webm/ogg/mp4 too with ffmpeg or another engine)")
    speech_parser.add_argument("--engine", choices=("offline", "aws", "openai"), default="offline")
    speech_parser.add_argument("--language", default="en", help="the interview's language code (default: en)")
    speech_parser.add_argument("--content-type", help="the file's MIME type (default: guessed from its name)")
    speech_parser.add_argument("--bucket", help="aws: the S3 bucket to upload the recording to")
    speech_parser.add_argument("--base-url", help="openai: the API root (default: PANELIST_OPENAI_BASE_URL or OpenAI)")
    speech_parser.add_argument("--model", default="whisper-1", help="openai: the transcription model")
    speech_parser.set_defaults(run=transcribe)

    backfill_parser = commands.add_parser(
        "backfill", parents=[common], help="index what an earlier deployment stored (once, after upgrading)"
    )
    backfill_parser.add_argument("--organization", help="one organization's id (default: every organization)")
    backfill_parser.add_argument("--dry-run", action="store_true", help="count what is missing, write nothing")
    backfill_parser.add_argument("--table", help="without a running runtime: the deployed table (or PANELIST_TABLE)")
    backfill_parser.set_defaults(run=backfill)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (CliError, TemplateError, StartError) as exc:
        print(f"panelist: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
