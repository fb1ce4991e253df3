from aws_lambda_powertools.event_handler import Response

from panelist.api import openapi, relay

# Public, like the pages: counted per source IP.
app = relay.resolver(relay.Access.public)


@app.get("/docs")
def get() -> Response[str]:
    """The API reference: Swagger UI over /openapi.json."""
    return openapi.docs_page("/openapi.json")


handler = relay.lambda_handler(app)
