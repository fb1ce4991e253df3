from aws_lambda_powertools.event_handler import Response

from panelist.api import pages, relay
from panelist.api.relay import Access

app = relay.resolver(Access.public)


@app.get("/interview/<token>")
def get(token: str) -> Response[str]:
    return pages.invite(token)


handler = relay.lambda_handler(app)
