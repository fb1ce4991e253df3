from panelist.core.observability import logger
from panelist.interviews import generation


@logger.inject_lambda_context(log_event=False)
def handler(event, context):
    logger.append_keys(task_execution_id=event.get("task_id"))
    return generation.persist_interview(event)
