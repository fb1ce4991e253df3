from panelist.api import relay
from panelist.interviews.catalog import update_interview
from panelist.models.interviews import InterviewOut, InterviewUpdate

app = relay.resolver()


@app.patch("/api/interviews/<id>")
def patch(id: str, body: InterviewUpdate) -> InterviewOut:
    return InterviewOut.of(update_interview(app.tenant, id, body))


handler = relay.lambda_handler(app)
