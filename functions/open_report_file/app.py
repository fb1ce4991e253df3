from aws_lambda_powertools.event_handler import Response

from panelist.api import pages, xobin
from panelist.core.errors import PanelistError
from panelist.reports.files import file_location

app = xobin.resolver(xobin.Access.public)


@app.get("/reports/files/<token>")
def get(token: str) -> Response[str]:
    try:
        location = file_location(token)
    except PanelistError as exc:
        return pages.link_error(exc)
    headers = {"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return Response(status_code=302, headers=headers, body="")


handler = xobin.lambda_handler(app)
