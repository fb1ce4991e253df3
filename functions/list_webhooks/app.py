from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.models.webhooks import WebhookEndpointOut
from panelist.webhooks.endpoints import count_endpoints, list_endpoints

app = relay.resolver()
WebhookList = relay.listing_model("WebhookList", "webhooks", WebhookEndpointOut)


@app.get("/api/webhooks")
def get(limit: Limit = 50, offset: Offset = 0) -> WebhookList:
    endpoints = list_endpoints(app.tenant, offset=offset, limit=limit)
    items = [WebhookEndpointOut.model_validate(e, from_attributes=True) for e in endpoints]
    listed = relay.listing("webhooks", items, total=count_endpoints(app.tenant), limit=limit, offset=offset)
    return WebhookList.model_validate(listed)


handler = relay.lambda_handler(app)
