from panelist.api import xobin
from panelist.interviews.store import get_interview_by_number
from panelist.models.interviews import InterviewDetailsOut

app = xobin.resolver()


@app.get("/api/v2/ai-interviews/details/<ai_interview_id>")
def get(ai_interview_id: int) -> InterviewDetailsOut:
    return InterviewDetailsOut.of(get_interview_by_number(app.tenant, ai_interview_id))


handler = xobin.lambda_handler(app)
