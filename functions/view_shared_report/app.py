from aws_lambda_powertools.event_handler import Response

from panelist.api import xobin
from panelist.api.resolver import source_ip
from panelist.reports.shares import shared_page

app = xobin.resolver(xobin.Access.public)


@app.get("/interviews/ai/report/shared/<token>")
def get(token: str) -> Response[str]:
    event = app.current_event
    return shared_page(
        token,
        ip=source_ip(event.raw_event),
        user_agent=event.headers.get("user-agent") or "",
        base_url=app.base_url(),
    )


handler = xobin.lambda_handler(app)
