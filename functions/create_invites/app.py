from panelist.api import relay
from panelist.candidates.campaigns import create_invites, invite_url
from panelist.models.campaigns import InviteFailure, InviteOut, InviteRequest, InvitesCreated

app = relay.resolver()


@app.post("/api/campaigns/<id>/invites")
def post(id: str, body: InviteRequest) -> tuple[InvitesCreated, int]:
    base_url = app.base_url()
    invites, failures = create_invites(app.tenant, id, body, base_url=base_url)
    return InvitesCreated(
        invites=[
            InviteOut(id=i.id, email=i.email, token=i.token, url=invite_url(base_url, i.token), expires_at=i.expires_at)
            for i in invites
        ],
        sent=len(invites),
        failed=len(failures),
        failures=[InviteFailure.model_validate(f) for f in failures],
    ), 201


handler = relay.lambda_handler(app)
