"""Generate shared/panelist/api/openapi.json from template.yaml and the functions' own resolvers.

    python -m panelist_local.openapi --out shared/panelist/api/openapi.json   (what `make generate` runs)
    python -m panelist_local.openapi --check                                  (exit 1 when the file is stale)

Every HttpApi route of the template (but `$default`) is loaded the way `panelist serve` loads it (its folder
on sys.path only while its module imports) and its module's `app` handed to `panelist.api.openapi.build`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from panelist_local.handlers import load_handler
from panelist_local.template import Template

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "shared/panelist/api/openapi.json"
# What importing a handler needs (its settings are read at import); nothing is called.
_IMPORT_ENVIRONMENT = {
    "PANELIST_STAGE": "openapi",
    "PANELIST_TABLE": "panelist-openapi",
    "PANELIST_BUCKET": "panelist-openapi",
    "PANELIST_SECRET_ID": "panelist-openapi",
    "AWS_DEFAULT_REGION": "us-east-1",
}

DESCRIPTION = """\
Panelist: AI-conducted job interviews behind three API surfaces that share one data model.

* **InterviewRelay-style** routes (`/api/...`): errors `{"error": {"code", "message", "details": {"field", \
"expected"}}}`, lists paged with `limit`/`offset` (`total`, `pagination.has_more`).
* **Xobin-style** routes (`/api/v2/...`, `/ai-interviews/report/...`): errors `{"error": "..."}`.
* **JobMojito-style** routes (`/job-interview-*`, `/auth/token`): errors `{"error", "name"}`, 422 on validation.

**Credentials**: an organization API key in the `apiKey` header or as `Authorization: Bearer <key>`, or a \
short-lived access token from `POST /auth/token` as `Authorization: Bearer <token>`. Pages behind links and the \
Stripe webhook need none.

**Rate limits**: every answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` \
(hourly windows per organization plan; per source IP without credentials); a 429 carries `Retry-After`.

**Webhooks** (`webhooks` below) are signed per Standard Webhooks with the organization's secrets \
(`GET /api/webhooks/secret`)."""


@contextmanager
def _import_environment() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in _IMPORT_ENVIRONMENT}
    for name, value in _IMPORT_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        from panelist.core.settings import get_settings

        get_settings.cache_clear()  # nothing keeps the settings read under this environment


def operations(template: Template) -> list[Any]:
    """Every HttpApi route of the template with its function's resolver."""
    from panelist.api.openapi import Operation

    found = []
    with _import_environment():
        for route in template.all_routes:
            if route.path == "$default":
                continue
            function = template.functions[route.function]
            module = function.handler.rpartition(".")[0]
            app = load_handler(function.code_dir, f"{module}.app")  # the resolver (callable) beside the handler
            found.append(
                Operation(
                    route.method, route.path, function.code_dir.name, app, authorized=route.authorizer is not None
                )
            )
    return found


def generate(root: Path = ROOT) -> dict[str, Any]:
    from panelist.api import openapi
    from panelist.models.interviews import TaskStatus
    from panelist.webhooks.endpoints import EVENTS

    template = Template.load(root / "template.yaml", local=True)
    with _import_environment():
        return openapi.build(
            operations(template),
            events=list(EVENTS),
            notifications=[f"ai_interview.generation.{status.value}" for status in TaskStatus],
            description=DESCRIPTION,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m panelist_local.openapi", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write the document here (default: print it)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when {OUT.relative_to(ROOT)} is stale")
    args = parser.parse_args(argv)
    from panelist.api.openapi import dumps

    text = dumps(generate())
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run `make generate`", file=sys.stderr)
            return 1
        return 0
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
