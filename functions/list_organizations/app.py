from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from panelist.api import relay
from panelist.models.organizations import OrganizationOut
from panelist.organizations import list_organizations

app = relay.resolver(relay.Access.platform_admin)


@app.get("/api/admin/organizations")
def get(limit: Annotated[int, Query(ge=1, le=100)] = 50, offset: Annotated[int, Query(ge=0)] = 0) -> dict:
    organizations, total = list_organizations(offset=offset, limit=limit)
    return {
        "organizations": [OrganizationOut.model_validate(o, from_attributes=True) for o in organizations],
        "total": total,
        "limit": limit,
        "offset": offset,
        "pagination": relay.page(total, limit, offset),
    }


handler = relay.lambda_handler(app)
