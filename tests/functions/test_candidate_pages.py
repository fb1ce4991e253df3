"""The public pages a /job-interview-token link opens: each verifies its token and shows only what it grants."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from panelist.candidates.store import get_candidate, save_candidate
from panelist.core import signing
from panelist.core.storage import table
from panelist.models.common import now
from panelist.models.sessions import SessionStatus
from panelist.sessions import candidate_pages
from panelist.sessions.store import candidate_session_ids, get_session, session_item
from panelist_local import demo
from tests.functions.csp import assert_strict_csp
from tests.functions.reports_data import make_interview, make_result

FUNCTIONS = {
    "interview-for-profile": ("take_interview", "interview_id"),
    "results-for-profile": ("profile_results", "profile_id"),
    "interview-result-candidate": ("result_for_candidate", "result_id"),
    "interview-result-talent-seeker": ("result_for_recruiter", "result_id"),
    "interview-results-for-position": ("position_results", "interview_id"),
}
PATH = {
    "take_interview": re.compile(r"^/interview/take/([^/]+)/$"),
    "profile_results": re.compile(r"^/interview/profile/([^/]+)/results$"),
    "result_for_candidate": re.compile(r"^/interview/result/([^/]+)/candidate$"),
    "result_for_recruiter": re.compile(r"^/interview/result/([^/]+)$"),
    "position_results": re.compile(r"^/interview/position/([^/]+)/results$"),
}


def open_url(api, url: str, *, function: str | None = None):
    """GET a page URL through the handler its path names."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for name, pattern in PATH.items():
        if function in (None, name) and (match := pattern.match(parts.path)):
            param = dict(FUNCTIONS.values())[name]
            return api(name, path=parts.path, path_params={param: unquote(match[1])}, query=query)
    raise AssertionError(f"no page for {url}")


def sign_link(api, tenant, **body):
    reply = api("create_job_interview_token", body=body, headers=tenant.as_member())
    assert reply.status == 200, reply.body
    return reply.body


@pytest.fixture
def world(tenant_a):
    interview = make_interview(tenant_a.id)
    strong = make_result(tenant_a.id, name="Ada Okafor", interview=interview)
    weak = make_result(tenant_a.id, name="Ben Weaver", strength="moderate", interview=interview)
    # Ben's result completed a day later; Ada scores higher
    later = weak.model_copy(update={"completed_at": weak.completed_at + timedelta(days=1)})
    table().put(session_item(later))
    return {"interview": interview, "strong": strong, "weak": later}


def _links(api, tenant, world, hide_menu="true"):
    strong = world["strong"]
    return {
        "interview-for-profile": sign_link(
            api,
            tenant,
            type="interview-for-profile",
            interview_id=world["interview"].id,
            interview_profile_id=strong.candidate_id,
            hide_menu=hide_menu,
        ),
        "results-for-profile": sign_link(
            api, tenant, type="results-for-profile", interview_profile_id=strong.candidate_id, hide_menu=hide_menu
        ),
        "interview-result-candidate": sign_link(
            api, tenant, type="interview-result-candidate", interview_result_id=strong.id, hide_menu=hide_menu
        ),
        "interview-result-talent-seeker": sign_link(
            api, tenant, type="interview-result-talent-seeker", interview_result_id=strong.id, hide_menu=hide_menu
        ),
        "interview-results-for-position": sign_link(
            api, tenant, type="interview-results-for-position", interview_id=world["interview"].id, hide_menu=hide_menu
        ),
    }


def _html(reply) -> str:
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"].startswith("text/html")
    assert reply.headers["Cache-Control"] == "no-store"
    assert "noindex" in reply.headers["X-Robots-Tag"]
    assert_strict_csp(reply)
    return reply.body


def _token(url):
    return parse_qs(urlsplit(url).query)["interview_token"][0]


def _with_token(url, token):
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    query["interview_token"] = [token]
    return parts._replace(query="&".join(f"{k}={v[0]}" for k, v in query.items())).geturl()


# ------------------------------------------------------------------ each page


def test_the_take_page_shows_the_interview_for_the_candidate(api, tenant_a, world):
    body = _html(open_url(api, _links(api, tenant_a, world)["interview-for-profile"]))
    interview = world["interview"]
    assert f"Ada, your interview for {interview.role}" in body
    assert f"about {interview.duration_minutes} minutes" in body
    assert f"<dd>{len(interview.questions)}</dd>" in body
    assert "You have completed this interview" in body, "Ada's result exists: no second attempt"
    assert "<form" not in body
    assert 'name="viewport"' in body
    assert "<nav" not in body, "the menu is hidden by default"


def _take_link(api, tenant, interview, candidate_id):
    return sign_link(
        api, tenant, type="interview-for-profile", interview_id=interview.id, interview_profile_id=candidate_id
    )


def _start(api, url, form):
    parts = urlsplit(url)
    interview_id = PATH["take_interview"].match(parts.path)[1]
    return api(
        "start_profile_interview",
        path=parts.path,
        path_params={"interview_id": interview_id},
        query={k: v[0] for k, v in parse_qs(parts.query).items()},
        raw_body=form,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def test_a_profile_link_starts_the_interview_for_its_candidate_once(api, tenant_a, world):
    candidate = demo._candidate(tenant_a.id, "Chen Wei", "chen@example.com", "+1 555 0100", "Toronto", ["Engineer"])
    url = _take_link(api, tenant_a, world["interview"], candidate.id)
    page = _html(open_url(api, url))
    assert "Start the interview" in page
    assert 'name="consent"' in page

    refused = _start(api, url, "")
    assert refused.status == 400
    assert 'role="alert"' in refused.body
    assert candidate_session_ids(tenant_a.id, candidate.id) == []

    started = _start(api, url, "consent=on")
    assert started.status == 303
    assert started.headers["Location"].startswith("/interview/session/")
    [session_id] = candidate_session_ids(tenant_a.id, candidate.id)
    session = get_session(tenant_a.id, session_id)
    assert (session.interview_id, session.status) == (world["interview"].id, SessionStatus.in_progress)

    # Opening the link again leads back into that session; starting again starts nothing new.
    again = _html(open_url(api, url))
    assert "Continue your interview" in again
    assert _start(api, url, "consent=on").status == 200
    assert candidate_session_ids(tenant_a.id, candidate.id) == [session_id]


def test_the_profile_page_lists_the_candidates_results_with_links(api, tenant_a, world):
    other = make_result(tenant_a.id, name="Cleo Other", interview=world["interview"])
    body = _html(open_url(api, _links(api, tenant_a, world)["results-for-profile"]))
    assert "Ada, your interview results" in body
    assert "Senior Python Engineer" in body
    assert "Completed" in body
    assert "20 Oct 2024" in body
    score = candidate_pages.score_of(world["strong"])
    assert f">{candidate_pages.score_text(score)}<" in body
    links = re.findall(r'href="([^"]+/candidate\?interview_token=[^"]+)"', body)
    assert len(links) == 1, "only this candidate's results"
    page = _html(open_url(api, links[0].replace("&amp;", "&")))
    assert "Your answers" in page
    assert other.id not in body


def test_the_candidate_result_page_shows_answers_and_no_recruiter_assessment(api, tenant_a, world):
    body = _html(open_url(api, _links(api, tenant_a, world)["interview-result-candidate"]))
    session = world["strong"]
    assert "Your interview for Senior Python Engineer" in body
    for answer in session.answers:
        assert answer.text.split(".")[0][:60].replace("'", "&#39;") in body
    for question in world["interview"].questions[: len(session.answers)]:
        assert question.prompt[:40].replace("'", "&#39;") in body
    assert f"{candidate_pages.score_text(candidate_pages.score_of(session))} / 100" in body
    assessment = session.assessment
    assert assessment is not None
    leaked = [assessment.overall, assessment.resume_analysis, *assessment.why_hire, *assessment.why_not_hire]
    leaked += [a.analysis.summary for a in session.answers if a.analysis]
    leaked += [r for a in session.answers if a.analysis for r in a.analysis.reasons]
    leaked += [q.expectations.strong for q in world["interview"].questions]
    for text in leaked:
        assert text[:40].replace("'", "&#39;") not in body, text


def test_the_recruiter_page_is_the_full_report(api, tenant_a, world):
    body = _html(open_url(api, _links(api, tenant_a, world)["interview-result-talent-seeker"]))
    assessment = world["strong"].assessment
    assert body.lstrip().lower().startswith("<!doctype html")
    assert "Ada Okafor" in body
    assert assessment.why_hire[0][:40].replace("'", "&#39;") in body


def test_the_position_page_lists_every_result_sortable_by_score_and_date(api, tenant_a, tenant_b, world):
    link = _links(api, tenant_a, world)["interview-results-for-position"]
    body = _html(open_url(api, link))
    assert body.index("Ben Weaver") < body.index("Ada Okafor"), "newest completed first by default"
    by_score = _html(open_url(api, link + "&sort=score&order=desc"))
    assert by_score.index("Ada Okafor") < by_score.index("Ben Weaver")
    assert 'aria-sort="descending"' in by_score
    ascending = _html(open_url(api, link + "&sort=score&order=asc"))
    assert ascending.index("Ben Weaver") < ascending.index("Ada Okafor")
    by_date = _html(open_url(api, link + "&sort=date&order=asc"))
    assert by_date.index("Ada Okafor") < by_date.index("Ben Weaver")
    nonsense = _html(open_url(api, link + "&sort=name&order=sideways"))
    assert nonsense.index("Ben Weaver") < nonsense.index("Ada Okafor"), "unknown sorts fall back to the default"
    # each row links to the recruiter view of its result, with a token of its own
    rows = re.findall(r'href="([^"]+/interview/result/[^"/?]+\?interview_token=[^"]+)"', body)
    assert len(rows) == 2
    report = _html(open_url(api, rows[0].replace("&amp;", "&"), function="result_for_recruiter"))
    assert "Ben Weaver" in report
    # the sort header links keep the page's token
    headers = re.findall(r'href="([^"]+sort=score[^"]*)"', body)
    assert headers
    assert _token(link) in headers[0]


def test_the_position_page_shows_an_erased_candidate_without_a_name(api, tenant_a, world):
    candidate = get_candidate(tenant_a.id, world["weak"].candidate_id)
    save_candidate(candidate.model_copy(update={"erased_at": now()}))
    body = _html(open_url(api, _links(api, tenant_a, world)["interview-results-for-position"]))
    assert "Erased candidate" in body
    assert "Ben Weaver" not in body


def test_the_position_page_lists_only_that_positions_results(api, tenant_a, world):
    elsewhere = make_result(tenant_a.id, name="Dana Elsewhere")  # another interview
    body = _html(open_url(api, _links(api, tenant_a, world)["interview-results-for-position"]))
    assert "Dana Elsewhere" not in body
    assert elsewhere.id not in body


# ------------------------------------------------------------------ the menu


def test_view_hm_false_shows_the_menu_and_links_between_pages(api, tenant_a, world):
    links = _links(api, tenant_a, world, hide_menu="false")
    take = _html(open_url(api, links["interview-for-profile"]))
    assert '<nav class="pages"' in take
    assert "Your results" in take
    results = re.search(r'<a href="([^"]+/results\?[^"]+)">Your results</a>', take)
    assert results, take
    listing = _html(open_url(api, results[1].replace("&amp;", "&")))
    assert "Ada, your interview results" in listing
    assert '<nav class="pages"' in listing
    row = re.search(r'href="([^"]+/candidate\?[^"]+)"', listing)[1].replace("&amp;", "&")
    result = _html(open_url(api, row))
    back = re.search(r'<a href="([^"]+)">All your results</a>', result)
    assert back, "a result opened from the list links back to it"
    assert "Ada, your interview results" in _html(open_url(api, back[1].replace("&amp;", "&")))
    position = _html(open_url(api, links["interview-results-for-position"]))
    report_link = re.search(r'href="([^"]+/interview/result/[^"/?]+\?[^"]+)"', position)[1].replace("&amp;", "&")
    report = _html(open_url(api, report_link, function="result_for_recruiter"))
    assert "All results of the position" in report


def test_the_menu_stays_hidden_whatever_the_url_says(api, tenant_a, world):
    link = _links(api, tenant_a, world)["results-for-profile"].replace("view_hm=true", "view_hm=false")
    assert "<nav" not in _html(open_url(api, link)), "the token decides, not the query string"


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize("kind", sorted(FUNCTIONS))
def test_a_forged_or_tampered_token_is_a_403_page(api, tenant_a, world, kind):
    link = _links(api, tenant_a, world)[kind]
    token = _token(link)
    header, payload, signature = token.split(".")
    for bad in (
        f"{header}.{payload}.{signature[:-4]}AAAA",
        f"{header}.{payload[:-2]}.{signature}",
        "not-a-token",
        token[:40],
    ):
        reply = open_url(api, _with_token(link, bad))
        assert reply.status == 403, (bad, reply.body)
        assert "This link is not valid" in reply.body
        assert_strict_csp(reply)
    parts = urlsplit(link)
    reply = open_url(api, parts._replace(query="").geturl())
    assert reply.status == 403, "no token at all"


@pytest.mark.parametrize("kind", sorted(FUNCTIONS))
def test_an_expired_token_is_a_410_page(api, tenant_a, world, kind, monkeypatch):
    link = _links(api, tenant_a, world)[kind]
    later = datetime.now(UTC) + candidate_pages.LINK_TTL + timedelta(minutes=1)
    monkeypatch.setattr("jwt.api_jwt.datetime", type("D", (), {"now": staticmethod(lambda tz=None: later)}))
    reply = open_url(api, link)
    assert reply.status == 410, reply.body
    assert "This link has expired" in reply.body


def test_a_token_of_another_type_is_a_403(api, tenant_a, world):
    links = _links(api, tenant_a, world)
    candidate_link = links["interview-result-candidate"]
    recruiter_token = _token(links["interview-result-talent-seeker"])
    # the same result id, the recruiter's token on the candidate page and the other way round
    assert open_url(api, _with_token(candidate_link, recruiter_token)).status == 403
    recruiter_link = links["interview-result-talent-seeker"]
    assert (
        open_url(api, _with_token(recruiter_link, _token(candidate_link)), function="result_for_recruiter").status
        == 403
    )
    # a position token on the take page of the same interview
    take = links["interview-for-profile"]
    assert open_url(api, _with_token(take, _token(links["interview-results-for-position"]))).status == 403


def test_a_token_for_another_id_is_a_403(api, tenant_a, world):
    links = _links(api, tenant_a, world)
    weak = world["weak"]
    link = links["interview-result-talent-seeker"].replace(world["strong"].id, weak.id)
    reply = open_url(api, link, function="result_for_recruiter")
    assert reply.status == 403
    assert "Ben Weaver" not in reply.body


def test_another_organizations_id_is_a_403_and_nothing_leaks(api, tenant_a, tenant_b, world):
    other = make_result(tenant_b.id, name="Zed Foreign")
    links = _links(api, tenant_a, world)
    for kind, resource in (
        ("interview-result-talent-seeker", other.id),
        ("interview-result-candidate", other.id),
        ("interview-results-for-position", other.interview_id),
        ("results-for-profile", other.candidate_id),
    ):
        url = links[kind]
        current = {
            "interview-result-talent-seeker": world["strong"].id,
            "interview-result-candidate": world["strong"].id,
            "interview-results-for-position": world["interview"].id,
            "results-for-profile": world["strong"].candidate_id,
        }[kind]
        reply = open_url(api, url.replace(current, resource), function=FUNCTIONS[kind][0])
        assert reply.status == 403, kind
        assert "Zed" not in reply.body
        assert tenant_b.id not in reply.body


def test_a_token_of_another_audience_is_a_403(api, tenant_a, world):
    link = _links(api, tenant_a, world)["interview-result-talent-seeker"]
    claims = signing.verify(_token(link), audience=candidate_pages.AUDIENCE)
    keep = {k: claims[k] for k in ("org", "typ", "res", "menu")}
    foreign, _ = signing.sign(keep, audience="report-share", ttl=timedelta(hours=1))
    assert open_url(api, _with_token(link, foreign), function="result_for_recruiter").status == 403


def test_a_deleted_result_is_a_404_page(api, tenant_a, world):
    link = _links(api, tenant_a, world)["interview-result-candidate"]
    session = get_session(tenant_a.id, world["strong"].id)
    table()._client.delete_item(
        TableName=table().name, Key={"PK": {"S": f"ORG#{tenant_a.id}"}, "SK": {"S": f"SESSION#{session.id}"}}
    )
    reply = open_url(api, link)
    assert reply.status == 404


# ------------------------------------------------------------------ routing


@pytest.mark.parametrize(
    ("path", "function"),
    [
        ("/interview/take/abc", "take_interview"),
        ("/interview/take/abc/", "route_not_found"),  # the seed's slash: the fallback's 308 (test_route_not_found)
        ("/interview/profile/abc/results", "profile_results"),
        ("/interview/result/abc/candidate", "result_for_candidate"),
        ("/interview/result/abc", "result_for_recruiter"),
        ("/interview/position/abc/results", "position_results"),
        ("/interview/inv_abc123", "open_invite"),  # the invite page keeps its route
        ("/interview/take", "open_invite"),  # a token that happens to read "take" is still an invite
    ],
)
def test_the_local_gateway_routes_each_page_to_its_function(template, path, function):
    from panelist_local.gateway import Router

    match = Router(template.routes, template.default_route).match("GET", path)
    assert match is not None
    assert template.functions[match.route.function].code_dir.name == function


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_take_route_has_no_trailing_slash_and_the_seeds_slash_falls_to_the_fallback(template, method):
    """HTTP API route keys cannot end with `/`, and `/interview/take/{id}/` does not match the route without it:
    as on API Gateway, it reaches `$default` (which redirects it to the route, see test_route_not_found)."""
    from panelist_local.gateway import Router

    router = Router(template.routes, template.default_route)
    match = router.match(method, "/interview/take/abc/")
    assert match is not None
    assert template.functions[match.route.function].code_dir.name == "route_not_found"
    match = router.match(method, "/interview/take/abc")
    assert match is not None
    expected = "take_interview" if method == "GET" else "start_profile_interview"
    assert template.functions[match.route.function].code_dir.name == expected
