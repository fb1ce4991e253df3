import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from panelist.core.observability import logger, metrics
from panelist.sessions.transcription import transcribe_answer

processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord) -> None:
    """Transcribe one audio answer (or start its Amazon Transcribe job); an error fails the record, retried by the
    queue and recorded on the answer at its last attempt (TranscriptionQueue's maxReceiveCount)."""
    try:
        request = json.loads(record.body)
        organization_id, session_id, audio_key = (
            str(request["organization_id"]), str(request["session_id"]), str(request["audio_key"]),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError):
        logger.error("malformed transcription message dropped", message_id=record.message_id)
        return
    attempt = int(record.attributes.approximate_receive_count or 1)
    transcribe_answer(organization_id, session_id, audio_key, attempt=attempt)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
