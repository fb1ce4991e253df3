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


# The seed's interview-for-profile links end with a slash; HTTP API route keys cannot, and a request path with
# a trailing slash does not match the route without it: it lands on $default, which sends it on to the route.


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_trailing_slash_on_a_route_is_a_308_to_the_route_with_the_query_kept(api, method):
    reply = api(
        "route_not_found",
        path="/interview/take/7c1e2d3f/",
        method=method,
        query={"interview_token": "a.b-c_d", "view_hm": "true"},
    )
    assert reply.status == 308  # the method and body are kept: the start form's POST arrives as a POST
    assert reply.headers["Location"] == "/interview/take/7c1e2d3f?interview_token=a.b-c_d&view_hm=true"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["X-RateLimit-Limit"] == "1000"  # a page's request, in the pages' budget per address


def test_without_a_query_the_location_is_the_bare_route(api):
    reply = api("route_not_found", path="/api/projects/", method="GET", query={})
    assert (reply.status, reply.headers["Location"]) == (308, "/api/projects")
    assert reply.headers["X-RateLimit-Limit"] == "100"  # not a page: the anonymous budget


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("DELETE", "/interview/take/7c1e2d3f/", 405),  # the route exists, not for this method: no redirect
        ("GET", "/api/nothing-here/", 404),  # no route without the slash either
        ("GET", "//interview/take/x/", 404),  # never a redirect off the API (`//host` is another site)
        ("GET", "/interview/take/x//", 404),  # one slash only
        ("GET", "/", 404),
    ],
)
def test_a_trailing_slash_is_only_redirected_to_a_route_of_its_method(api, method, path, status):
    reply = api("route_not_found", path=path, method=method, query={})
    assert reply.status == status, reply
    assert "Location" not in reply.headers
