from panelist.core.observability import logger
from panelist.core.signing import rotation_step


@logger.inject_lambda_context
def handler(event, context):
    logger.info("rotation step", step=event["Step"])
    rotation_step(event["Step"], event["SecretId"], event["ClientRequestToken"])
