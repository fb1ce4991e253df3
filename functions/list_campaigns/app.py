from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.candidates.campaigns import list_campaigns
from panelist.models.campaigns import CampaignListItem, CampaignStatus

app = relay.resolver()
CampaignList = relay.listing_model("CampaignList", "campaigns", CampaignListItem)


@app.get("/api/campaigns")
def get(
    project_id: Annotated[str | None, Query(min_length=1)] = None,
    status: Annotated[CampaignStatus | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CampaignList:
    campaigns, total = list_campaigns(app.tenant, project_id=project_id, status=status, offset=offset, limit=limit)
    items = [CampaignListItem.model_validate(c, from_attributes=True) for c in campaigns]
    return CampaignList.model_validate(relay.listing("campaigns", items, total=total, limit=limit, offset=offset))


handler = relay.lambda_handler(app)
