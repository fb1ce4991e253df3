"""POST /job-interview-token (seed 003): a signed URL to one of the interview pages, as a JSON string."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from panelist.accounts.api_keys import create_api_key
from panelist.accounts.organizations import create_organization
from panelist.core import signing
from panelist.models.organizations import ApiKeyCreate, OrganizationCreate, Role
from panelist.sessions import candidate_pages
from tests.functions.reports_data import make_interview, make_result

BASE = "https://api.example.com"


def _sign(api, tenant, body, headers=None):
    return api("create_job_interview_token", body=body, headers=headers or tenant.as_member())


def _claims(url):
    token = parse_qs(urlsplit(url).query)["interview_token"][0]
    return signing.verify(token, audience=candidate_pages.AUDIENCE)


@pytest.fixture
def data(tenant_a):
    interview = make_interview(tenant_a.id)
    result = make_result(tenant_a.id, interview=interview)
    return {
        "interview_id": interview.id,
        "interview_profile_id": result.candidate_id,
        "interview_result_id": result.id,
    }


SHAPES = {
    "interview-for-profile": r"/interview/take/{interview_id}/\?interview_token=[\w.-]+&view_hm=true$",
    "results-for-profile": r"/interview/profile/{interview_profile_id}/results\?interview_token=[\w.-]+&view_hm=true$",
    "interview-result-candidate": r"/interview/result/{interview_result_id}/candidate\?interview_token=[\w.-]+$",
    "interview-result-talent-seeker": r"/interview/result/{interview_result_id}\?interview_token=[\w.-]+$",
    "interview-results-for-position": r"/interview/position/{interview_id}/results\?interview_token=[\w.-]+$",
}
NEEDS = {
    "interview-for-profile": ("interview_profile_id", "interview_id"),
    "results-for-profile": ("interview_profile_id",),
    "interview-result-candidate": ("interview_result_id",),
    "interview-result-talent-seeker": ("interview_result_id",),
    "interview-results-for-position": ("interview_id",),
}


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_each_type_signs_the_url_of_its_page(api, tenant_a, data, kind):
    reply = _sign(api, tenant_a, {"type": kind, **{f: data[f] for f in NEEDS[kind]}})
    assert reply.status == 200, reply.body
    assert isinstance(reply.body, str), "the body is a JSON string holding the URL"
    assert re.fullmatch(re.escape(BASE) + SHAPES[kind].format(**data), reply.body), reply.body
    claims = _claims(reply.body)
    assert claims["org"] == tenant_a.id
    assert claims["typ"] == kind
    assert (
        claims["exp"] - claims["iat"] == candidate_pages.LINK_TTL.total_seconds() == timedelta(days=7).total_seconds()
    )
    if kind == "interview-for-profile":
        assert claims["res"] == data["interview_id"]
        assert claims["cand"] == data["interview_profile_id"]


def test_the_answer_is_a_json_string(api, tenant_a, data):
    event_reply = _sign(
        api, tenant_a, {"type": "interview-result-candidate", "interview_result_id": data["interview_result_id"]}
    )
    assert event_reply.headers["Content-Type"].startswith("application/json")
    assert event_reply.body.startswith("https://")


@pytest.mark.parametrize(
    ("kind", "missing"),
    [(kind, field) for kind, fields in sorted(NEEDS.items()) for field in fields],
)
def test_a_missing_conditional_field_is_a_422_naming_it(api, tenant_a, data, kind, missing):
    body = {"type": kind, **{f: data[f] for f in NEEDS[kind] if f != missing}}
    reply = _sign(api, tenant_a, body)
    assert reply.status == 422
    assert reply.body == {"error": "Field is required.", "name": missing}


def test_an_empty_conditional_field_is_missing(api, tenant_a):
    reply = _sign(api, tenant_a, {"type": "interview-result-candidate", "interview_result_id": ""})
    assert (reply.status, reply.body) == (422, {"error": "Field is required.", "name": "interview_result_id"})


@pytest.mark.parametrize("body", [{}, {"type": ""}, {"type": None}])
def test_a_missing_type_is_a_422(api, tenant_a, body):
    reply = _sign(api, tenant_a, body)
    assert (reply.status, reply.body) == (422, {"error": "Field is required.", "name": "type"})


@pytest.mark.parametrize("kind", ["interview", "INTERVIEW-FOR-PROFILE", 3])
def test_an_invalid_type_is_a_422_naming_type(api, tenant_a, kind):
    reply = _sign(api, tenant_a, {"type": kind, "interview_id": "x"})
    assert reply.status == 422
    assert reply.body["name"] == "type"


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_an_unknown_id_is_a_422_naming_the_field(api, tenant_a, data, kind):
    for field in NEEDS[kind]:
        body = {"type": kind, **{f: data[f] for f in NEEDS[kind]}, field: "00000000-0000-4000-8000-000000000000"}
        reply = _sign(api, tenant_a, body)
        assert reply.status == 422, reply.body
        assert reply.body["name"] == field


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_another_organizations_id_is_a_422_naming_the_field(api, tenant_a, tenant_b, data, kind):
    reply = _sign(api, tenant_b, {"type": kind, **{f: data[f] for f in NEEDS[kind]}})
    assert reply.status == 422, reply.body
    assert reply.body["name"] == ("interview_id" if kind == "interview-for-profile" else NEEDS[kind][0])
    assert tenant_a.id not in str(reply.body)


@pytest.mark.parametrize("value", ["x/../../y", "a#SESSION", "", " "])
def test_ids_that_are_not_ids_are_refused(api, tenant_a, value):
    reply = _sign(api, tenant_a, {"type": "interview-results-for-position", "interview_id": value})
    assert reply.status == 422
    assert reply.body["name"] == "interview_id"


def test_an_erased_profile_is_unknown(api, tenant_a, data):
    from panelist.candidates.store import get_candidate, save_candidate
    from panelist.models.common import now

    candidate = get_candidate(tenant_a.id, data["interview_profile_id"])
    save_candidate(candidate.model_copy(update={"erased_at": now()}))
    reply = _sign(api, tenant_a, {"type": "results-for-profile", "interview_profile_id": candidate.id})
    assert (reply.status, reply.body["name"]) == (422, "interview_profile_id")


@pytest.mark.parametrize(
    ("hide_menu", "view_hm", "hidden"),
    [
        ("false", "false", False),
        (None, "true", True),
        (True, "true", True),
        ("true", "true", True),
        ("no", "true", True),
        ("False", "true", True),
        (False, "true", True),  # the seed: only the string 'false' shows the menu
        (0, "true", True),
    ],
)
def test_only_the_string_false_shows_the_menu(api, tenant_a, data, hide_menu, view_hm, hidden):
    body = {"type": "results-for-profile", "interview_profile_id": data["interview_profile_id"]}
    if hide_menu is not None:
        body["hide_menu"] = hide_menu
    reply = _sign(api, tenant_a, body)
    assert reply.status == 200, reply.body
    assert parse_qs(urlsplit(reply.body).query)["view_hm"] == [view_hm]
    assert _claims(reply.body)["menu"] is (not hidden)


def test_unknown_fields_are_ignored(api, tenant_a, data):
    body = {"type": "interview-results-for-position", "interview_id": data["interview_id"], "lang": "en"}
    assert _sign(api, tenant_a, body).status == 200


def test_credentials_are_required(api, tenant_a, data):
    body = {"type": "interview-results-for-position", "interview_id": data["interview_id"]}
    reply = api("create_job_interview_token", body=body)
    assert reply.status == 401
    assert set(reply.body) == {"error"}
    reply = api("create_job_interview_token", body=body, headers={"apikey": "pnl_wrong"})
    assert reply.status == 401


# ------------------------------------------------------------------ merchant_id


@pytest.fixture
def sub_merchant(tenant_a):
    """A sub-merchant of tenant A with an interview and a result, and its own member key."""
    sub = create_organization(OrganizationCreate(name="Acme Jobs", parent_id=tenant_a.id))
    _, key = create_api_key(sub.id, ApiKeyCreate(name="sub", role=Role.member))
    interview = make_interview(sub.id)
    result = make_result(sub.id, interview=interview)
    return {"id": sub.id, "key": key, "interview_id": interview.id, "interview_result_id": result.id}


def test_the_parent_admin_signs_for_its_sub_merchant(api, tenant_a, sub_merchant):
    body = {
        "type": "interview-results-for-position",
        "interview_id": sub_merchant["interview_id"],
        "merchant_id": sub_merchant["id"],
    }
    reply = _sign(api, tenant_a, body, headers=tenant_a.as_admin())
    assert reply.status == 200, reply.body
    assert _claims(reply.body)["org"] == sub_merchant["id"]


def test_ids_are_looked_up_in_the_merchant_named(api, tenant_a, data, sub_merchant):
    body = {
        "type": "interview-results-for-position",
        "interview_id": data["interview_id"],
        "merchant_id": sub_merchant["id"],
    }
    reply = _sign(api, tenant_a, body, headers=tenant_a.as_admin())
    assert (reply.status, reply.body["name"]) == (422, "interview_id"), "the parent's own id is not the sub-merchant's"


def test_merchant_id_of_the_caller_itself_is_accepted(api, tenant_a, data):
    body = {"type": "interview-results-for-position", "interview_id": data["interview_id"], "merchant_id": tenant_a.id}
    reply = _sign(api, tenant_a, body)
    assert reply.status == 200
    assert _claims(reply.body)["org"] == tenant_a.id


def _refused(reply):
    assert reply.status == 500, reply.body
    assert set(reply.body) == {"error", "name"}
    assert reply.body["name"] == "merchant_id"


def test_an_unrelated_organization_cannot_act_for_a_merchant(api, tenant_a, tenant_b, sub_merchant):
    body = {"type": "interview-results-for-position", "interview_id": sub_merchant["interview_id"]}
    _refused(_sign(api, tenant_b, {**body, "merchant_id": sub_merchant["id"]}, headers=tenant_b.as_admin()))
    _refused(_sign(api, tenant_b, {**body, "merchant_id": tenant_a.id}, headers=tenant_b.as_admin()))


def test_a_member_key_of_the_parent_cannot_act_for_its_sub_merchant(api, tenant_a, sub_merchant):
    body = {"type": "interview-results-for-position", "interview_id": sub_merchant["interview_id"]}
    _refused(_sign(api, tenant_a, {**body, "merchant_id": sub_merchant["id"]}, headers=tenant_a.as_member()))


def test_a_sub_merchant_cannot_act_for_its_parent(api, tenant_a, data, sub_merchant):
    body = {"type": "interview-results-for-position", "interview_id": data["interview_id"], "merchant_id": tenant_a.id}
    _refused(_sign(api, tenant_a, body, headers={"apikey": sub_merchant["key"]}))


@pytest.mark.parametrize("merchant_id", ["00000000-0000-4000-8000-000000000000", "ORG#x", "a" * 100])
def test_an_unknown_merchant_is_refused_like_a_foreign_one(api, tenant_a, data, merchant_id):
    body = {"type": "interview-results-for-position", "interview_id": data["interview_id"], "merchant_id": merchant_id}
    _refused(_sign(api, tenant_a, body, headers=tenant_a.as_admin()))


def test_the_platform_admin_key_cannot_sign_links(api, data, platform_admin):
    body = {"type": "interview-results-for-position", "interview_id": data["interview_id"]}
    assert api("create_job_interview_token", body=body, headers=platform_admin).status == 403
