"""boto3 clients, created on first use and reused for the life of the process, with timeouts that fit.

Clients honour AWS_ENDPOINT_URL, which is all the local runtime sets to point them at its emulator.

API Gateway's HTTP API ends every integration at 30 s, so an API function runs at most 29 s (its
Timeout) and every AWS call it makes must end inside that, retries included. A call's worst case is
`worst_case_seconds(config)`: (connect + read timeout) per attempt, times the attempts, plus the
longest backoff botocore sleeps between them. Two profiles:

* `request` (the default): what an API function calls. Every service but the model gets REQUEST
  (2 s + 5 s, 3 attempts: 24 s at worst); the model gets MODEL_REQUEST (2 s + 12 s, one attempt: 14 s),
  and its caller falls back to the offline engine when it fails.
* `background`: what queue- and state-machine-driven functions call; only the model differs
  (MODEL_BACKGROUND: 3 s + 60 s, 2 attempts: 127 s), and `panelist.interviews.ai.bedrock` keeps each
  capability call inside its function's Timeout (see MODEL_CALL_BUDGET there).

SES sends at most once (1 attempt): a read timeout leaves it unknown whether the mail went, and a
retry by botocore could send it twice. Callers that can retry safely (a throttled send was not sent)
do so themselves.

`max_attempts` in a botocore Config counts *retries* (total attempts = max_attempts + 1): every config
here says `total_max_attempts`, which counts the first attempt too.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, Literal

import boto3
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.config import Config

Profile = Literal["request", "background"]

REQUEST = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 3})
MODEL_REQUEST = Config(connect_timeout=2, read_timeout=12, retries={"mode": "standard", "total_max_attempts": 1})
# A model writing several questions can take tens of seconds (the whole answer comes before its first byte).
MODEL_BACKGROUND = Config(connect_timeout=3, read_timeout=60, retries={"mode": "standard", "total_max_attempts": 2})
MAIL = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 1})

MAX_BACKOFF = 20  # botocore's standard mode: the pause before retry i (1-based) is at most min(2 ** (i - 1), 20) s


def _s3(custom_endpoint: bool) -> Config:
    """SigV4 always (S3 refuses SigV2 for new buckets, and botocore still picks it for some regions and
    presigners), the regional endpoint in us-east-1 too, and virtual-hosted addressing
    (`https://<bucket>.s3.<region>.amazonaws.com/<key>`). A custom endpoint (an emulator or an S3-compatible
    service at an IP address or a name without wildcard DNS) gets path-style addressing, which it serves."""
    if custom_endpoint:
        addressing = Config(s3={"addressing_style": "path", "us_east_1_regional_endpoint": "regional"})
    else:
        addressing = Config(s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"})
    return REQUEST.merge(Config(signature_version="s3v4")).merge(addressing)


def _custom_endpoint(service: str) -> bool:
    name = service.upper().replace("-", "_")
    return bool(os.environ.get(f"AWS_ENDPOINT_URL_{name}") or os.environ.get("AWS_ENDPOINT_URL"))


def config(service: str, profile: Profile = "request") -> Config:
    """The client config of `service` for `profile`."""
    if service == "bedrock-runtime":
        return MODEL_BACKGROUND if profile == "background" else MODEL_REQUEST
    if service == "s3":
        return _s3(_custom_endpoint("s3"))
    if service == "ses":
        return MAIL
    return REQUEST


@cache
def client(service: str, *, profile: Profile = "request") -> Any:
    """The process's one client of a service (per profile); `client("s3")` is also the one presigner."""
    return boto3.client(service, config=config(service, profile))  # type: ignore[call-overload]


def _option(settings: Config, name: str) -> Any:
    return vars(settings).get(name)


def attempts(settings: Config) -> int:
    """How many times one call is tried at most, the first included."""
    retries = _option(settings, "retries") or {}
    if "total_max_attempts" in retries:
        return int(retries["total_max_attempts"])
    return int(retries.get("max_attempts", 2)) + 1  # botocore's `max_attempts` counts retries; standard default 3


def worst_case_seconds(settings: Config) -> float:
    """The longest one call can take before it fails: every attempt connecting and reading to its timeout,
    and botocore's longest pause before each retry (a throttled one: min(2 ** (i - 1), 20) s; botocore adds
    up to 5 s more only when a response carries `x-amz-retry-after`, which these services do not send)."""
    tries = attempts(settings)
    per_attempt = float(_option(settings, "connect_timeout")) + float(_option(settings, "read_timeout"))
    pauses = sum(min(2.0 ** (retry - 1), MAX_BACKOFF) for retry in range(1, tries))
    return tries * per_attempt + pauses


@cache
def secrets() -> SecretsProvider:
    """Secrets Manager behind Powertools' cache, on this module's client (its timeouts, not botocore's 60 s)."""
    return SecretsProvider(boto3_client=client("secretsmanager"))


def reset() -> None:
    """Forget cached clients and secrets (tests switch emulators between runs)."""
    client.cache_clear()
    secrets.cache_clear()
