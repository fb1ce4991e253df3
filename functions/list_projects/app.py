from panelist.accounts.projects import list_projects
from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.models.campaigns import ProjectOut

app = relay.resolver()
ProjectList = relay.listing_model("ProjectList", "projects", ProjectOut)


@app.get("/api/projects")
def get(limit: Limit = 50, offset: Offset = 0) -> ProjectList:
    projects, total = list_projects(app.tenant, offset=offset, limit=limit)
    listed = relay.listing(
        "projects",
        [ProjectOut.model_validate(p, from_attributes=True) for p in projects],
        total=total,
        limit=limit,
        offset=offset,
    )
    return ProjectList.model_validate(listed)


handler = relay.lambda_handler(app)
