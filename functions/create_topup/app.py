from panelist.api import relay
from panelist.billing import credits
from panelist.models.billing import TopupCreate, TopupOut

app = relay.resolver(relay.Access.admin)


@app.post("/api/billing/topups")
def post(body: TopupCreate) -> tuple[TopupOut, int]:
    applied = credits.topup(app.tenant, body)
    return credits.topup_out(applied), 200 if applied.duplicate else 201


handler = relay.lambda_handler(app)
