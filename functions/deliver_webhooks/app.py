from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

from panelist.core.observability import logger, metrics
from panelist.webhooks.delivery import handle_record

# In order per destination (message group): after a failure, the rest of that group waits for its retry.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
processor.raise_on_entire_batch_failure = False  # every record failed: still a partial response, not an error


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
