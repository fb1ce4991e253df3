"""What an SQS-triggered function does with the message it is handling."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.exceptions import ClientError

from panelist.core import aws
from panelist.core.observability import logger


def queue_url(queue_arn: str, configured: str = "") -> str:
    """The URL of the queue a record came from, without a GetQueueUrl call (no function is granted it):
    `configured` (the queue's URL setting) when it names that queue, else the regional URL."""
    _, _, _, region, account, name = queue_arn.split(":", 5)
    if configured.rstrip("/").endswith(f"/{account}/{name}"):
        return configured
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def postpone(record: SQSRecord, seconds: int, *, configured_url: str = "") -> None:
    """Make the message visible again in `seconds` (best effort: else after the queue's visibility timeout)."""
    try:
        aws.client("sqs").change_message_visibility(
            QueueUrl=queue_url(record.event_source_arn, configured_url),
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=seconds,
        )
    except (ClientError, ValueError):
        logger.exception("could not delay the message", message_id=record.message_id)
