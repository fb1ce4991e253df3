"""The HTTP client: credentials, errors in every surface's format, retries with backoff, pagination."""

from __future__ import annotations

import contextlib
import email.utils
import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from panelist_client import models

__all__ = [
    "AccessToken",
    "ApiError",
    "ApiKey",
    "Client",
    "RateLimitedError",
    "Response",
    "RetryPolicy",
    "TokenExchange",
]

USER_AGENT = "panelist-client-python/0.1"
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRIED_SERVER_ERRORS = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


# A transport sends one request: (method, url, headers, body, timeout) -> Response; raises OSError when the
# connection fails. The default is urllib's; tests pass their own.
Transport = Callable[[str, str, Mapping[str, str], bytes | None, float], Response]


def urllib_transport(method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Response:
    # Client checked the scheme: http(s) only.
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as answer:
            return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect (the audio link) is handed back, not followed: its Location is the answer."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# ------------------------------------------------------------------ errors


class ApiError(Exception):
    """An answer outside 2xx/3xx, read from whichever surface's error format it came in.

    InterviewRelay `{"error": {"code", "message", "details": {"field", "expected"}}}`, Xobin `{"error": "..."}`
    and JobMojito `{"error", "name"}` all give `message`; `code`, `field` and `expected` where the body has them.
    """

    def __init__(self, response: Response) -> None:
        self.status = response.status
        self.headers = response.headers
        self.body: Any = None
        self.code: str | None = None
        self.field: str | None = None
        self.expected: str | None = None
        message = response.body.decode("utf-8", "replace")[:500] or f"HTTP {response.status}"
        with contextlib.suppress(ValueError):
            self.body = response.json()
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, dict):  # InterviewRelay
            message = str(error.get("message", message))
            self.code = error.get("code")
            details = error.get("details") or {}
            self.field, self.expected = details.get("field"), details.get("expected")
        elif isinstance(error, str):  # Xobin, JobMojito
            message = error
            self.field = self.body.get("name")
        self.message = message
        super().__init__(f"{response.status}: {message}")


class RateLimitedError(ApiError):
    """429 after the retries (or a Retry-After longer than the client waits): `retry_after` seconds."""

    def __init__(self, response: Response, retry_after: float | None) -> None:
        super().__init__(response)
        self.retry_after = retry_after


# ------------------------------------------------------------------ credentials


class Credentials:
    def headers(self, client: Client) -> dict[str, str]:
        raise NotImplementedError


@dataclass(frozen=True)
class ApiKey(Credentials):
    """An organization API key: in the `apiKey` header (default) or as `Authorization: Bearer <key>`."""

    key: str
    bearer: bool = False

    def headers(self, client: Client) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.bearer else {"apiKey": self.key}


@dataclass(frozen=True)
class AccessToken(Credentials):
    """A JWT access token from `POST /auth/token`, as `Authorization: Bearer <token>` (not renewed)."""

    token: str

    def headers(self, client: Client) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class TokenExchange(Credentials):
    """An API key exchanged for short-lived access tokens: only the token travels with requests, and a new
    one is fetched `renew_before` seconds before the current one expires."""

    api_key: str
    expires_in: int = 3600
    renew_before: int = 60
    _token: str | None = field(default=None, repr=False)
    _expires: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def headers(self, client: Client) -> dict[str, str]:
        with self._lock:
            if self._token is None or time.time() >= self._expires - self.renew_before:
                issued = client.create_access_token(self.expires_in, credentials=ApiKey(self.api_key))
                self._token = issued["access_token"]
                self._expires = time.time() + issued["expires_in"]
            return {"Authorization": f"Bearer {self._token}"}


# ------------------------------------------------------------------ retries


@dataclass(frozen=True)
class RetryPolicy:
    """Retries: 429 on any method (a refused request did nothing), a 5xx or a failed connection on idempotent
    methods (or a request with an Idempotency-Key). Waits honour Retry-After, else exponential backoff with
    full jitter: random(0, min(cap, base * 2**attempt))."""

    max_retries: int = 4
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0  # a longer Retry-After is raised at once (RateLimitedError), not slept

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2**attempt))  # noqa: S311 - jitter, not a secret


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


# ------------------------------------------------------------------ the client


class Client:
    """A Panelist API client.

    client = Client("https://api.example.com", api_key="pnl_...")                   # apiKey header
    client = Client("https://api.example.com", api_key="pnl_...", bearer=True)      # Authorization: Bearer
    client = Client("https://api.example.com", api_key="pnl_...", exchange=True)    # short-lived tokens
    client = Client("https://api.example.com", access_token="eyJ...")               # a token you hold
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        bearer: bool = False,
        exchange: bool = False,
        access_token: str | None = None,
        credentials: Credentials | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if urllib.parse.urlsplit(self.base_url).scheme not in ("https", "http"):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        if credentials is None:
            if access_token:
                credentials = AccessToken(access_token)
            elif api_key and exchange:
                credentials = TokenExchange(api_key)
            elif api_key:
                credentials = ApiKey(api_key, bearer=bearer)
        self.credentials = credentials
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.transport = transport or urllib_transport
        self.sleep = sleep

    # -------------------------------------------------------------- requests

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        credentials: Credentials | None = None,
    ) -> Any:
        """One API call: the answer's JSON (None without a body); ApiError for a 4xx or 5xx."""
        return self.send(method, path, params=params, json_body=json_body, headers=headers, credentials=credentials)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        credentials: Credentials | None = None,
        raw: bool = False,
    ) -> Any:
        method = method.upper()
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        url = self.base_url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        body = json.dumps(json_body).encode() if json_body is not None else None
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/json"
        creds = credentials or self.credentials
        retry_failures = method in IDEMPOTENT or any(k.lower() == "idempotency-key" for k in sent)
        attempt = 0
        while True:
            auth = creds.headers(self) if creds is not None else {}
            try:
                response = self.transport(method, url, {**sent, **auth}, body, self.timeout)
            except OSError:
                if not retry_failures or attempt >= self.retry.max_retries:
                    raise
                self.sleep(self.retry.backoff(attempt))
                attempt += 1
                continue
            if response.status == 429:
                wait = retry_after_seconds(response.headers.get("retry-after"))
                if attempt >= self.retry.max_retries or (wait or 0) > self.retry.max_retry_after:
                    raise RateLimitedError(response, wait)
                self.sleep(wait if wait is not None else self.retry.backoff(attempt))
                attempt += 1
                continue
            if response.status in RETRIED_SERVER_ERRORS and retry_failures and attempt < self.retry.max_retries:
                wait = retry_after_seconds(response.headers.get("retry-after"))
                self.sleep(min(wait, self.retry.cap) if wait is not None else self.retry.backoff(attempt))
                attempt += 1
                continue
            if response.status >= 400:
                raise ApiError(response)
            return response if raw else response.json()

    def paginate(
        self, path: str, key: str, *, params: Mapping[str, Any] | None = None, page_size: int = 100
    ) -> Iterator[Any]:
        """Every item of a limit/offset list (`{key: [...], total, limit, offset}`), fetching page by page."""
        offset = int((params or {}).get("offset") or 0)
        while True:
            page = self.request("GET", path, params={**(params or {}), "limit": page_size, "offset": offset})
            items = page[key]
            yield from items
            offset += len(items)
            if not items or offset >= page["total"]:
                return

    # -------------------------------------------------------------- credentials

    def create_access_token(
        self, expires_in: int = 3600, *, credentials: Credentials | None = None
    ) -> models.AccessTokenOut:
        """Exchange the API key for a JWT access token (`POST /auth/token`)."""
        body = {"expires_in": expires_in}
        return cast(models.AccessTokenOut, self.request("POST", "/auth/token", json_body=body, credentials=credentials))

    # -------------------------------------------------------------- projects and campaigns

    def create_project(self, name: str, description: str | None = None) -> models.ProjectOut:
        body = {"name": name, "description": description}
        return cast(models.ProjectOut, self.request("POST", "/api/projects", json_body=_present(body)))

    def list_projects(self) -> Any:
        return self.request("GET", "/api/projects")

    def create_campaign(
        self, name: str, script_id: str, project_id: str, *, invite_valid_hours: float | None = None
    ) -> models.CampaignCreated:
        body = {"name": name, "script_id": script_id, "project_id": project_id}
        body["invite_valid_hours"] = invite_valid_hours  # type: ignore[assignment]
        return cast(models.CampaignCreated, self.request("POST", "/api/campaigns", json_body=_present(body)))

    def get_campaign(self, campaign_id: str) -> models.CampaignDetail:
        return cast(models.CampaignDetail, self.request("GET", f"/api/campaigns/{_segment(campaign_id)}"))

    def update_campaign(self, campaign_id: str, **changes: Any) -> models.CampaignDetail:
        path = f"/api/campaigns/{_segment(campaign_id)}"
        return cast(models.CampaignDetail, self.request("PATCH", path, json_body=changes))

    def campaigns(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every campaign (filters: project_id, status)."""
        return self.paginate("/api/campaigns", "campaigns", params=filters)

    # -------------------------------------------------------------- invites

    def create_invites(
        self, campaign_id: str, emails: list[str], *, send_email: bool = True, **extra: Any
    ) -> models.InvitesCreated:
        path = f"/api/campaigns/{_segment(campaign_id)}/invites"
        body = {"emails": emails, "send_email": send_email, **extra}
        return cast(models.InvitesCreated, self.request("POST", path, json_body=body))

    def get_invite(self, token: str) -> models.InviteDetail:
        return cast(models.InviteDetail, self.request("GET", f"/api/invites/{_segment(token)}"))

    def invites(self, campaign_id: str, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every invite of a campaign (filter: status)."""
        return self.paginate(f"/api/campaigns/{_segment(campaign_id)}/invites", "invites", params=filters)

    # -------------------------------------------------------------- sessions and results

    def sessions(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every session (filters: campaign_id, status, interview_id, candidate_id, min_score, sort, order, ...)."""
        return self.paginate("/api/sessions", "sessions", params=filters)

    def get_session(self, session_id: str) -> models.SessionDetail:
        return cast(models.SessionDetail, self.request("GET", f"/api/sessions/{_segment(session_id)}"))

    def get_session_result(self, session_id: str) -> models.SessionResult:
        return cast(models.SessionResult, self.request("GET", f"/api/sessions/{_segment(session_id)}/result"))

    def get_transcript(self, session_id: str) -> models.TranscriptOut:
        return cast(models.TranscriptOut, self.request("GET", f"/api/session/{_segment(session_id)}/transcript"))

    # -------------------------------------------------------------- interviews and candidates

    def interviews(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every interview (filters: status, project_id)."""
        return self.paginate("/api/interviews", "interviews", params=filters)

    def get_interview(self, interview_id: str) -> models.InterviewOut:
        return cast(models.InterviewOut, self.request("GET", f"/api/interviews/{_segment(interview_id)}"))

    def create_interview(self, **body: Any) -> models.InterviewOut:
        return cast(models.InterviewOut, self.request("POST", "/api/interviews", json_body=body))

    def generate_interview(
        self, job_role: str, job_description: str, *, notification_url: str | None = None, idempotency_key: str = ""
    ) -> models.GenerationAccepted:
        body = _present(
            {"job_role": job_role, "job_description": job_description, "notification_url": notification_url}
        )
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        path = "/api/v2/ai-interviews/generate-interview"
        return cast(models.GenerationAccepted, self.request("POST", path, json_body=body, headers=headers))

    def task_status(self, job_id: str) -> models.TaskStatusOut:
        path = f"/api/v2/task-executions/status/{_segment(job_id)}"
        return cast(models.TaskStatusOut, self.request("GET", path))

    def create_candidate(self, **body: Any) -> models.CandidateOut:
        return cast(models.CandidateOut, self.request("POST", "/api/candidates", json_body=body))

    def candidates(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every candidate (filters: email, external_id)."""
        return self.paginate("/api/candidates", "candidates", params=filters)

    # -------------------------------------------------------------- webhooks and credits

    def create_webhook(
        self, url: str, events: list[str] | None = None, description: str | None = None
    ) -> models.WebhookEndpointOut:
        body = _present({"url": url, "events": events, "description": description})
        return cast(models.WebhookEndpointOut, self.request("POST", "/api/webhooks", json_body=body))

    def list_webhooks(self) -> Any:
        return self.request("GET", "/api/webhooks")

    def delete_webhook(self, webhook_id: str) -> None:
        self.request("DELETE", f"/api/webhooks/{_segment(webhook_id)}")

    def webhook_secrets(self) -> list[str]:
        """The organization's current webhook signing secrets (two while a rotation overlaps)."""
        return list(self.request("GET", "/api/webhooks/secret")["secrets"])

    def credits(self) -> models.CreditBalanceOut:
        return cast(models.CreditBalanceOut, self.request("GET", "/api/billing/credits"))


def _segment(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")


def _present(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))
