from panelist.api import relay
from panelist.candidates.campaigns import change_status
from panelist.models.campaigns import CampaignDetail, CampaignUpdate

app = relay.resolver()


@app.patch("/api/campaigns/<id>")
def patch(id: str, body: CampaignUpdate) -> CampaignDetail:
    return CampaignDetail.of(change_status(app.tenant, id, body.status, name=body.name))


handler = relay.lambda_handler(app)
