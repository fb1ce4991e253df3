"""The only writer of the accounts items: organizations (`ORG`, `SLUG#`), API keys (`APIKEY#`) and projects.

Organizations are listed in GSI1 `ORGS`, oldest first, and counted on `PLATFORM`. An API key is found by
its hash through a lookup item (`APIKEY#<hash>` / `APIKEY`) written in the key's own transaction, so a
new key authenticates at once (no eventually consistent index on the path).
"""

from __future__ import annotations

from panelist.core.errors import Conflict, NotFound
from panelist.core.storage import ConditionFailed, Item, check_op, counter_op, org_pk, put_op, table, update_op
from panelist.models.campaigns import Project
from panelist.models.organizations import ApiKey, Organization

PLATFORM_PK = "PLATFORM"
ORG_SK = "ORG"
ORG_INDEX_PK = "ORGS"  # GSI1 partition listing every organization, oldest first
KEY_PREFIX = "APIKEY#"
PROJECT_PREFIX = "PROJECT#"


# ------------------------------------------------------------------ organizations


def organization_item(org: Organization) -> Item:
    return {
        "PK": org_pk(org.id),
        "SK": ORG_SK,
        "GSI1PK": ORG_INDEX_PK,
        "GSI1SK": f"{org.created_at.isoformat()}#{org.id}",
        "type": "Organization",
        **org.model_dump(mode="json"),
    }


def insert_organization(org: Organization, *, with_ops: list[Item]) -> None:
    """Create an organization with its unique slug, in one transaction with `with_ops` (e.g. its credits)."""
    ops = [
        put_op(organization_item(org), unique=True),
        put_op({"PK": f"SLUG#{org.slug}", "SK": "SLUG", "organization_id": org.id}, unique=True),
        counter_op(PLATFORM_PK, "organizations"),
        *with_ops,
    ]
    if org.parent_id:
        ops.append(
            update_op(org_pk(org.parent_id), ORG_SK, "ADD sub_merchants :one", condition="attribute_exists(PK)", one=1)
        )
    try:
        table().transact(*ops)
    except ConditionFailed as exc:
        if org.parent_id and exc.reasons[-1] == "ConditionalCheckFailed":
            raise NotFound("parent organization not found", field="parent_id") from None
        raise Conflict(f"slug {org.slug!r} is already taken", field="slug", expected="a unique slug") from None


def get_organization(organization_id: str) -> Organization:
    item = table().get(org_pk(organization_id), ORG_SK)
    if item is None:
        raise NotFound("organization not found", field="id")
    return Organization.model_validate(item)


def list_organizations(*, offset: int, limit: int) -> tuple[list[Organization], int]:
    items = table().query_offset(ORG_INDEX_PK, index="GSI1", offset=offset, limit=limit)
    return [Organization.model_validate(i) for i in items], table().counter(PLATFORM_PK, "organizations")


# ------------------------------------------------------------------ API keys


def _lookup_pk(key_hash: str) -> str:
    return f"APIKEY#{key_hash}"


def insert_api_key(key: ApiKey, key_hash: str) -> None:
    try:
        table().transact(
            check_op(org_pk(key.organization_id), ORG_SK),
            put_op(
                {
                    "PK": org_pk(key.organization_id),
                    "SK": KEY_PREFIX + key.id,
                    "type": "ApiKey",
                    "key_hash": key_hash,
                    **key.model_dump(mode="json"),
                },
                unique=True,
            ),
            put_op(
                {
                    "PK": _lookup_pk(key_hash),
                    "SK": "APIKEY",
                    "organization_id": key.organization_id,
                    "key_id": key.id,
                    "role": key.role.value,
                    "revoked": False,
                },
                unique=True,
            ),
        )
    except ConditionFailed:
        raise NotFound("organization not found", field="id") from None


def list_api_keys(organization_id: str) -> list[ApiKey]:
    page = table().query(org_pk(organization_id), prefix=KEY_PREFIX, limit=1000)
    return [ApiKey.model_validate(item) for item in page.items]


def get_api_key_item(organization_id: str, key_id: str) -> Item:
    item = table().get(org_pk(organization_id), KEY_PREFIX + key_id)
    if item is None:
        raise NotFound("API key not found", field="key_id")
    return item


def find_api_key(key_hash: str) -> Item | None:
    """The lookup item of a key by its hash: organization_id, key_id, role, revoked."""
    return table().get(_lookup_pk(key_hash), "APIKEY")


def mark_api_key_revoked(organization_id: str, key_id: str, key_hash: str, revoked_at: str) -> None:
    table().transact(
        update_op(org_pk(organization_id), KEY_PREFIX + key_id, "SET revoked_at = :at", at=revoked_at),
        update_op(_lookup_pk(key_hash), "APIKEY", "SET revoked = :yes", yes=True),
    )


# ------------------------------------------------------------------ projects


def insert_project(project: Project) -> None:
    pk = org_pk(project.organization_id)
    table().transact(
        put_op(
            {"PK": pk, "SK": PROJECT_PREFIX + project.id, "type": "Project", **project.model_dump(mode="json")},
            unique=True,
        ),
        counter_op(pk, "projects"),
    )


def get_project(organization_id: str, project_id: str) -> Project:
    item = table().get(org_pk(organization_id), PROJECT_PREFIX + project_id)
    if item is None:
        raise NotFound("project not found", field="project_id")
    return Project.model_validate(item)


def list_projects(organization_id: str, *, offset: int, limit: int) -> tuple[list[Project], int]:
    """A page of projects, oldest first, and how many there are."""
    pk = org_pk(organization_id)
    items = table().query_offset(pk, prefix=PROJECT_PREFIX, offset=offset, limit=limit)
    return [Project.model_validate(i) for i in items], table().counter(pk, "projects")
