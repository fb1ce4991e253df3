from panelist.api import relay
from panelist.models.sessions import TranscriptOut
from panelist.sessions.views import transcript

app = relay.resolver()


@app.get("/api/session/<id>/transcript")
def get(id: str) -> TranscriptOut:
    return transcript(app.tenant, id)


handler = relay.lambda_handler(app)
