from aws_lambda_powertools.event_handler import Response

from panelist.api import pages, relay
from panelist.api.relay import Access
from panelist.sessions.page_language import Requested

app = relay.resolver(Access.public)


@app.get("/interview/<token>")
def get(token: str) -> Response[str]:
    event = app.current_event
    requested = Requested(event.get_query_string_value("lang"), event.headers.get("accept-language"))
    return pages.invite(token, requested=requested)


handler = relay.lambda_handler(app)
