from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.models.webhooks import WebhookDeliveryOut
from panelist.webhooks.endpoints import count_deliveries, get_endpoint, list_deliveries

app = relay.resolver()
DeliveryList = relay.listing_model("WebhookDeliveryList", "deliveries", WebhookDeliveryOut)


@app.get("/api/webhooks/<id>/deliveries")
def get(id: str, limit: Limit = 50, offset: Offset = 0) -> DeliveryList:
    endpoint = get_endpoint(app.tenant, id)
    deliveries = list_deliveries(app.tenant, endpoint.id, offset=offset, limit=limit)
    items = [WebhookDeliveryOut.of(d) for d in deliveries]
    total = count_deliveries(app.tenant, endpoint.id)
    return DeliveryList.model_validate(relay.listing("deliveries", items, total=total, limit=limit, offset=offset))


handler = relay.lambda_handler(app)
