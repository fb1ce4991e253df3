from panelist.api import relay
from panelist.compliance.audit import actor_of, record
from panelist.models.compliance import AuditAction
from panelist.models.sessions import SessionResult
from panelist.sessions.views import session_result

app = relay.resolver()


@app.get("/api/sessions/<id>/result")
def get(id: str) -> SessionResult:
    result = session_result(app.tenant, id)
    record(app.tenant, result.candidate_id, AuditAction.report_viewed, actor_of(app.principal), session_id=id)
    return result


handler = relay.lambda_handler(app)
