from panelist.api import relay
from panelist.webhooks.delivery import get_signing_secrets

app = relay.resolver(relay.Access.admin)


@app.get("/api/webhooks/secret")
def get() -> dict:
    return {"secrets": get_signing_secrets(app.tenant)}


handler = relay.lambda_handler(app)
