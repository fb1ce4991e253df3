from aws_lambda_powertools.event_handler import Response, content_types

from panelist.api import xobin
from panelist.models.reports import ReportOption
from panelist.reports import shares
from panelist.reports.pipeline import result_download
from panelist.sessions.store import get_session_by_number

app = xobin.resolver()


# No return annotation: the validating resolver would serialize an annotated body as JSON, and a download is a PDF.
@app.post("/ai-interviews/report/<response_id>/<option>")
def post(response_id: str, option: str):
    chosen = shares.parse_option(option)
    number = shares.parse_response_id(response_id)
    if chosen is ReportOption.share:
        hours = shares.expiration_hours(app.current_event.body)
        share = shares.create_share(app.tenant, number, hours, base_url=app.base_url())
        return Response(200, content_types.APPLICATION_JSON, share.model_dump_json())
    session = get_session_by_number(app.tenant, number)
    return result_download(app.tenant, session.id, base_url=app.base_url()).response()


handler = xobin.lambda_handler(app)
