"""Presigned S3 requests checked as S3 checks them, in front of the emulator (moto does not check them).

* SigV2 (`AWSAccessKeyId`, `Signature`) is refused: S3 accepts only SigV4 on buckets created since 2020.
* SigV4: the algorithm, the credential scope, the expiry (at most 7 days, not passed) and the signature
  itself, recomputed with the secret of the key that signed.
* The signer's role must allow the action on the object, as S3 authorizes the signer when the URL is used:
  a URL a function presigns without s3:GetObject fails there, not here.
* Browser-based uploads (a presigned POST: a multipart/form-data POST to the bucket) are checked as S3 checks
  them (`check_post`): the SigV4 signature of the policy document, its expiration, every condition of it
  (exact and starts-with matches, `content-length-range` against the file's size), no form field the policy
  does not name, and s3:PutObject on the key for the signer's role. moto stores such a POST unchecked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any
from urllib.parse import quote, unquote

from panelist_local import iam

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MAX_EXPIRES = 7 * 24 * 3600
_ACTIONS = {"GET": "s3:GetObject", "HEAD": "s3:GetObject", "PUT": "s3:PutObject", "DELETE": "s3:DeleteObject"}


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str, **details: int | str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details  # S3's further elements of the error (ProposedSize, MaxSizeAllowed, ...)


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
    if not hmac.compare_digest(expected.encode(), params["X-Amz-Signature"].encode()):
        raise Refusal(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    return access_key, unquote(raw_path.lstrip("/"))


# ------------------------------------------------------------------ browser-based uploads (presigned POST)

# Form fields the policy need not name (S3: the signature, the file, the policy itself, and x-ignore-*).
_UNCONDITIONED = {"x-amz-signature", "file", "policy"}
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)


@dataclass(frozen=True)
class PostUpload:
    """A browser-based upload S3 would accept: who signed it, the object it writes, the file's size."""

    access_key: str
    key: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)  # lower-cased names


def _malformed() -> Refusal:
    return Refusal(400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")


def form_parts(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], bytes | None]:
    """The fields of a multipart/form-data body up to its `file` field, in order, and the file's bytes.

    S3 ignores what follows the file; a body without one gives None.
    """
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str) or not boundary:
        raise _malformed()
    pieces = (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        raise _malformed()
    fields: list[tuple[str, str]] = []
    for piece in pieces[1:-1]:
        _, _, part = piece.partition(b"\r\n")  # the rest of the delimiter line
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator:
            raise _malformed()
        name = BytesHeaderParser().parsebytes(head + b"\r\n\r\n").get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise _malformed()
        if name.lower() == "file":
            return fields, content
        fields.append((name, content.decode("utf-8", "replace")))
    return fields, None


def _policy(encoded: str) -> dict[str, Any]:
    try:
        policy = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
    if not isinstance(policy, dict) or "expiration" not in policy:
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.")
    if not isinstance(policy.get("conditions"), list):
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Policy missing conditions.")
    return policy


def _expiration(policy: Mapping[str, Any]) -> datetime:
    try:
        expires = datetime.fromisoformat(str(policy["expiration"]))
    except ValueError:
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value.") from None
    return expires if expires.tzinfo else expires.replace(tzinfo=UTC)


def _range(condition: Any) -> tuple[int, int] | None:
    """The bounds of a content-length-range condition; None for another condition."""
    if not (isinstance(condition, list) and condition and str(condition[0]).lower() == "content-length-range"):
        return None
    try:
        low, high = condition[1:]
        return int(low), int(high)
    except (TypeError, ValueError):
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid content-length-range.") from None


def _check_fields(conditions: list[Any], bucket: str, fields: Mapping[str, str]) -> None:
    """Every eq and starts-with condition holds, and every field (but the unconditioned) is named by one."""
    named: set[str] = set()
    for condition in conditions:
        if _range(condition) is not None:
            continue
        if isinstance(condition, dict) and len(condition) == 1:
            ((shown, value),) = condition.items()
            operator, shown = "eq", f"${shown}"
        elif (
            isinstance(condition, list)
            and len(condition) == 3
            and str(condition[0]).lower() in ("eq", "starts-with")
            and str(condition[1]).startswith("$")
        ):
            operator, shown, value = str(condition[0]).lower(), str(condition[1]), condition[2]
        else:
            raise Refusal(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")
        name = shown[1:].lower()
        actual = bucket if name == "bucket" else fields.get(name, "")
        holds = actual == str(value) if operator == "eq" else actual.startswith(str(value))
        if not holds:
            failed = json.dumps([operator, shown, value])
            raise Refusal(403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {failed}")
        named.add(name)
    extra = [n for n in fields if n not in named and n not in _UNCONDITIONED and not n.startswith("x-ignore-")]
    if extra:
        raise Refusal(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")


def _check_size(conditions: list[Any], size: int) -> None:
    """The file's size is within every content-length-range (S3's EntityTooLarge / EntityTooSmall)."""
    for low, high in filter(None, map(_range, conditions)):
        if size > high:
            raise Refusal(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=size,
                MaxSizeAllowed=high,
            )
        if size < low:
            raise Refusal(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=size,
                MinSizeAllowed=low,
            )


def check_post(
    bucket: str,
    content_type: str,
    body: bytes,
    secret_of: Callable[[str], str | None],
    authorize: Callable[[str, str], None] | None = None,
    now: datetime | None = None,
) -> PostUpload:
    """The upload a browser-based POST to `bucket` makes, checked as S3 checks it (Refusal otherwise).

    The policy (base64 JSON) is what is signed: x-amz-signature is the SigV4 HMAC of it with the signing
    key of x-amz-credential's scope. `authorize(access_key, key)` then decides for the signer, and the
    content-length-range conditions are checked last, on the file's actual size.
    """
    parts, file = form_parts(content_type, body)
    fields: dict[str, str] = {}
    for name, value in parts:
        fields.setdefault(name.lower(), value)
    if file is None:
        raise Refusal(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    if not fields.get("key"):
        raise Refusal(
            400,
            "InvalidArgument",
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
        )
    if "signature" in fields and "awsaccesskeyid" in fields:
        raise Refusal(
            400,
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        )
    if "policy" not in fields and "x-amz-signature" not in fields:
        raise Refusal(403, "AccessDenied", "Access Denied")  # anonymous: the bucket grants the public nothing
    for required in ("policy", "x-amz-signature", "x-amz-credential", "x-amz-date", "x-amz-algorithm"):
        if not fields.get(required):
            raise Refusal(
                400,
                "InvalidArgument",
                f"Bucket POST must contain a field named '{required}'.  If it is specified, please check the "
                "order of the fields.",
            )
    if fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        raise Refusal(400, "InvalidArgument", "x-amz-algorithm only supports 'AWS4-HMAC-SHA256'")
    access_key, date, region, service, terminal = (fields["x-amz-credential"].split("/") + [""] * 5)[:5]
    if service != "s3" or terminal != "aws4_request" or not date or not fields["x-amz-date"].startswith(date):
        raise Refusal(400, "InvalidArgument", "Error parsing the X-Amz-Credential parameter")
    secret = secret_of(access_key)
    if secret is None:
        raise Refusal(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
    expected = hmac.new(_signing_key(secret, date, region), fields["policy"].encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), fields["x-amz-signature"].encode()):
        raise Refusal(403, "SignatureDoesNotMatch", _SIGNATURE_MISMATCH)
    policy = _policy(fields["policy"])
    if (now or datetime.now(UTC)) > _expiration(policy):
        raise Refusal(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    _check_fields(policy["conditions"], bucket, fields)
    if authorize is not None:
        authorize(access_key, f"{bucket}/{fields['key']}")
    _check_size(policy["conditions"], len(file))
    return PostUpload(access_key, fields["key"], len(file), fields)


class PresignedGuard:
    """WSGI middleware: presigned requests to the buckets are checked, and authorized against the signer's role."""

    def __init__(
        self,
        app: WsgiApp,
        buckets: Iterable[str],
        known_secrets: Mapping[str, str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.buckets = set(buckets)
        self.known_secrets = dict(known_secrets)  # the runtime's own key (not a function's): unrestricted
        self.clock = clock

    def _secret_of(self, access_key: str) -> str | None:
        role = iam.role_with_access_key(access_key)
        return role.secret_access_key if role else self.known_secrets.get(access_key)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
        raw_path, _, _ = raw_uri.partition("?")
        bucket, _, key = unquote(raw_path.lstrip("/")).partition("/")
        method = environ.get("REQUEST_METHOD", "GET")
        if bucket not in self.buckets or method == "OPTIONS":
            return self.app(environ, start_response)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if "CONTENT_TYPE" in environ:
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            query = environ.get("QUERY_STRING", "")
            if _is_browser_upload(method, key, query, headers):
                body = _read_body(environ)
                environ["wsgi.input"] = io.BytesIO(body)  # moto reads the form again
                check_post(bucket, headers["content-type"], body, self._secret_of, self._may_put, self.clock())
            elif (checked := check(method, raw_path, query, headers, self._secret_of, self.clock())) is not None:
                self._authorize(_ACTIONS.get(method), *checked)
        except Refusal as refusal:
            return _error(start_response, refusal)
        return self.app(environ, start_response)

    def _may_put(self, access_key: str, object_path: str) -> None:
        self._authorize("s3:PutObject", access_key, object_path)

    def _authorize(self, action: str | None, access_key: str, object_path: str) -> None:
        role = iam.role_with_access_key(access_key)
        if role is None or action is None:
            return
        request = iam.Request(action, f"arn:aws:s3:::{object_path}")
        decision = role.decide(request)
        if not decision.allowed:
            raise Refusal(403, "AccessDenied", role.denial_message(request, decision))


def _is_browser_upload(method: str, key: str, query: str, headers: Mapping[str, str]) -> bool:
    """A POST of a form to the bucket itself (S3's POST Object), not a presigned or signed API call."""
    return (
        method == "POST"
        and not key
        and "x-amz-signature=" not in query.lower()
        and headers.get("content-type", "").lower().startswith("multipart/form-data")
    )


def _read_body(environ: Mapping[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        raise Refusal(411, "MissingContentLength", "You must provide the Content-Length HTTP header.") from None
    return bytes(environ["wsgi.input"].read(length))


def _error(start_response: Callable[..., Any], refusal: Refusal) -> Iterable[bytes]:
    from xml.sax.saxutils import escape

    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{refusal.code}</Code><Message>{escape(refusal.message)}</Message>"
        + "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in refusal.details.items())
        + f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    ).encode()
    reasons = {400: "Bad Request", 403: "Forbidden", 411: "Length Required"}
    start_response(
        f"{refusal.status} {reasons.get(refusal.status, 'Error')}",
        [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
    )
    return [body]
