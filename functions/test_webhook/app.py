from panelist.api import relay
from panelist.models.webhooks import WebhookDeliveryOut
from panelist.webhooks.endpoints import send_test

app = relay.resolver(relay.Access.admin)


@app.post("/api/webhooks/<id>/test")
def post(id: str) -> tuple[WebhookDeliveryOut, int]:
    return WebhookDeliveryOut.of(send_test(app.tenant, id)), 202


handler = relay.lambda_handler(app)
