from panelist.api import relay
from panelist.webhooks.delivery import get_signing_secrets, rotate_secret

app = relay.resolver(relay.Access.admin)


@app.post("/api/webhooks/secret/rotate")
def post() -> dict:
    rotate_secret(app.tenant)
    return {"secrets": get_signing_secrets(app.tenant)}


handler = relay.lambda_handler(app)
