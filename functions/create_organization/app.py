from panelist.accounts.organizations import create_organization
from panelist.api import relay
from panelist.models.organizations import OrganizationCreate, OrganizationOut

app = relay.resolver(relay.Access.platform_admin)


@app.post("/api/admin/organizations")
def post(body: OrganizationCreate) -> tuple[OrganizationOut, int]:
    return OrganizationOut.model_validate(create_organization(body), from_attributes=True), 201


handler = relay.lambda_handler(app)
