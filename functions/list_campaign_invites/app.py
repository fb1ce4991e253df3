from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.candidates.campaigns import list_invites
from panelist.models.campaigns import InviteListItem, InviteStatus

app = relay.resolver()
InviteList = relay.listing_model("InviteList", "invites", InviteListItem)


@app.get("/api/campaigns/<id>/invites")
def get(
    id: str,
    status: Annotated[InviteStatus | None, Query(description="The invites' status as read")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> InviteList:
    invites, total = list_invites(app.tenant, id, status=status, offset=offset, limit=limit)
    items = [InviteListItem.model_validate(i, from_attributes=True) for i in invites]
    return InviteList.model_validate(relay.listing("invites", items, total=total, limit=limit, offset=offset))


handler = relay.lambda_handler(app)
