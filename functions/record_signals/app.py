from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.sessions import pages

app = pages.resolver()


@app.post("/interview/session/<session_token>/signals")
def post(session_token: str) -> Response[str]:
    return pages.signals(session_token, pages.body(app))


handler = relay.lambda_handler(app)
