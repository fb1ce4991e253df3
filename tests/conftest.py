"""Test-wide environment: every test runs offline against emulated AWS, never a real account."""

import gc
import os
import subprocess
import sys
import warnings
from pathlib import Path

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    PANELIST_STAGE="test",
    PANELIST_TABLE="Table",
    PANELIST_BUCKET="panelist-local-bucket",
    PANELIST_SECRET_ID="Secret",
    PANELIST_ADMIN_SECRET_ID="AdminKeySecret",
    PANELIST_STRIPE_SECRET_ID="StripeWebhookSecret",
    PANELIST_AI_PROVIDER="offline",
    PANELIST_SPEECH_ENGINE="offline",  # PocketSphinx; the aws engine's tests name it (test_transcription_aws.py)
    PANELIST_MAIL_SENDER="noreply@panelist.local",
    PANELIST_WEBHOOK_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/panelist-test-webhooks.fifo",
    PANELIST_INVITE_MAIL_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/panelist-test-invite-mails",
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

# moto's and botocore's object graphs are large and every test makes more: with the default thresholds
# (700, 10, 10) a third of a function test's time went to garbage collections, mostly full ones.
gc.set_threshold(50_000, 20, 10)

# The report fonts of the PDF layer (layers/pdf/fonts.py), as `make test` installs them, before anything
# imports WeasyPrint (fontconfig reads FONTCONFIG_FILE once); installed here when pytest runs on its own.
FONTS = Path(__file__).resolve().parents[1] / ".tools" / "fonts"
if "FONTCONFIG_FILE" not in os.environ:
    if not (FONTS / "fonts.conf").is_file():
        script = FONTS.parents[1] / "layers" / "pdf" / "fonts.py"
        if subprocess.run([sys.executable, str(script), "--out", str(FONTS)], check=False).returncode:
            warnings.warn("the report fonts could not be installed: PDFs use the system's fonts", stacklevel=1)
    if (FONTS / "fonts.conf").is_file():
        os.environ["FONTCONFIG_FILE"] = str(FONTS / "fonts.conf")
