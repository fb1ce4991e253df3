"""Panelist API client: typed models, three credential forms, pagination, retries, webhook verification.

from panelist_client import Client, verify_webhook

client = Client("https://api.example.com", api_key="pnl_...")
for session in client.sessions(status="completed", sort="score"):
    ...
"""

from panelist_client import models
from panelist_client.client import (
    AccessToken,
    ApiError,
    ApiKey,
    Client,
    RateLimitedError,
    Response,
    RetryPolicy,
    TokenExchange,
)
from panelist_client.webhooks import WebhookVerificationError, verify_webhook

__all__ = [
    "AccessToken",
    "ApiError",
    "ApiKey",
    "Client",
    "RateLimitedError",
    "Response",
    "RetryPolicy",
    "TokenExchange",
    "WebhookVerificationError",
    "models",
    "verify_webhook",
]
