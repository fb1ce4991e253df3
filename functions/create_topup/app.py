from panelist.api import relay
from panelist.billing import credits
from panelist.models.billing import TopupCreate, TopupOut

# The operator records a purchase for the organization it names; organizations never top themselves up
# (their own purchases arrive through the Stripe webhook, stripe_webhook).
app = relay.resolver(relay.Access.platform_admin)


@app.post("/api/billing/topups")
def post(body: TopupCreate) -> tuple[TopupOut, int]:
    applied = credits.topup(body)
    return credits.topup_out(applied), 200 if applied.duplicate else 201


handler = relay.lambda_handler(app)
