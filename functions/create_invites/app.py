from panelist.api import relay
from panelist.candidates.campaigns import invite_requests
from panelist.models.campaigns import InviteRequest, InvitesCreated

app = relay.resolver()


@app.post("/api/campaigns/<id>/invites")
def post(id: str, body: InviteRequest) -> tuple[InvitesCreated, int]:
    created = invite_requests(
        app.tenant,
        id,
        body,
        base_url=app.base_url(),
        idempotency_key=app.current_event.headers.get("idempotency-key"),
        lambda_context=app.lambda_context,
    )
    return created, 201


handler = relay.lambda_handler(app)
