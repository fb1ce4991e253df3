import pytest


def test_a_project_is_created_and_listed_oldest_first(api, tenant_a):
    created = api(
        "create_project",
        body={"name": "Engineering", "description": "Backend roles"},
        headers=tenant_a.as_member(),
    )
    assert created.status == 201
    assert set(created.body) == {"id", "name", "description", "created_at"}
    api("create_project", body={"name": "Sales"}, headers=tenant_a.as_member())
    listing = api("list_projects", query={}, headers=tenant_a.as_admin()).body
    assert [p["name"] for p in listing["projects"]] == ["Engineering", "Sales"]
    assert listing["pagination"] == {"total": 2, "limit": 50, "offset": 0, "has_more": False}


def test_each_organization_sees_only_its_own_projects(api, tenant_a, tenant_b):
    api("create_project", body={"name": "A's secret plan"}, headers=tenant_a.as_member())
    listing = api("list_projects", query={}, headers=tenant_b.as_member()).body
    assert listing["projects"] == []
    assert listing["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "name"), ({"name": "   "}, "name"), ({"name": "x", "description": 5}, "description")],
)
def test_invalid_projects_are_400_naming_the_field(api, tenant_a, body, field):
    reply = api("create_project", body=body, headers=tenant_a.as_member())
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == field


def test_list_paging_limits(api, tenant_a):
    for i in range(3):
        api("create_project", body={"name": f"P{i}"}, headers=tenant_a.as_member())
    page = api("list_projects", query={"limit": "2", "offset": "1"}, headers=tenant_a.as_member()).body
    assert [p["name"] for p in page["projects"]] == ["P1", "P2"]
    assert page["pagination"]["has_more"] is False
    assert api("list_projects", query={"limit": "101"}, headers=tenant_a.as_member()).status == 400


def test_a_body_nested_thousands_deep_is_a_400_naming_the_body(api, tenant_a):
    deep = "[" * 50_000 + "]" * 50_000
    reply = api("create_project", raw_body='{"name": ' + deep + "}", headers=tenant_a.as_member())
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == "body"
    assert api("list_projects", query={}, headers=tenant_a.as_member()).body["projects"] == []
