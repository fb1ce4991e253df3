from panelist.api import relay
from panelist.models.webhooks import WebhookEndpointCreate, WebhookEndpointOut
from panelist.webhooks.endpoints import create_endpoint

app = relay.resolver(relay.Access.admin)


@app.post("/api/webhooks")
def post(body: WebhookEndpointCreate) -> tuple[WebhookEndpointOut, int]:
    return WebhookEndpointOut.model_validate(create_endpoint(app.tenant, body), from_attributes=True), 201


handler = relay.lambda_handler(app)
