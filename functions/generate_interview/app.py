from panelist.api import xobin
from panelist.interviews.generation import QUEUED, submit
from panelist.models.interviews import GenerateInterviewRequest, GenerationAccepted

app = xobin.resolver()


@app.post("/api/v2/ai-interviews/generate-interview")
def post(body: GenerateInterviewRequest | None = None) -> tuple[GenerationAccepted, int]:
    task = submit(
        app.tenant,
        body or GenerateInterviewRequest(),
        idempotency_key=app.current_event.headers.get("idempotency-key"),
        lambda_context=app.lambda_context,
    )
    return GenerationAccepted(job_id=task.id, status=task.status.value, message=QUEUED), 202


handler = xobin.lambda_handler(app)
