from panelist.api import relay
from panelist.billing import credits
from panelist.models.billing import CreditBalanceOut

app = relay.resolver()


@app.get("/api/billing/credits")
def get() -> CreditBalanceOut:
    return credits.balance_out(credits.require_credits(app.tenant))


handler = relay.lambda_handler(app)
