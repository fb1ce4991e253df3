import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from panelist.core.background import request_render
from panelist.core.observability import logger, metrics
from panelist.interviews import ai
from panelist.interviews.analysis import analyse_session

processor = BatchProcessor(event_type=EventType.SQS)
WRAP_UP_SECONDS = 20  # after the model calls: the session's write and the render's queueing


def analyse(body: str, seconds: float) -> None:
    """Analyse a completed session (answers, assessment), then render its report again with the analysis.

    The model calls end `WRAP_UP_SECONDS` before the function's timeout, or fail the record (retried later).
    """
    request = json.loads(body)
    with ai.time_limit(seconds - WRAP_UP_SECONDS):
        analyse_session(request["organization_id"], request["session_id"])
    request_render(request["organization_id"], request["session_id"])


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(
        event=event,
        record_handler=lambda record: analyse(record.body, context.get_remaining_time_in_millis() / 1000),
        processor=processor,
        context=context,
    )
