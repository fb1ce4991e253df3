from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.sessions.views import audio_link

app = relay.resolver()


@app.get("/api/session/<id>/audio")
def get(id: str) -> Response[str]:
    return Response(status_code=302, headers={"Location": audio_link(app.tenant, id)}, body="")


handler = relay.lambda_handler(app)
