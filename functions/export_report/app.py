from panelist.api import jobmojito
from panelist.compliance.audit import actor_of
from panelist.models.exports import HtmlExportOut, JsonExportOut, PdfExportOut, ReportExportRequest
from panelist.reports.jobmojito import export_report

app = jobmojito.resolver()


@app.post("/job-interview-pdf")
def post(body: ReportExportRequest) -> PdfExportOut | HtmlExportOut | JsonExportOut:
    return export_report(app.tenant, body, base_url=app.base_url(), actor=actor_of(app.principal))


handler = jobmojito.lambda_handler(app)
