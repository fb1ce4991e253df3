"""Test-wide environment: every test runs offline against emulated AWS, never a real account."""

import os

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    PANELIST_STAGE="test",
    PANELIST_TABLE="panelist-test",
    PANELIST_BUCKET="panelist-test-123456789012-us-east-1",
    PANELIST_SECRET_ID="panelist/test/keys",
    PANELIST_AI_PROVIDER="offline",
    PANELIST_MAIL_SENDER="noreply@panelist.local",
    PANELIST_WEBHOOK_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/panelist-test-webhooks.fifo",
    PANELIST_GENERATION_STATE_MACHINE_ARN="arn:aws:states:us-east-1:123456789012:stateMachine:panelist-test-generate-interview",
    PANELIST_AUTH_CACHE_SECONDS="0",
    POWERTOOLS_SERVICE_NAME="panelist",
    POWERTOOLS_METRICS_NAMESPACE="Panelist",
    POWERTOOLS_METRICS_DISABLED="true",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
