from aws_lambda_powertools.event_handler import Response

from panelist import interview_pages
from panelist.api import relay

app = interview_pages.resolver()


@app.post("/interview/session/<session_token>/answer")
def post(session_token: str) -> Response[str]:
    return interview_pages.answer(session_token, interview_pages.body(app))


handler = relay.lambda_handler(app)
