from panelist.accounts.organizations import list_organizations
from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.models.organizations import OrganizationOut

app = relay.resolver(relay.Access.platform_admin)
OrganizationList = relay.listing_model("OrganizationList", "organizations", OrganizationOut)


@app.get("/api/admin/organizations")
def get(limit: Limit = 50, offset: Offset = 0) -> OrganizationList:
    organizations, total = list_organizations(offset=offset, limit=limit)
    listed = relay.listing(
        "organizations",
        [OrganizationOut.model_validate(o, from_attributes=True) for o in organizations],
        total=total,
        limit=limit,
        offset=offset,
    )
    return OrganizationList.model_validate(listed)


handler = relay.lambda_handler(app)
