from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.sessions import pages

app = pages.resolver()


@app.get("/interview/session/<session_token>/voice")
def get(session_token: str) -> Response[str]:
    return pages.question_voice(session_token)


handler = relay.lambda_handler(app)
