from pydantic import BaseModel

from panelist.accounts.api_keys import list_api_keys
from panelist.api import relay
from panelist.models.organizations import ApiKeyOut

app = relay.resolver(relay.Access.platform_admin)


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyOut]


@app.get("/api/admin/organizations/<id>/api-keys")
def get(id: str) -> ApiKeyList:
    return ApiKeyList(api_keys=[ApiKeyOut.model_validate(k, from_attributes=True) for k in list_api_keys(id)])


handler = relay.lambda_handler(app)
