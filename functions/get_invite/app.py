from panelist.api import relay
from panelist.candidates.campaigns import get_invite_by_token
from panelist.models.campaigns import InviteDetail

app = relay.resolver()


@app.get("/api/invites/<token>")
def get(token: str) -> InviteDetail:
    return InviteDetail.model_validate(get_invite_by_token(app.tenant, token), from_attributes=True)


handler = relay.lambda_handler(app)
