from panelist.auth import authorize
from panelist.observability import logger


@logger.inject_lambda_context
def handler(event, context):
    return authorize(event)
