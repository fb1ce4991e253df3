from panelist.api import relay
from panelist.candidates.campaigns import create_campaign
from panelist.models.campaigns import CampaignCreate, CampaignCreated

app = relay.resolver()


@app.post("/api/campaigns")
def post(body: CampaignCreate) -> tuple[CampaignCreated, int]:
    return CampaignCreated.model_validate(create_campaign(app.tenant, body), from_attributes=True), 201


handler = relay.lambda_handler(app)
