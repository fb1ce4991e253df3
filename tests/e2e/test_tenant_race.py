"""Two organizations calling one route at the same moment each see only their own data (issue 14, item 7)."""

from concurrent.futures import ThreadPoolExecutor

ROUNDS = 12


def _organization(client, platform_admin, name: str) -> dict[str, str]:
    org = client.request(
        "POST", "/api/admin/organizations", body={"name": name, "plan": "professional"}, headers=platform_admin
    )
    assert org.status == 201, org.raw
    key = client.request(
        "POST", f"/api/admin/organizations/{org.json['id']}/api-keys", body={"name": "race"}, headers=platform_admin
    )
    assert key.status == 201, key.raw
    return {"apiKey": key.json["key"]}


def test_two_organizations_racing_on_one_route_stay_apart(client, platform_admin):
    tenants = {name: _organization(client, platform_admin, f"Race {name}") for name in ("A", "B")}

    def create(args):
        name, number = args
        reply = client.request("POST", "/api/projects", body={"name": f"{name}-{number}"}, headers=tenants[name])
        assert reply.status == 201, reply.raw
        return name, reply.json["name"]

    def listing(name):
        reply = client.request("GET", "/api/projects?limit=100", headers=tenants[name])
        assert reply.status == 200, reply.raw
        return name, [p["name"] for p in reply.json["projects"]]

    calls = [(name, number) for number in range(ROUNDS) for name in tenants]
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(create, calls))
        listed = list(pool.map(listing, [name for _ in range(ROUNDS) for name in tenants]))

    assert all(project.startswith(f"{name}-") for name, project in created)
    for name, projects in listed:
        assert projects, name
        assert all(project.startswith(f"{name}-") for project in projects), (name, projects)
    for name in tenants:
        assert sorted(listing(name)[1]) == sorted(f"{name}-{n}" for n in range(ROUNDS))
