"""`GET /api/organization/settings` (any key) and `PATCH /api/organization/settings` (admin key): the AI notice,
the human review gate, the contact for an alternative process and the retention policy."""

import pytest

from panelist.compliance.settings import hiring_settings


def _get(api, headers):
    return api("get_organization_settings", headers=headers)


def _patch(api, headers, body):
    return api("update_organization_settings", body=body, headers=headers)


def _error(reply) -> tuple[int, str | None]:
    return reply.status, reply.body["error"]["details"].get("field")


def test_an_organization_that_never_changed_them_has_the_defaults(api, tenant_a):
    reply = _get(api, tenant_a.as_member())
    assert reply.status == 200, reply.body
    assert reply.body == {
        "human_review_required": False,
        "notice_text": {},
        "alternative_contact": None,
        "retention": {"recordings_days": None, "transcripts_days": None, "results_days": None},
        "notice_version": 1,
        "updated_at": None,
    }


def test_an_admin_changes_only_the_fields_given_and_the_notice_version_follows_the_notice(api, tenant_a):
    body = {"human_review_required": True, "notice_text": {"en": " Call us instead. ", "de": "Rufen Sie uns an."}}
    reply = _patch(api, tenant_a.as_admin(), body)
    assert reply.status == 200, reply.body
    assert reply.body["human_review_required"] is True
    assert reply.body["notice_text"] == {"en": "Call us instead.", "de": "Rufen Sie uns an."}
    assert reply.body["notice_version"] == 2  # what the notice says changed
    assert reply.body["updated_at"].endswith("Z")

    reply = _patch(api, tenant_a.as_admin(), {"alternative_contact": "https://careers.example.com/alternative"})
    assert reply.body["notice_version"] == 3
    assert reply.body["human_review_required"] is True  # untouched
    reply = _patch(api, tenant_a.as_admin(), {"human_review_required": False})
    assert reply.body["notice_version"] == 3  # the gate is not part of the notice
    reply = _patch(api, tenant_a.as_admin(), {"retention": {"recordings_days": 30}})
    assert reply.body["retention"] == {"recordings_days": 30, "transcripts_days": None, "results_days": None}
    assert reply.body["notice_version"] == 4  # how long data is kept is
    reply = _patch(api, tenant_a.as_admin(), {"alternative_contact": None})
    assert reply.body["alternative_contact"] is None

    assert _get(api, tenant_a.as_member()).body == reply.body
    stored = hiring_settings(tenant_a.id)
    assert stored.updated_by == f"api_key:{tenant_a.admin_key_id}"


def test_a_member_key_reads_but_cannot_change_them(api, tenant_a):
    reply = _patch(api, tenant_a.as_member(), {"human_review_required": True})
    assert reply.status == 403
    assert reply.body["error"]["code"] == "FORBIDDEN"
    assert hiring_settings(tenant_a.id).human_review_required is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"notice_text": {"xx": "text"}}, "notice_text"),
        ({"notice_text": {"en": "x" * 4001}}, "notice_text"),
        ({"notice_text": "text"}, "notice_text"),
        ({"alternative_contact": "call us"}, "alternative_contact"),
        ({"alternative_contact": "http://careers.example.com"}, "alternative_contact"),
        ({"alternative_contact": "javascript:alert(1)"}, "alternative_contact"),
        ({"alternative_contact": "https://"}, "alternative_contact"),
        ({"alternative_contact": "a" * 310 + "@example.com"}, "alternative_contact"),
        ({"human_review_required": "sometimes"}, "human_review_required"),
        ({"retention": {"recordings_days": 0}}, "retention.recordings_days"),
        ({"retention": {"results_days": 3651}}, "retention.results_days"),
        ({"retention": {"forever": True}}, "retention.forever"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_change_is_400_naming_the_field_and_changes_nothing(api, tenant_a, body, field):
    reply = _patch(api, tenant_a.as_admin(), body)
    assert _error(reply) == (400, field), reply.body
    assert reply.body["error"]["code"] == "INVALID_PARAMETER"
    assert _get(api, tenant_a.as_member()).body["notice_version"] == 1
    assert hiring_settings(tenant_a.id).revision == 0


@pytest.mark.parametrize("contact", ["talent@example.com", "https://careers.example.com/accommodations?lang=en"])
def test_an_email_address_or_an_https_url_is_a_contact(api, tenant_a, contact):
    reply = _patch(api, tenant_a.as_admin(), {"alternative_contact": contact})
    assert (reply.status, reply.body["alternative_contact"]) == (200, contact)


def test_null_resets_the_notice_words_and_the_retention_policy_and_is_refused_for_the_review_gate(api, tenant_a):
    set_up = {"notice_text": {"en": "Our words"}, "retention": {"recordings_days": 30}}
    assert api("update_organization_settings", body=set_up, headers=tenant_a.as_admin()).status == 200
    reply = api(
        "update_organization_settings", body={"notice_text": None, "retention": None}, headers=tenant_a.as_admin()
    )
    assert reply.status == 200
    assert reply.body["notice_text"] == {}
    assert reply.body["retention"] == {"recordings_days": None, "transcripts_days": None, "results_days": None}
    refused = api("update_organization_settings", body={"human_review_required": None}, headers=tenant_a.as_admin())
    assert refused.status == 400
    assert refused.body["error"]["details"]["field"] == "human_review_required"
