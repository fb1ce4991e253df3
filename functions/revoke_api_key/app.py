from panelist.accounts.api_keys import revoke_api_key
from panelist.api import relay
from panelist.models.organizations import ApiKeyOut

app = relay.resolver(relay.Access.platform_admin)


@app.delete("/api/admin/organizations/<id>/api-keys/<key_id>")
def delete(id: str, key_id: str) -> ApiKeyOut:
    return ApiKeyOut.model_validate(revoke_api_key(id, key_id), from_attributes=True)


handler = relay.lambda_handler(app)
