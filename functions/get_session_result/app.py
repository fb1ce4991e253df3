from panelist.api import relay
from panelist.models.sessions import SessionResult
from panelist.sessions.views import session_result

app = relay.resolver()


@app.get("/api/sessions/<id>/result")
def get(id: str) -> SessionResult:
    return session_result(app.tenant, id)


handler = relay.lambda_handler(app)
