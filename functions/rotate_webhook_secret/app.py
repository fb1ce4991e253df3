from pydantic import BaseModel, Field

from panelist.api import relay
from panelist.webhooks.delivery import get_signing_secrets, rotate_secret

app = relay.resolver(relay.Access.admin)


class WebhookSecrets(BaseModel):
    secrets: list[str] = Field(description="The signing secrets (whsec_...): two while a rotation overlaps")


@app.post("/api/webhooks/secret/rotate")
def post() -> WebhookSecrets:
    rotate_secret(app.tenant)
    return WebhookSecrets(secrets=get_signing_secrets(app.tenant))


handler = relay.lambda_handler(app)
