from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from panelist.core.observability import logger, metrics
from panelist.reports.pipeline import render_queued

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(
        event=event, record_handler=lambda record: render_queued(record.body), processor=processor, context=context
    )
