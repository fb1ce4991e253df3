from pathlib import Path

from panelist.api.fallback import unmatched
from panelist.core.observability import logger

ROUTES = Path(__file__).with_name("routes.json")  # generated from template.yaml: `make generate`


@logger.inject_lambda_context
def handler(event, context):
    return unmatched(event, ROUTES)
