from datetime import datetime

from panelist import interview_flow
from panelist.observability import logger


@logger.inject_lambda_context
def handler(event, context):
    """EventBridge schedule: abandon the in-progress sessions inactive at the event's time."""
    at = datetime.fromisoformat(event["time"].replace("Z", "+00:00")) if event.get("time") else None
    abandoned = interview_flow.sweep(at)
    logger.info("inactive sessions abandoned", sessions=len(abandoned))
    return {"abandoned": abandoned}
