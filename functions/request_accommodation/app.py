from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.compliance import accommodation_pages
from panelist.sessions import pages

app = pages.resolver()


@app.post("/interview/<token>/accommodation")
def post(token: str) -> Response[str]:
    return accommodation_pages.from_invite(token, pages.body(app))


handler = relay.lambda_handler(app)
