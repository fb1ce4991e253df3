from panelist.api import relay
from panelist.interviews.catalog import archive_interview
from panelist.models.interviews import InterviewOut

app = relay.resolver()


@app.delete("/api/interviews/<id>")
def delete(id: str) -> InterviewOut:
    """Archive the interview (kept for the sessions that used it) and answer it as it now is."""
    return InterviewOut.of(archive_interview(app.tenant, id))


handler = relay.lambda_handler(app)
