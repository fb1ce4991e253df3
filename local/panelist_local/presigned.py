"""Presigned S3 requests checked as S3 checks them, in front of the emulator (moto does not check them).

* SigV2 (`AWSAccessKeyId`, `Signature`) is refused: S3 accepts only SigV4 on buckets created since 2020.
* SigV4: the algorithm, the credential scope, the expiry (at most 7 days, not passed) and the signature
  itself, recomputed with the secret of the key that signed.
* The signer's role must allow the action on the object, as S3 authorizes the signer when the URL is used:
  a URL a function presigns without s3:GetObject fails there, not here.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from panelist_local import iam

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MAX_EXPIRES = 7 * 24 * 3600
_ACTIONS = {"GET": "s3:GetObject", "HEAD": "s3:GetObject", "PUT": "s3:PutObject", "DELETE": "s3:DeleteObject"}


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _pairs(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
    return pairs


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _signing_key(secret: str, date: str, region: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def check(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    secret_of: Callable[[str], str | None],
    now: datetime | None = None,
) -> tuple[str, str] | None:
    """The access key and the `bucket/key` of a valid presigned request; None if it is not presigned.

    Raises Refusal with S3's status, code and message otherwise.
    """
    pairs = _pairs(raw_query)
    params = dict(pairs)
    if "Signature" in params and "AWSAccessKeyId" in params:
        raise Refusal(
            400,
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        )
    if "X-Amz-Signature" not in params:
        return None
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        raise Refusal(400, "AuthorizationQueryParametersError", "X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'")
    access_key, date, region, service, terminal = (params.get("X-Amz-Credential", "").split("/") + [""] * 5)[:5]
    if service != "s3" or terminal != "aws4_request" or not date:
        raise Refusal(400, "AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter")
    try:
        signed_at = datetime.strptime(params.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(params.get("X-Amz-Expires", ""))
    except ValueError:
        raise Refusal(400, "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires must be set") from None
    if not 0 < expires <= MAX_EXPIRES:
        raise Refusal(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds)")
    if (now or datetime.now(UTC)) > signed_at + timedelta(seconds=expires):
        raise Refusal(403, "AccessDenied", "Request has expired")
    secret = secret_of(access_key)
    if secret is None:
        raise Refusal(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
    signed_headers = params.get("X-Amz-SignedHeaders", "host").split(";")
    lowered = {k.lower(): v for k, v in headers.items()}
    canonical_headers = "".join(f"{name}:{' '.join(lowered.get(name, '').split())}\n" for name in signed_headers)
    canonical_query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(pairs) if k != "X-Amz-Signature")
    canonical_request = "\n".join(
        [method, raw_path, canonical_query, canonical_headers, ";".join(signed_headers), "UNSIGNED-PAYLOAD"]
    )
    scope = f"{date}/{region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    expected = hmac.new(_signing_key(secret, date, region), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
        raise Refusal(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    return access_key, unquote(raw_path.lstrip("/"))


class PresignedGuard:
    """WSGI middleware: presigned requests to the buckets are checked, and authorized against the signer's role."""

    def __init__(self, app: WsgiApp, buckets: Iterable[str], known_secrets: Mapping[str, str]) -> None:
        self.app = app
        self.buckets = set(buckets)
        self.known_secrets = dict(known_secrets)  # the runtime's own key (not a function's): unrestricted

    def _secret_of(self, access_key: str) -> str | None:
        role = iam.role_with_access_key(access_key)
        return role.secret_access_key if role else self.known_secrets.get(access_key)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
        raw_path, _, _ = raw_uri.partition("?")
        bucket = unquote(raw_path.lstrip("/").split("/", 1)[0])
        method = environ.get("REQUEST_METHOD", "GET")
        if bucket not in self.buckets or method == "OPTIONS":
            return self.app(environ, start_response)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if "CONTENT_TYPE" in environ:
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            checked = check(method, raw_path, environ.get("QUERY_STRING", ""), headers, self._secret_of)
            if checked is not None:
                self._authorize(method, *checked)
        except Refusal as refusal:
            return _error(start_response, refusal)
        return self.app(environ, start_response)

    def _authorize(self, method: str, access_key: str, object_path: str) -> None:
        role = iam.role_with_access_key(access_key)
        action = _ACTIONS.get(method)
        if role is None or action is None:
            return
        request = iam.Request(action, f"arn:aws:s3:::{object_path}")
        decision = role.decide(request)
        if not decision.allowed:
            raise Refusal(403, "AccessDenied", role.denial_message(request, decision))


def _error(start_response: Callable[..., Any], refusal: Refusal) -> Iterable[bytes]:
    from xml.sax.saxutils import escape

    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{refusal.code}</Code><Message>{escape(refusal.message)}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    ).encode()
    reasons = {400: "Bad Request", 403: "Forbidden"}
    start_response(
        f"{refusal.status} {reasons.get(refusal.status, 'Error')}",
        [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
    )
    return [body]
