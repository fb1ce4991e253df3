import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from panelist.core.background import request_render
from panelist.core.observability import logger, metrics
from panelist.interviews import ai
from panelist.interviews.analysis import analyse_session, analysis_failed, failure_reason

processor = BatchProcessor(event_type=EventType.SQS)
WRAP_UP_SECONDS = 20  # after the model calls: the session's write and the render's queueing
MAX_ATTEMPTS = 3  # the AnalysisQueue RedrivePolicy maxReceiveCount in template.yaml


def analyse(body: str, seconds: float) -> None:
    """Analyse a completed session (answers, assessment), then render its report again with the analysis.

    The model calls end `WRAP_UP_SECONDS` before the function's timeout, or fail the record (retried later).
    """
    request = json.loads(body)
    with ai.time_limit(seconds - WRAP_UP_SECONDS):
        analyse_session(request["organization_id"], request["session_id"])
    request_render(request["organization_id"], request["session_id"])


def handle(record: SQSRecord, seconds: float) -> None:
    """`analyse`; when its last attempt fails (the message goes to the dead-letter queue next), the
    failure is recorded on the session and `analysis.failed` sent, and the record still fails."""
    try:
        analyse(record.body, seconds)
    except Exception as exc:
        attempt = int(record.attributes.approximate_receive_count or 1)
        if attempt >= MAX_ATTEMPTS:
            try:
                request = json.loads(record.body)
                organization_id, session_id = request["organization_id"], request["session_id"]
            except (ValueError, KeyError, TypeError):
                logger.exception("malformed analysis message", message_id=record.message_id)
            else:
                analysis_failed(
                    organization_id, session_id, attempts=attempt, error=failure_reason(exc), key=record.message_id
                )
        raise


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(
        event=event,
        record_handler=lambda record: handle(record, context.get_remaining_time_in_millis() / 1000),
        processor=processor,
        context=context,
    )
