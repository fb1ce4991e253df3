from panelist import shares
from panelist.api import xobin
from panelist.models.reports import ReportSharesOut

app = xobin.resolver()


@app.get("/ai-interviews/report/<response_id>/shares")
def get(response_id: str) -> ReportSharesOut:
    return shares.list_shares(app.tenant, shares.parse_response_id(response_id))


handler = xobin.lambda_handler(app)
