"""Checking a webhook Panelist sent: Standard Webhooks signatures (https://www.standardwebhooks.com)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["TOLERANCE_SECONDS", "WebhookVerificationError", "sign", "verify_webhook"]

TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 - a format marker


class WebhookVerificationError(ValueError):
    """The request is not a webhook signed by one of the secrets within the tolerance: answer it with 400."""


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("not a webhook secret (whsec_<base64>)") from None


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of a message (what Panelist puts in `webhook-signature`)."""
    digest = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_webhook(
    secrets: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> Any:
    """The webhook's JSON payload, once its signature checks out; WebhookVerificationError otherwise.

    `body` must be the exact bytes received (not re-serialized JSON). `secrets`: the organization's secret, or
    both while a rotation overlaps (GET /api/webhooks/secret). Deduplicate on `headers["webhook-id"]`.
    """
    if isinstance(secrets, str):
        secrets = [secrets]
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id", "")
    stamp = lower.get("webhook-timestamp", "")
    offered = lower.get("webhook-signature", "")
    if not (msg_id and stamp.isdigit() and offered):
        raise WebhookVerificationError("missing or malformed webhook-id, webhook-timestamp or webhook-signature")
    timestamp = int(stamp)
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise WebhookVerificationError("the timestamp is outside the tolerance (a replay, or a clock far off)")
    candidates = [s.encode() for s in offered.split() if s.startswith("v1,")]
    for secret in secrets:
        expected = sign(secret, msg_id, timestamp, body).encode()
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            try:
                return json.loads(body)
            except ValueError:
                raise WebhookVerificationError("the body is not JSON") from None
    raise WebhookVerificationError("no signature matches")
