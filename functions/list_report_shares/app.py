from panelist.api import xobin
from panelist.models.reports import ReportSharesOut
from panelist.reports import shares

app = xobin.resolver()


@app.get("/ai-interviews/report/<response_id>/shares")
def get(response_id: str) -> ReportSharesOut:
    return shares.list_shares(app.tenant, shares.parse_response_id(response_id))


handler = xobin.lambda_handler(app)
