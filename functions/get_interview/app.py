from panelist.api import relay
from panelist.interviews.catalog import get_interview
from panelist.models.interviews import InterviewOut

app = relay.resolver()


@app.get("/api/interviews/<id>")
def get(id: str) -> InterviewOut:
    return InterviewOut.of(get_interview(app.tenant, id))


handler = relay.lambda_handler(app)
