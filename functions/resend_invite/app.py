from panelist.api import relay
from panelist.candidates.campaigns import resend_invite
from panelist.models.campaigns import InviteDetail, InviteResend

app = relay.resolver()


@app.post("/api/invites/<token>/resend")
def post(token: str, body: InviteResend | None = None) -> tuple[InviteDetail, int]:
    invite = resend_invite(
        app.tenant, token, base_url=app.base_url(), custom_message=(body or InviteResend()).custom_message
    )
    return InviteDetail.model_validate(invite, from_attributes=True), 202


handler = relay.lambda_handler(app)
