from panelist.accounts.projects import list_projects
from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.models.campaigns import ProjectOut

app = relay.resolver()


@app.get("/api/projects")
def get(limit: Limit = 50, offset: Offset = 0) -> dict:
    projects, total = list_projects(app.tenant, offset=offset, limit=limit)
    return relay.listing(
        "projects",
        [ProjectOut.model_validate(p, from_attributes=True) for p in projects],
        total=total,
        limit=limit,
        offset=offset,
    )


handler = relay.lambda_handler(app)
