"""`panelist serve`: the whole SAM app on one machine, no Docker, no AWS account."""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from panelist_local import iam, moto_patches
from panelist_local.emulator import Emulator, LambdaBridge, Provisioned, provision, sent_mail
from panelist_local.events_sqs import SqsPoller
from panelist_local.gateway import ApiGateway, GatewayServer, PortInUse
from panelist_local.handlers import Handlers
from panelist_local.template import ACCOUNT_ID, REGION, Schedule, Template

log = logging.getLogger("panelist_local")

DEFAULT_STATE_FILE = Path(".panelist") / "local.json"


class StartError(Exception):
    """Why the runtime cannot start, said in one line (the CLI exits with status 2)."""


def configure_logging(stream: TextIO = sys.stderr) -> None:
    """Runtime messages and the access log on stderr; handlers keep their own (Powertools) logging."""
    if not log.handlers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


class EnvironmentPatch:
    """Changes to os.environ that `restore` undoes (None unsets a variable)."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def apply(self, values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            self._saved.setdefault(key, os.environ.get(key))
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def restore(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()


def is_loopback(host: str) -> bool:
    """Whether a server bound to `host` is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def local_environment(
    variables: Mapping[str, str], emulator_env: Mapping[str, str | None], own_ports: Collection[int] | None
) -> dict[str, str | None]:
    """The functions' variables pointed at the emulator; nothing from the developer's AWS setup leaks in.

    Webhooks and notification URLs may go to loopback receivers (a test receiver on this machine) when
    `own_ports` is not None, i.e. while the runtime listens on a loopback address only; never to the
    ports in `own_ports`, the runtime's own API and emulator. Bound to another address, the server is
    reachable from elsewhere and a tenant's URL must not reach this machine: loopback is refused, as on AWS.
    """
    unset: dict[str, str | None] = {key: None for key in os.environ if key.startswith("AWS_ENDPOINT_URL_")}
    unset.update(AWS_PROFILE=None, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=None)
    loopback = {
        "PANELIST_ALLOW_LOOPBACK_WEBHOOKS": "0" if own_ports is None else "1",
        "PANELIST_REFUSED_LOOPBACK_PORTS": ",".join(map(str, sorted(own_ports or ()))),
    }
    return {**unset, **variables, **emulator_env, **loopback}


def scheduled_event(schedule: Schedule, now: datetime | None = None) -> dict[str, Any]:
    """What EventBridge (Schedule) or EventBridge Scheduler (ScheduleV2) sends when there is no Input."""
    now = now or datetime.now(UTC)
    if schedule.kind == "Schedule":
        source, resource = "aws.events", f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{schedule.name}"
    else:
        source, resource = "aws.scheduler", f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{schedule.name}"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": source,
        "account": ACCOUNT_ID,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [resource],
        "detail": {},
    }


def write_state_file(path: Path, state: Mapping[str, Any]) -> None:
    """Write JSON readable only by the owner (it holds the platform-admin key), whole or not at all: a script
    waiting for the file never reads it half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(state, file, indent=2)
        file.write("\n")
    os.replace(partial, path)


class LocalRuntime:
    def __init__(
        self,
        repo_root: Path | str,
        host: str = "127.0.0.1",
        port: int = 8787,
        demo: bool = False,
        state_file: Path | str | None = None,
        *,
        parameters: Mapping[str, str] | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.repo_root = Path(repo_root).resolve()
        self.host = host
        self.port = port
        self.demo = demo
        self.state_file = Path(state_file) if state_file else self.repo_root / DEFAULT_STATE_FILE
        self.parameters = dict(parameters or {})
        self.out = out or sys.stdout
        self.template: Template | None = None
        self.handlers: Handlers | None = None
        self.provisioned = Provisioned()
        self.platform_admin_key = ""
        self.stripe_webhook_secret = ""
        self.demo_data: dict[str, Any] | None = None
        self.started_in = 0.0
        self._gateway: GatewayServer | None = None
        self._emulator: Emulator | None = None
        self._bridge: LambdaBridge | None = None
        self._pollers: list[SqsPoller] = []
        self._env = EnvironmentPatch()
        self._wrote_state = False
        self._clients: dict[str, Any] = {}
        self._enforcement: iam.Enforcement | None = None

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        started = time.perf_counter()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.perf_counter() - started
        self._banner()
        assert self.handlers is not None
        self.handlers.warm()

    def _start(self) -> None:
        path = self.repo_root / "template.yaml"
        if not path.is_file():
            raise StartError(f"no template.yaml in {self.repo_root}")
        template = self.template = Template.load(path, self.parameters, local=True)
        try:
            # the SAM transform refuses what `sam deploy` would; its result is kept in .panelist/cache/
            roles = iam.Roles.from_template(template, cache_dir=self.repo_root / ".panelist" / "cache")
        except (ValueError, iam.PolicyError) as exc:
            raise StartError(f"{path} would not deploy: {exc}") from None
        problems = iam.wiring_problems(template, roles)
        if problems:
            raise StartError("AWS would refuse this template: " + "; ".join(problems))
        handlers = self.handlers = Handlers(template, roles)
        api = ApiGateway(template.routes, template.default_route, handlers.invoke, cors=template.cors, control=self)
        try:
            self._gateway = GatewayServer(api, self.host, self.port)  # bound first: a taken port fails fast
        except PortInUse as exc:
            raise StartError(str(exc)) from None
        except OSError as exc:
            raise StartError(f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from None

        self._emulator = Emulator(self.host if self.host in ("127.0.0.1", "localhost") else "127.0.0.1")
        self._emulator.start()
        variables, conflicts = template.shared_environment()
        # Links in reports rendered in the background point at the API: here, this server (on AWS the
        # render function gets the API's URL from the template, which is what the conflict is about).
        variables["PANELIST_PUBLIC_BASE_URL"] = variables.get("PANELIST_PUBLIC_BASE_URL") or self.base_url
        for conflict in conflicts:
            if not conflict.startswith("PANELIST_PUBLIC_BASE_URL "):
                log.warning("environment: %s; every function sees the first value", conflict)
        own_ports = {self._gateway.port, self._emulator.port} if is_loopback(self.host) else None
        if own_ports is None:
            log.warning(
                "listening on %s: webhooks and notification URLs to loopback receivers are refused, as on AWS "
                "(serve on 127.0.0.1 to test with a receiver on this machine)",
                self.host,
            )
        environment = local_environment(variables, self._emulator.environment(), own_ports)
        fonts = self.repo_root / ".tools" / "fonts" / "fonts.conf"  # the PDF layer's fonts, as `make serve` installs
        if "FONTCONFIG_FILE" not in os.environ and fonts.is_file():
            environment["FONTCONFIG_FILE"] = str(fonts)  # before a handler imports WeasyPrint
        self._env.apply(environment)
        self._bridge = LambdaBridge(template, handlers.invoke).install()
        self.provisioned = provision(template, self._emulator.session(), endpoint_url=self._emulator.url)
        self._enforcement = iam.install(roles, iam.Authorizer.for_stack(template, self.provisioned.secrets))
        self._emulator.guard_presigned_urls(list(self.provisioned.buckets.values()))
        self.platform_admin_key = self._secret_field("platform_admin_key")
        self.stripe_webhook_secret = self._secret_field("webhook_secret")
        if self.demo:
            from panelist_local import demo  # demo imports this module

            self.demo_data = demo.load(self)

        self._gateway.start()
        for source in template.sqs_sources:
            if source.enabled:
                arn = template.resolve({"Fn::GetAtt": [source.queue, "Arn"]})
                poller = SqsPoller(
                    source, self.provisioned.queues[source.queue], arn, self._client("sqs", fresh=True), handlers.invoke
                )
                poller.start()
                self._pollers.append(poller)
        for event in template.ignored_events:
            log.warning("%s: %s events (%s) are not emulated", event.function, event.type, event.event)
        self._write_state()

    def stop(self) -> None:
        for poller in self._pollers:
            poller.stop(timeout=0)
        if self._pollers:
            moto_patches.end_long_polls()  # the pollers' waiting receives return now, not in up to 20 s
        if self._gateway is not None:
            self._gateway.stop()
            self._gateway = None
        for poller in self._pollers:
            poller.stop()
        if self._pollers:
            moto_patches.allow_long_polls()
        self._pollers.clear()
        if self._bridge is not None:
            self._bridge.uninstall()
            self._bridge = None
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None
        if self._enforcement is not None:
            iam.uninstall(self._enforcement)
            self._enforcement = None
        self._env.restore()
        self._clients.clear()
        if self._wrote_state:
            self.state_file.unlink(missing_ok=True)
            self._wrote_state = False

    def __enter__(self) -> LocalRuntime:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -------------------------------------------------------------- facts

    @property
    def base_url(self) -> str:
        assert self._gateway is not None, "the runtime is not started"
        return self._gateway.url

    @property
    def emulator_url(self) -> str:
        assert self._emulator is not None, "the runtime is not started"
        return self._emulator.url

    def _client(self, service: str, *, fresh: bool = False) -> Any:
        """A boto3 client of the emulator (`fresh`: not shared, for a thread that blocks on it)."""
        assert self._emulator is not None
        if fresh or service not in self._clients:
            client = self._emulator.session().client(service, endpoint_url=self._emulator.url)  # type: ignore[call-overload]
            if fresh:
                return client
            self._clients[service] = client
        return self._clients[service]

    def _secret_field(self, name: str) -> str:
        """A field of the provisioned secrets (the platform-admin key, the Stripe webhook's signing secret), or ""."""
        for arn in self.provisioned.secrets.values():
            value = self._client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
            try:
                found = json.loads(value).get(name)
            except (ValueError, AttributeError):
                continue
            if found:
                return str(found)
        return ""

    def _write_state(self) -> None:
        state: dict[str, Any] = {
            "base_url": self.base_url,
            "emulator_url": self.emulator_url,
            "platform_admin_key": self.platform_admin_key,
            "iam_enforced": self._enforcement is not None,
        }
        if self.stripe_webhook_secret:  # what signs a delivery to the Stripe webhook here
            state["stripe_webhook_secret"] = self.stripe_webhook_secret
        if self.demo_data is not None:
            state["demo"] = self.demo_data
        write_state_file(self.state_file, state)
        self._wrote_state = True

    def _banner(self) -> None:
        lines = [
            f"Panelist is running locally (ready in {self.started_in:.1f} s)",
            f"  API                 {self.base_url}",
        ]
        if self.platform_admin_key:
            lines.append(f"  Platform admin key  {self.platform_admin_key}")
        if self.stripe_webhook_secret:
            lines.append(f"  Stripe secret       {self.stripe_webhook_secret}")  # signs deliveries to the webhook
        if self.demo_data:
            lines.append(f"  Demo member key     {self.demo_data.get('member_key', '')}")
            lines.append(f"  Demo admin key      {self.demo_data.get('admin_key', '')}")
        lines += [f"  State file          {self.state_file}", "Ctrl-C to stop"]
        print("\n".join(lines), file=self.out, flush=True)

    # -------------------------------------------------------------- control plane (/_panelist/)

    def fire_schedule(self, name: str, at: datetime | None = None) -> Any:
        """Run a schedule's function now, with the event EventBridge would send at `at` (default: now)."""
        assert self.template is not None
        assert self.handlers is not None
        schedule = self.template.schedule(name)
        event = schedule.input if schedule.input is not None else scheduled_event(schedule, at)
        return self.handlers.invoke(schedule.function, event)

    def mail(self, *, clear: bool = False) -> list[dict[str, Any]]:
        return sent_mail(clear=clear)

    def health(self) -> dict[str, Any]:
        """Open to anyone (no key): nothing that is not in template.yaml (the URLs are in the state file)."""
        assert self.template is not None
        return {"status": "ok", "functions": len(self.template.functions), "routes": len(self.template.all_routes)}
