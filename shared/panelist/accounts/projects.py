"""Projects group an organization's campaigns."""

from __future__ import annotations

from panelist.core.errors import NotFound
from panelist.core.storage import counter_op, org_pk, put_op, table
from panelist.models.campaigns import Project, ProjectCreate
from panelist.models.common import new_id, now

PREFIX = "PROJECT#"


def create_project(organization_id: str, request: ProjectCreate) -> Project:
    project = Project(id=new_id(), organization_id=organization_id, created_at=now(), **request.model_dump())
    table().transact(
        put_op(
            {
                "PK": org_pk(organization_id),
                "SK": PREFIX + project.id,
                "type": "Project",
                **project.model_dump(mode="json"),
            },
            unique=True,
        ),
        counter_op(org_pk(organization_id), "projects"),
    )
    return project


def get_project(organization_id: str, project_id: str) -> Project:
    item = table().get(org_pk(organization_id), PREFIX + project_id)
    if item is None:
        raise NotFound("project not found", field="project_id")
    return Project.model_validate(item)


def list_projects(organization_id: str, *, offset: int, limit: int) -> tuple[list[Project], int]:
    """A page of projects, oldest first, and how many there are."""
    items = table().query_offset(org_pk(organization_id), prefix=PREFIX, offset=offset, limit=limit)
    return [Project.model_validate(i) for i in items], table().counter(org_pk(organization_id), "projects")
