from panelist.api import relay
from panelist.models.sessions import SessionDetail
from panelist.sessions.views import session_detail

app = relay.resolver()


@app.get("/api/sessions/<id>")
def get(id: str) -> SessionDetail:
    return session_detail(app.tenant, id, base_url=app.base_url())


handler = relay.lambda_handler(app)
