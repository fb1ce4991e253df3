from panelist.api import xobin
from panelist.models.reports import ReportShareOut
from panelist.reports import shares

app = xobin.resolver()


@app.delete("/ai-interviews/report/<response_id>/shares/<share_id>")
def delete(response_id: str, share_id: str) -> ReportShareOut:
    return shares.revoke_share(app.tenant, shares.parse_response_id(response_id), share_id)


handler = xobin.lambda_handler(app)
