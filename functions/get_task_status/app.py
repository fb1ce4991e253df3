from panelist.api import xobin
from panelist.interviews.generation import task_status
from panelist.models.interviews import TaskStatusOut

app = xobin.resolver()


@app.get("/api/v2/task-executions/status/<job_id>")
def get(job_id: str) -> TaskStatusOut:
    return task_status(app.tenant, job_id)


handler = xobin.lambda_handler(app)
