import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from panelist.core.background import request_render
from panelist.core.observability import logger, metrics
from panelist.interviews.analysis import analyse_session

processor = BatchProcessor(event_type=EventType.SQS)


def analyse(body: str) -> None:
    """Analyse a completed session (answers, assessment), then render its report again with the analysis."""
    request = json.loads(body)
    analyse_session(request["organization_id"], request["session_id"])
    request_render(request["organization_id"], request["session_id"])


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(
        event=event, record_handler=lambda record: analyse(record.body), processor=processor, context=context
    )
