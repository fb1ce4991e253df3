from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.sessions import pages

app = pages.resolver()


@app.post("/interview/<token>/start")
def post(token: str) -> Response[str]:
    return pages.start(token, pages.body(app))


handler = relay.lambda_handler(app)
