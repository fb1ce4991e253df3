from aws_lambda_powertools.event_handler import Response, content_types

from panelist.api import xobin
from panelist.compliance.audit import actor_of
from panelist.models.reports import ReportOption, ReportOptionParam, ResponseId, ShareRequest
from panelist.reports.pipeline import response_download
from panelist.reports.shares import create_share

app = xobin.resolver()


# No return annotation: the validating resolver would serialize an annotated body as JSON, and a download is a PDF.
# The body is read for `share` only: `download` ignores it, as the seed's example sends one to both.
@app.post("/ai-interviews/report/<response_id>/<option>")
def post(option: ReportOptionParam, response_id: ResponseId):
    if option is ReportOption.download:
        actor = actor_of(app.principal)
        return response_download(app.tenant, response_id, base_url=app.base_url(), actor=actor).response()
    request = ShareRequest.model_validate(app.current_event.json_body or {})
    share = create_share(
        app.tenant, response_id, request.expiration_hours, base_url=app.base_url(), actor=actor_of(app.principal)
    )
    return Response(200, content_types.APPLICATION_JSON, share.model_dump_json())


handler = xobin.lambda_handler(app)
