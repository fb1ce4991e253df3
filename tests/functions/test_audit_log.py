"""The audit log (issue 17): every action on a candidate's data leaves exactly its entry, with who did it, and
`GET /api/candidates/{id}/audit` lists a candidate's entries to an admin key, newest first, even after erasure."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from panelist.compliance import audit, self_id_store
from panelist.compliance import store as compliance_store
from panelist.core.storage import table
from panelist.models.common import now
from panelist.models.compliance import AuditAction
from panelist.models.impact import SelfIdentification
from panelist_local import iam
from tests.functions.harness import BAD_PAGING
from tests.functions.reports_data import make_interview, make_result
from tests.functions.test_candidate_pages import open_url, sign_link

BASE = "https://api.test"


def _entries(tenant, candidate_id):
    return compliance_store.list_audit(tenant.id, candidate_id, offset=0, limit=100)


def _audit(api, tenant, candidate_id, headers=None, **query):
    return api(
        "list_candidate_audit",
        path=f"/api/candidates/{candidate_id}/audit",
        path_params={"id": candidate_id},
        query={k: str(v) for k, v in query.items()},
        headers=headers if headers is not None else tenant.as_admin(),
    )


def _error(reply):
    error = reply.body["error"]
    return reply.status, error["code"], (error.get("details") or {}).get("field")


class Log:
    """Runs an action and checks it added exactly one entry (or `count`) to the candidate's log."""

    def __init__(self, tenant, candidate_id):
        self.tenant, self.candidate_id = tenant, candidate_id
        self.seen = len(_entries(tenant, candidate_id))

    def added(self, reply, action: AuditAction, actor: str, *, session_id: str, count: int = 1, **detail):
        assert reply.status in (200, 302), (reply.status, str(reply.body)[:300])
        entries = _entries(self.tenant, self.candidate_id)
        assert len(entries) == self.seen + count, [e.action for e in entries]
        self.seen = len(entries)
        newest = entries[0]
        assert (newest.action, newest.actor, newest.session_id) == (action, actor, session_id)
        assert newest.detail.items() >= detail.items(), newest.detail
        return newest


@pytest.fixture
def result(tenant_a):
    return make_result(tenant_a.id, recordings=True)


def test_each_relay_read_of_a_candidates_data_is_audited_with_the_key(api, tenant_a, result):
    log = Log(tenant_a, result.candidate_id)
    member, admin = f"api_key:{tenant_a.member_key_id}", f"api_key:{tenant_a.admin_key_id}"
    path = {"id": result.id}
    reply = api("get_session_result", path=f"/api/sessions/{result.id}/result", path_params=path,
                headers=tenant_a.as_member())  # fmt: skip
    log.added(reply, AuditAction.report_viewed, member, session_id=result.id)
    reply = api("get_transcript", path=f"/api/session/{result.id}/transcript", path_params=path,
                headers=tenant_a.as_admin())  # fmt: skip
    log.added(reply, AuditAction.transcript_viewed, admin, session_id=result.id)
    reply = api("get_session_audio", path=f"/api/session/{result.id}/audio", path_params=path,
                headers=tenant_a.as_member())  # fmt: skip
    log.added(reply, AuditAction.recording_downloaded, member, session_id=result.id)
    reply = api("get_session_pdf", path=f"/api/session/{result.id}/pdf", path_params=path,
                headers=tenant_a.as_member())  # fmt: skip
    log.added(reply, AuditAction.report_viewed, member, session_id=result.id, format="pdf")
    # A refused or failed read is no access: nothing is logged.
    other = api("get_transcript", path="/api/session/nope/transcript", path_params={"id": "nope"},
                headers=tenant_a.as_member())  # fmt: skip
    assert other.status == 404
    assert len(_entries(tenant_a, result.candidate_id)) == log.seen


def test_sharing_a_report_and_opening_the_link_are_audited(api, tenant_a, result):
    log = Log(tenant_a, result.candidate_id)
    member = f"api_key:{tenant_a.member_key_id}"
    reply = api(
        "share_report",
        path=f"/ai-interviews/report/{result.number}/share",
        path_params={"response_id": str(result.number), "option": "share"},
        body={"expiration_hours": 2},
        headers=tenant_a.as_member(),
    )
    entry = log.added(reply, AuditAction.report_shared, member, session_id=result.id, expiration_hours=2)
    share_id = entry.detail["share_id"]
    token = urlsplit(reply.body["signed_url"]).path.rsplit("/", 1)[1]
    opened = api("view_shared_report", path=f"/interviews/ai/report/shared/{token}", path_params={"token": token})
    log.added(opened, AuditAction.shared_report_viewed, f"link:{share_id}", session_id=result.id)


def test_a_report_download_is_audited_as_an_export(api, tenant_a, result):
    log = Log(tenant_a, result.candidate_id)
    reply = api(
        "share_report",
        path=f"/ai-interviews/report/{result.number}/download",
        path_params={"response_id": str(result.number), "option": "download"},
        headers=tenant_a.as_member(),
    )
    member = f"api_key:{tenant_a.member_key_id}"
    log.added(reply, AuditAction.report_exported, member, session_id=result.id, format="pdf")


def test_an_erasure_also_erases_the_self_identification_of_its_sessions(api, tenant_a, result):
    record = SelfIdentification(
        organization_id=tenant_a.id, session_id=result.id, sex="female", source="candidate", recorded_at=now()
    )
    self_id_store.put(record)
    reply = api(
        "erase_candidate",
        path=f"/api/candidates/{result.candidate_id}",
        path_params={"id": result.candidate_id},
        headers=tenant_a.as_admin(),
    )
    assert reply.status == 200, reply.body
    assert self_id_store.find(tenant_a.id, result.id) is None


def test_an_export_leaves_one_entry_per_candidate_in_it(api, tenant_a, result):
    second = make_result(tenant_a.id, name="Grace Hopper", interview=make_interview(tenant_a.id))
    logs = [Log(tenant_a, result.candidate_id), Log(tenant_a, second.candidate_id)]
    body = {"interview_result_ids": [result.id, second.id], "export_type": "json"}
    reply = api("export_report", body=body, headers=tenant_a.as_admin())
    for log, session in zip(logs, (result, second), strict=True):
        log.added(reply, AuditAction.report_exported, f"api_key:{tenant_a.admin_key_id}", session_id=session.id,
                  format="json", results=2)  # fmt: skip


def test_the_recruiters_signed_page_is_audited_as_a_link(api, tenant_a, result):
    log = Log(tenant_a, result.candidate_id)
    link = sign_link(api, tenant_a, type="interview-result-talent-seeker", interview_result_id=result.id)
    reply = open_url(api, link, function="result_for_recruiter")
    log.added(reply, AuditAction.report_viewed, "link:interview-result-talent-seeker", session_id=result.id)


def test_a_failing_log_never_fails_the_action(api, tenant_a, result, revoke):
    revoke("get_transcript", iam.granting("dynamodb:PutItem"))  # the role may no longer write the entry
    reply = api("get_transcript", path=f"/api/session/{result.id}/transcript", path_params={"id": result.id},
                headers=tenant_a.as_member())  # fmt: skip
    assert reply.status == 200
    assert _entries(tenant_a, result.candidate_id) == []


# ------------------------------------------------------------------ GET /api/candidates/{id}/audit


def test_the_log_lists_newest_first_to_an_admin_and_outlives_the_erasure(api, tenant_a, result):
    for action in (AuditAction.report_viewed, AuditAction.transcript_viewed, AuditAction.report_exported):
        audit.record(tenant_a.id, result.candidate_id, action, "api_key:k", session_id=result.id)
    reply = _audit(api, tenant_a, result.candidate_id, limit=2)
    assert reply.status == 200, reply.body
    assert [e["action"] for e in reply.body["entries"]] == ["report.exported", "transcript.viewed"]
    assert set(reply.body["entries"][0]) == {"id", "action", "at", "actor", "session_id", "detail"}
    assert (reply.body["total"], reply.body["limit"], reply.body["offset"]) == (3, 2, 0)
    assert reply.body["pagination"]["has_more"] is True
    rest = _audit(api, tenant_a, result.candidate_id, limit=2, offset=2).body
    assert [e["action"] for e in rest["entries"]] == ["report.viewed"]
    assert rest["pagination"]["has_more"] is False
    erased = api("erase_candidate", path=f"/api/candidates/{result.candidate_id}",
                 path_params={"id": result.candidate_id}, headers=tenant_a.as_admin())  # fmt: skip
    assert erased.status == 200, erased.body
    after = _audit(api, tenant_a, result.candidate_id).body
    assert after["total"] == 4
    newest = after["entries"][0]
    assert (newest["action"], newest["actor"]) == ("candidate.erased", f"api_key:{tenant_a.admin_key_id}")
    assert newest["detail"]["sessions"] == 1
    again = api("erase_candidate", path=f"/api/candidates/{result.candidate_id}",
                path_params={"id": result.candidate_id}, headers=tenant_a.as_admin())  # fmt: skip
    assert again.status == 200
    assert _audit(api, tenant_a, result.candidate_id).body["total"] == 4, "a repeated erasure logs nothing more"


def test_entries_expire_after_two_years(tenant_a, result):
    audit.record(tenant_a.id, result.candidate_id, AuditAction.report_viewed, "api_key:k")
    entry = _entries(tenant_a, result.candidate_id)[0]
    item = table().get(f"ORG#{tenant_a.id}", compliance_store.audit_sk(entry))
    assert item is not None
    expires = item["ttl"] - now().timestamp()
    assert timedelta(days=729).total_seconds() < expires <= timedelta(days=730).total_seconds()
    assert timedelta(days=183) <= compliance_store.AUDIT_RETENTION


def test_only_an_admin_of_the_organization_lists_the_log(api, tenant_a, tenant_b, result):
    assert _error(_audit(api, tenant_a, result.candidate_id, headers=tenant_a.as_member()))[:2] == (403, "FORBIDDEN")
    assert _error(_audit(api, tenant_b, result.candidate_id)) == (404, "NOT_FOUND", "id")
    assert _error(_audit(api, tenant_a, "0192f3a0-7c1e-7b2a-9d4e-5f6a7b8c9d0e")) == (404, "NOT_FOUND", "id")
    assert _audit(api, tenant_a, result.candidate_id, headers={}).status == 401


@pytest.mark.parametrize(("query", "field"), BAD_PAGING)
def test_bad_paging_is_400_naming_the_field(api, tenant_a, result, query, field):
    reply = _audit(api, tenant_a, result.candidate_id, **query)
    assert _error(reply) == (400, "INVALID_PARAMETER", field)
