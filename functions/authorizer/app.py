from panelist.api.auth import authorize
from panelist.core.observability import logger


@logger.inject_lambda_context
def handler(event, context):
    return authorize(event)
