"""The template's Lambda handlers, imported from functions/<dir>/ and run in this process."""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from panelist_local import iam
from panelist_local.template import Function, Template

Handler = Callable[[Any, Any], Any]

_import_lock = threading.RLock()  # sys.path and sys.modules change while a function's module loads
_modules: dict[Path, Any] = {}
_routing_lock = threading.RLock()


def _route_one_event_at_a_time() -> None:
    """Powertools keeps the current event on a class attribute that every resolver of a process shares.

    A Lambda instance runs one event at a time, so that is safe on AWS; here all functions share one
    process, so HTTP routing and the route handlers take turns (the authorizer, the rate-limit count
    and everything else still run concurrently, as in separate instances).
    """
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    resolve = APIGatewayHttpResolver.resolve
    if getattr(resolve, "panelist_patch", False):
        return

    def one_at_a_time(self: Any, event: Any, context: Any) -> Any:
        with _routing_lock:
            return resolve(self, event, context)

    one_at_a_time.panelist_patch = True  # type: ignore[attr-defined]
    APIGatewayHttpResolver.resolve = one_at_a_time  # type: ignore[method-assign]


_route_one_event_at_a_time()


@dataclass
class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout: int = 3
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout - (time.monotonic() - self._started)) * 1000))

    @classmethod
    def for_function(cls, fn: Function) -> LambdaContext:
        return cls(fn.name, fn.memory_size, fn.arn, fn.timeout)


def _module_name(file: Path) -> str:
    name = "panelist_fn_" + re.sub(r"\W", "_", file.parent.name)
    if file.stem != "app":
        name += "__" + re.sub(r"\W", "_", file.stem)
    taken = {getattr(m, "__name__", "") for m in _modules.values()}
    return name if name not in taken else f"{name}_{len(_modules)}"


def _load_module(file: Path, search_path: Path) -> Any:
    with _import_lock:
        if file in _modules:
            return _modules[file]
        name = _module_name(file)
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {file}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before executing: pydantic and dataclasses look their module up
        sys.path.insert(0, str(search_path))
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        finally:
            sys.path.remove(str(search_path))
        _modules[file] = module
        return module


def load_handler(function_dir: Path | str, handler: str = "app.handler") -> Handler:
    """The handler `module.attribute` of a function folder, imported once under a unique module name.

    The folder is on sys.path only while its module is imported, as Lambda would have it at the root.
    """
    function_dir = Path(function_dir).resolve()
    module_path, _, attribute = handler.rpartition(".")
    file = function_dir / (module_path.replace(".", "/") + ".py")
    if not file.is_file():
        raise FileNotFoundError(f"handler {handler!r}: {file} does not exist")
    handler_fn = getattr(_load_module(file, function_dir), attribute, None)
    if not callable(handler_fn):
        raise AttributeError(f"{file} has no callable {attribute!r}")
    return handler_fn  # type: ignore[no-any-return]


class Handlers:
    """Invokes the template's functions; each runs one event at a time, as one Lambda instance would.

    Module-level state (Powertools resolvers keep the current event on a global) makes concurrent
    events in one module unsafe; different functions run concurrently. With `roles`, each runs under
    its own execution role (panelist_local.iam).
    """

    def __init__(self, template: Template, roles: iam.Roles | None = None) -> None:
        self.template = template
        self.roles = roles
        self._locks = {logical_id: threading.Lock() for logical_id in template.functions}

    def role(self, logical_id: str) -> iam.Role | None:
        """The execution role the function runs under (None: unrestricted, when IAM is not enforced)."""
        return self.roles[logical_id] if self.roles is not None else None

    def handler(self, logical_id: str) -> Handler:
        fn = self.template.functions[logical_id]
        return load_handler(fn.code_dir, fn.handler)

    def invoke(self, logical_id: str, event: Any, context: Any = None) -> Any:
        fn = self.template.function(logical_id)
        handler = self.handler(fn.logical_id)
        with self._locks[fn.logical_id], iam.acting_as(self.role(fn.logical_id)):
            return handler(event, context or LambdaContext.for_function(fn))

    def warm(self) -> threading.Thread:
        """Import every handler in the background so the first requests do not pay for it."""

        def run() -> None:
            for logical_id in self.template.functions:
                try:
                    self.handler(logical_id)
                except Exception:  # noqa: S112 - the first real invocation reports the error
                    continue

        thread = threading.Thread(target=run, name="panelist-warm", daemon=True)
        thread.start()
        return thread
