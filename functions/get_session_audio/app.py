from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.compliance.audit import actor_of, record_for_session
from panelist.models.compliance import AuditAction
from panelist.sessions.views import audio_link

app = relay.resolver()


@app.get("/api/session/<id>/audio")
def get(id: str) -> Response[str]:
    link = audio_link(app.tenant, id)
    record_for_session(app.tenant, id, AuditAction.recording_downloaded, actor_of(app.principal))
    return Response(status_code=302, headers={"Location": link}, body="")


handler = relay.lambda_handler(app)
