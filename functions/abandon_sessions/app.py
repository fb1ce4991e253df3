from datetime import datetime

from panelist.core.observability import logger
from panelist.sessions import flow


@logger.inject_lambda_context
def handler(event, context):
    """EventBridge schedule: abandon the in-progress sessions inactive at the event's time."""
    at = datetime.fromisoformat(event["time"].replace("Z", "+00:00")) if event.get("time") else None
    abandoned = flow.sweep(at)
    logger.info("inactive sessions abandoned", sessions=len(abandoned))
    return {"abandoned": abandoned}
