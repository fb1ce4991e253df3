from panelist.api import relay
from panelist.compliance.audit import actor_of, record_for_session
from panelist.models.compliance import AuditAction
from panelist.reports.transcript import transcript_download

app = relay.resolver()


# No return annotation: the validating resolver would serialize an annotated body as JSON, and this one is a PDF.
@app.get("/api/session/<id>/pdf")
def get(id: str):
    download = transcript_download(app.tenant, id)
    record_for_session(app.tenant, id, AuditAction.report_viewed, actor_of(app.principal), format="pdf")
    return download.response()


handler = relay.lambda_handler(app)
