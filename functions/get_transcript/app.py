from panelist.api import relay
from panelist.compliance.audit import actor_of, record_for_session
from panelist.models.compliance import AuditAction
from panelist.models.sessions import TranscriptOut
from panelist.sessions.views import transcript

app = relay.resolver()


@app.get("/api/session/<id>/transcript")
def get(id: str) -> TranscriptOut:
    out = transcript(app.tenant, id)
    record_for_session(app.tenant, id, AuditAction.transcript_viewed, actor_of(app.principal))
    return out


handler = relay.lambda_handler(app)
