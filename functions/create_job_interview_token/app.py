import json

from aws_lambda_powertools.event_handler import Response, content_types

from panelist.api import jobmojito
from panelist.models.candidate_pages import JobInterviewTokenRequest
from panelist.sessions.candidate_pages import issue_link

app = jobmojito.resolver()


@app.post("/job-interview-token")
def post(body: JobInterviewTokenRequest | None = None) -> Response[str]:
    url = issue_link(app.principal, body or JobInterviewTokenRequest(), base_url=app.base_url())
    return Response(200, content_types.APPLICATION_JSON, json.dumps(url))


handler = jobmojito.lambda_handler(app)
