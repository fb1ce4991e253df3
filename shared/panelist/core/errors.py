"""One exception hierarchy for every surface; `panelist.api` renders it in each surface's format."""

from __future__ import annotations


class PanelistError(Exception):
    """A failure the caller can act on. `field` names the offending input where there is one."""

    status = 500
    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, field: str | None = None, expected: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.expected = expected


class BadRequest(PanelistError):
    status, code = 400, "INVALID_PARAMETER"


class Unauthorized(PanelistError):
    status, code = 401, "UNAUTHORIZED"


class PaymentRequired(PanelistError):
    status, code = 402, "INSUFFICIENT_CREDITS"


class Forbidden(PanelistError):
    status, code = 403, "FORBIDDEN"


class NotFound(PanelistError):
    status, code = 404, "NOT_FOUND"


class MethodNotAllowed(PanelistError):
    status, code = 405, "METHOD_NOT_ALLOWED"

    def __init__(self, message: str, *, allow: list[str]) -> None:
        super().__init__(message)
        self.allow = allow


class Conflict(PanelistError):
    status, code = 409, "CONFLICT"


class Gone(PanelistError):
    status, code = 410, "GONE"


class PayloadTooLarge(PanelistError):
    status, code = 413, "PAYLOAD_TOO_LARGE"


class Unprocessable(PanelistError):
    status, code = 422, "VALIDATION_ERROR"


class RateLimited(PanelistError):
    status, code = 429, "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(PanelistError):
    """An AWS service the request needs refused or failed; nothing was left half done, so it may be retried."""

    status, code = 503, "SERVICE_UNAVAILABLE"


class ConfigurationError(PanelistError):
    """The deployment is misconfigured (never the caller's fault)."""
