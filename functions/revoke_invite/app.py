from panelist.api import relay
from panelist.candidates.campaigns import revoke_invite
from panelist.models.campaigns import InviteDetail

app = relay.resolver()


@app.delete("/api/invites/<token>")
def delete(token: str) -> InviteDetail:
    return InviteDetail.model_validate(revoke_invite(app.tenant, token), from_attributes=True)


handler = relay.lambda_handler(app)
