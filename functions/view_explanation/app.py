from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.compliance.explanations import explanation_page

app = relay.resolver(relay.Access.public)


@app.get("/interview/explanation/<token>")
def get(token: str) -> Response[str]:
    return explanation_page(token)


handler = relay.lambda_handler(app)
