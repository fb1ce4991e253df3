from panelist.api import relay
from panelist.models.webhooks import WebhookDeliveryOut
from panelist.webhooks.delivery import replay

app = relay.resolver(relay.Access.admin)


@app.post("/api/webhooks/deliveries/<id>/replay")
def post(id: str) -> tuple[WebhookDeliveryOut, int]:
    return WebhookDeliveryOut.of(replay(app.tenant, id)), 202


handler = relay.lambda_handler(app)
