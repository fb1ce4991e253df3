from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from panelist.api import relay
from panelist.compliance.bias_audit import ReportFormat, impact_report, response

app = relay.resolver()

From = Annotated[date | None, Query(alias="from", description="First day (YYYY-MM-DD, UTC) of completion, included")]


# No return annotation: the validating resolver would serialize an annotated body as JSON, and CSV and PDF are not.
@app.get("/api/reports/impact")
def get(
    interview_id: Annotated[
        str | None, Query(min_length=1, max_length=100, description="One interview; all by default")
    ] = None,
    period_from: From = None,
    to: Annotated[date | None, Query(description="Last day (YYYY-MM-DD, UTC) of completion, included")] = None,
    format: Annotated[ReportFormat, Query(description="json (default), csv or pdf")] = ReportFormat.json,
):
    report = impact_report(app.tenant, interview_id=interview_id, period_from=period_from, period_to=to)
    return response(report, format)


handler = relay.lambda_handler(app)
