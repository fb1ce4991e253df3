import pytest

from panelist.accounts.organizations import create_organization
from panelist.models.organizations import OrganizationCreate


def test_lists_page_by_limit_and_offset_with_totals(api, platform_admin):
    names = [f"Org {i}" for i in range(5)]
    for name in names:
        create_organization(OrganizationCreate(name=name))
    first = api("list_organizations", query={"limit": "2"}, headers=platform_admin).body
    assert [o["name"] for o in first["organizations"]] == names[:2]
    assert first["pagination"] == {"total": 5, "limit": 2, "offset": 0, "has_more": True}
    last = api("list_organizations", query={"limit": "2", "offset": "4"}, headers=platform_admin).body
    assert [o["name"] for o in last["organizations"]] == names[4:]
    assert last["pagination"]["has_more"] is False
    past = api("list_organizations", query={"offset": "50"}, headers=platform_admin).body
    assert past["organizations"] == []
    assert past["total"] == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_bad_paging_parameters_are_400(api, platform_admin, query, field):
    reply = api("list_organizations", query=query, headers=platform_admin)
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == field
