from panelist.api import xobin
from panelist.models.reports import ReportShareOut, ResponseId
from panelist.reports.shares import revoke_share

app = xobin.resolver()


@app.delete("/ai-interviews/report/<response_id>/shares/<share_id>")
def delete(response_id: ResponseId, share_id: str) -> ReportShareOut:
    return revoke_share(app.tenant, response_id, share_id)


handler = xobin.lambda_handler(app)
