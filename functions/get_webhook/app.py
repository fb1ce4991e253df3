from panelist.api import relay
from panelist.models.webhooks import WebhookEndpointOut
from panelist.webhooks.endpoints import get_endpoint

app = relay.resolver()


@app.get("/api/webhooks/<id>")
def get(id: str) -> WebhookEndpointOut:
    return WebhookEndpointOut.model_validate(get_endpoint(app.tenant, id), from_attributes=True)


handler = relay.lambda_handler(app)
