from panelist.accounts.projects import create_project
from panelist.api import relay
from panelist.models.campaigns import ProjectCreate, ProjectOut

app = relay.resolver()


@app.post("/api/projects")
def post(body: ProjectCreate) -> tuple[ProjectOut, int]:
    return ProjectOut.model_validate(create_project(app.tenant, body), from_attributes=True), 201


handler = relay.lambda_handler(app)
