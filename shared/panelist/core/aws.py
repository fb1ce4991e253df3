"""boto3 clients, created on first use and reused for the life of the process.

Clients honour AWS_ENDPOINT_URL, which is all the local runtime sets to point them at its emulator.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)
_BY_SERVICE = {
    # A model writing several questions can take tens of seconds; two long attempts fit the step's timeout.
    "bedrock-runtime": Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=3, read_timeout=75),
    # Every presigned URL is SigV4: S3 refuses SigV2 for new buckets (and botocore still picks it in some regions).
    "s3": _CONFIG.merge(Config(signature_version="s3v4")),
}


@cache
def client(service: str) -> Any:
    """The process's one client of a service; `client("s3")` is also the one presigner."""
    return boto3.client(service, config=_BY_SERVICE.get(service, _CONFIG))  # type: ignore[call-overload]


def reset() -> None:
    """Forget cached clients (tests switch emulators between runs)."""
    client.cache_clear()
