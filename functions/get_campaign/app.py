from panelist.api import relay
from panelist.candidates.campaigns import get_campaign
from panelist.models.campaigns import CampaignDetail

app = relay.resolver()


@app.get("/api/campaigns/<id>")
def get(id: str) -> CampaignDetail:
    return CampaignDetail.of(get_campaign(app.tenant, id))


handler = relay.lambda_handler(app)
