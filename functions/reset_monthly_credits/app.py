from datetime import datetime

from panelist.billing import credits
from panelist.core.observability import logger


@logger.inject_lambda_context
def handler(event, context):
    """EventBridge schedule: reset the monthly pool of every organization due at the event's time."""
    at = datetime.fromisoformat(event["time"].replace("Z", "+00:00")) if event.get("time") else None
    reset = credits.reset_due(at)
    logger.info("monthly credits reset", organizations=len(reset))
    return {"reset": reset}
