from aws_lambda_powertools.event_handler import Response, content_types

from panelist.api import openapi, relay

# Public, like the pages: the contract is no secret. Counted per source IP.
app = relay.resolver(relay.Access.public)


@app.get("/openapi.json")
def get() -> Response[str]:
    """The API's OpenAPI 3.1 document (routes, errors, credentials, rate limits, webhooks)."""
    body = openapi.dumps(openapi.document(server_url=app.base_url()))
    return Response(200, content_types.APPLICATION_JSON, body, {"Cache-Control": "public, max-age=300"})


handler = relay.lambda_handler(app)
