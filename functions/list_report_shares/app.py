from panelist.api import xobin
from panelist.models.reports import ReportSharesOut, ResponseId
from panelist.reports.shares import list_shares

app = xobin.resolver()


@app.get("/ai-interviews/report/<response_id>/shares")
def get(response_id: ResponseId) -> ReportSharesOut:
    return list_shares(app.tenant, response_id)


handler = xobin.lambda_handler(app)
