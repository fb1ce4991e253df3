"""Background renders of completed sessions' reports: the queue RenderReportFunction consumes."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from panelist import aws
from panelist.observability import logger
from panelist.settings import get_settings


def request_render(organization_id: str, session_id: str) -> None:
    """Queue the background render of a completed session's default report (RenderReportFunction).

    Best effort, after the session's change has committed: if the queue is unreachable the first export
    renders the part instead, so a failure is logged, never raised.
    """
    queue_url = get_settings().report_queue_url
    if not queue_url:
        return
    body = json.dumps({"organization_id": organization_id, "session_id": session_id})
    try:
        aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)
    except ClientError as exc:
        logger.warning("report render not queued", extra={"session_id": session_id, "error": str(exc)})
