from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from panelist.candidates.invite_mail import handle_record
from panelist.core.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)
processor.raise_on_entire_batch_failure = False  # every record failed: still a partial response, not an error


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
