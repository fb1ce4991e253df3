from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.webhooks.endpoints import delete_endpoint

app = relay.resolver(relay.Access.admin)


@app.delete("/api/webhooks/<id>")
def delete(id: str) -> Response[str]:
    delete_endpoint(app.tenant, id)
    return Response(status_code=204, body="")


handler = relay.lambda_handler(app)
