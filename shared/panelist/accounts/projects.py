"""Projects group an organization's campaigns."""

from __future__ import annotations

from panelist.accounts import store
from panelist.accounts.store import get_project, list_projects
from panelist.models.campaigns import Project, ProjectCreate
from panelist.models.common import new_id, now

__all__ = ["create_project", "get_project", "list_projects"]


def create_project(organization_id: str, request: ProjectCreate) -> Project:
    project = Project(id=new_id(), organization_id=organization_id, created_at=now(), **request.model_dump())
    store.insert_project(project)
    return project
