from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

from panelist.core.observability import logger, metrics
from panelist.webhooks.delivery import handle_record

# In order per destination (message group). The event source's BatchSize is 1 (template.yaml): a failed
# attempt's message stays in flight through its backoff and locks its group, so the destination's later
# webhooks are not received until it is delivered or gone. The FIFO processor keeps that order should a
# batch ever hold more: after a failure, the rest of that group is failed unattempted.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
processor.raise_on_entire_batch_failure = False  # every record failed: still a partial response, not an error


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
