from panelist.api import relay
from panelist.interviews.catalog import create_interview
from panelist.models.interviews import InterviewCreate, InterviewOut

app = relay.resolver()


@app.post("/api/interviews")
def post(body: InterviewCreate) -> tuple[InterviewOut, int]:
    return InterviewOut.of(create_interview(app.tenant, body)), 201


handler = relay.lambda_handler(app)
