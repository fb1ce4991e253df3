from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.compliance.self_identification import record_from_page
from panelist.sessions import pages

app = pages.resolver()


@app.post("/interview/session/<session_token>/self-identification")
def post(session_token: str) -> Response[str]:
    return record_from_page(session_token, pages.body(app))


handler = relay.lambda_handler(app)
