from aws_lambda_powertools.event_handler import Response

from panelist import interview_pages
from panelist.api import relay

app = interview_pages.resolver()


@app.get("/interview/session/<session_token>")
def get(session_token: str) -> Response[str]:
    return interview_pages.session_page(session_token)


handler = relay.lambda_handler(app)
