from panelist.api import relay
from panelist.compliance.accommodations import update_request
from panelist.models.accommodations import AccommodationRequestOut, AccommodationRequestUpdate

app = relay.resolver()


@app.patch("/api/accommodation-requests/<id>")
def patch(id: str, body: AccommodationRequestUpdate) -> AccommodationRequestOut:
    return AccommodationRequestOut.of(update_request(app.principal, id, body))


handler = relay.lambda_handler(app)
