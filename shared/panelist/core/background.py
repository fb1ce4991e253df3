"""Work queued after a session's change has committed: its report render and its AI analysis.

Best effort: the change stands whatever happens here. A render not queued is done by the first export
that needs it; an analysis not queued is logged (the message names the session, to queue it again).
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from panelist.core import aws
from panelist.core.observability import logger
from panelist.core.settings import get_settings


def _queue(queue_url: str, organization_id: str, session_id: str, what: str) -> None:
    if not queue_url:
        return
    body = json.dumps({"organization_id": organization_id, "session_id": session_id})
    try:
        aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)
    except ClientError as exc:
        logger.warning(f"{what} not queued", extra={"session_id": session_id, "error": str(exc)})


def request_render(organization_id: str, session_id: str) -> None:
    """Queue the background render of a completed session's default report (RenderReportFunction)."""
    _queue(get_settings().report_queue_url, organization_id, session_id, "report render")


def request_analysis(organization_id: str, session_id: str) -> None:
    """Queue the AI analysis of a completed session (AnalyseSessionFunction)."""
    _queue(get_settings().analysis_queue_url, organization_id, session_id, "analysis")
