from panelist.accounts.organizations import list_organizations
from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.models.organizations import OrganizationOut

app = relay.resolver(relay.Access.platform_admin)


@app.get("/api/admin/organizations")
def get(limit: Limit = 50, offset: Offset = 0) -> dict:
    organizations, total = list_organizations(offset=offset, limit=limit)
    return relay.listing(
        "organizations",
        [OrganizationOut.model_validate(o, from_attributes=True) for o in organizations],
        total=total,
        limit=limit,
        offset=offset,
    )


handler = relay.lambda_handler(app)
