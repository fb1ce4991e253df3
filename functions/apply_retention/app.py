from datetime import datetime

from panelist.compliance.retention import apply_retention
from panelist.core.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    """EventBridge schedule (daily): erase what the organizations' retention policies keep no longer."""
    at = datetime.fromisoformat(event["time"].replace("Z", "+00:00")) if event.get("time") else None
    summary = apply_retention(at).summary()
    logger.info("retention applied", **{k: v for k, v in summary.items() if k != "erased"})
    return summary
