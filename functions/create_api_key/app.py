from panelist.accounts.api_keys import create_api_key
from panelist.api import relay
from panelist.models.organizations import ApiKeyCreate, ApiKeyCreated

app = relay.resolver(relay.Access.platform_admin)


@app.post("/api/admin/organizations/<id>/api-keys")
def post(id: str, body: ApiKeyCreate | None = None) -> tuple[ApiKeyCreated, int]:
    key, secret = create_api_key(id, body or ApiKeyCreate())
    return ApiKeyCreated(key=secret, **key.model_dump()), 201


handler = relay.lambda_handler(app)
