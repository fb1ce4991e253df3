import pytest


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/nothing-here",
            {"error": {"code": "NOT_FOUND", "message": "No route for GET /api/nothing-here", "details": {}}},
        ),
        ("/api/v2/ai-interviews/nope", {"error": "No route for GET /api/v2/ai-interviews/nope"}),
        ("/job-interview-nope", {"error": "No route for GET /job-interview-nope"}),
    ],
)
def test_unknown_paths_are_404_in_the_surface_format_of_the_path(api, path, body):
    reply = api("route_not_found", path=path, method="GET")
    assert reply.status == 404
    assert reply.body == body


def test_a_known_path_with_another_method_is_405_listing_the_allowed_ones(api):
    reply = api("route_not_found", path="/api/admin/organizations/o1/api-keys/k1", method="PATCH")
    assert reply.status == 405
    assert reply.headers["Allow"] == "DELETE"
    assert reply.body["error"]["code"] == "METHOD_NOT_ALLOWED"
    reply = api("route_not_found", path="/auth/token", method="GET")
    assert reply.status == 405
    assert reply.body == {"error": "Method GET is not allowed on /auth/token; use POST"}
