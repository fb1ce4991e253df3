from panelist.core.observability import logger, metrics
from panelist.sessions.transcription import collect_job


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    """An Amazon Transcribe job of an answer's recording finished ("Transcribe Job State Change", EventBridge):
    its transcript, or its failure, into the answer; then the session's analysis, if it waited for this."""
    return {"outcome": collect_job(event)}
