from panelist.api import relay
from panelist.models.webhooks import WebhookEndpointOut, WebhookEndpointUpdate
from panelist.webhooks.endpoints import update_endpoint

app = relay.resolver(relay.Access.admin)


@app.patch("/api/webhooks/<id>")
def patch(id: str, body: WebhookEndpointUpdate) -> WebhookEndpointOut:
    return WebhookEndpointOut.model_validate(update_endpoint(app.tenant, id, body), from_attributes=True)


handler = relay.lambda_handler(app)
