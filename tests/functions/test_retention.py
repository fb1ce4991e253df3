"""The retention policy (issue 17): ApplyRetentionFunction erases exactly the recordings, transcripts and results
whose days have passed since each session ended, through the erasure's steps, once, and audits each erasure."""

from __future__ import annotations

from datetime import datetime, timedelta

import boto3
import pytest

from panelist.compliance import retention
from panelist.compliance import store as compliance_store
from panelist.compliance.retention import apply_retention, due_parts, policy_days
from panelist.core.settings import get_settings
from panelist.core.storage import table
from panelist.interviews.analysis import analyse_session
from panelist.models.compliance import AuditAction, HiringSettings, RetentionPolicy
from panelist.models.sessions import AnalysisStatus, Session, SessionStatus
from panelist.reports.pipeline import CACHE_PREFIX
from panelist.sessions import store as sessions_store
from panelist.sessions.store import get_session, session_item
from panelist_local import iam
from tests.functions.harness import invoke, sample_event
from tests.functions.reports_data import make_interview, make_result

DAYS = {"recordings_days": 10, "transcripts_days": 20, "results_days": 30}


def _policy(tenant, **days) -> None:
    settings = HiringSettings(organization_id=tenant.id, retention=RetentionPolicy(**days))
    compliance_store.put_settings(settings, read_revision=None)


def _objects(session: Session) -> set[str]:
    keys: set[str] = set()
    for page in boto3.client("s3").get_paginator("list_object_versions").paginate(Bucket=get_settings().bucket):
        keys |= {v["Key"] for v in page.get("Versions", []) if session.id in v["Key"]}
    return keys | {k for k in _recordings(session) if _exists(k)}


def _recordings(session: Session) -> set[str]:
    keys = {session.audio_key, session.recording_key, session.intro_video_key}
    return {k for k in keys | {a.audio_key for a in session.answers} if k}


def _exists(key: str) -> bool:
    versions = boto3.client("s3").list_object_versions(Bucket=get_settings().bucket, Prefix=key)
    return any(v["Key"] == key for v in versions.get("Versions", []))


def _ended(session: Session, end: datetime) -> Session:
    """The session as if it had ended at `end` (its list position, by start, unchanged)."""
    moved = session.model_copy(update={"completed_at": end})
    table().put(session_item(moved))
    return moved


def _retention_entries(tenant, candidate_id):
    entries = compliance_store.list_audit(tenant.id, candidate_id, offset=0, limit=100)
    return [e for e in entries if e.action is AuditAction.retention_erased]


@pytest.fixture
def kept(tenant_a):
    """A completed result with recordings, a cached report part and a large export."""
    session = make_result(tenant_a.id, recordings=True)
    part = f"{CACHE_PREFIX}{tenant_a.id}/{session.id}/part.pdf"  # where the pipeline caches a rendered part
    export = f"exports/sessions/{tenant_a.id}/{session.id}/x/report-{session.number}.pdf"
    for key in (part, export):
        boto3.client("s3").put_object(Bucket=get_settings().bucket, Key=key, Body=b"%PDF-")
    return session


def _run(at: datetime) -> dict:
    """The scheduled function, under its own role, at `at`."""
    event = sample_event("apply_retention") | {"time": at.isoformat().replace("+00:00", "Z")}
    return invoke("apply_retention", event)


def test_each_part_goes_exactly_when_its_days_have_passed(tenant_a, tenant_b, kept):
    _policy(tenant_a, **DAYS)
    end = kept.completed_at
    assert end is not None
    later = _ended(make_result(tenant_a.id, recordings=True), end + timedelta(seconds=1))  # one second younger
    untouched = make_result(tenant_b.id, recordings=True)  # the same age, no policy
    recordings = _recordings(kept)
    assert recordings
    assert all(_exists(k) for k in recordings)

    assert _run(end + timedelta(days=10) - timedelta(seconds=1))["sessions"] == 0
    assert get_session(tenant_a.id, kept.id).retention_erased == []

    summary = _run(end + timedelta(days=10))
    assert (summary["sessions"], summary["parts"]["recordings"]) == (1, 1), summary
    after = get_session(tenant_a.id, kept.id)
    assert after.retention_erased == ["recordings"]
    assert not any(_exists(k) for k in recordings)
    assert after.audio_key is None
    assert after.intro_video_key is None
    assert all(a.audio_key is None for a in after.answers)
    assert after.answers[0].text == kept.answers[0].text, "the transcripts are kept 20 days"
    assert get_session(tenant_a.id, later.id).retention_erased == [], "one second short of its days"
    assert all(_exists(k) for k in _recordings(later))
    [entry] = _retention_entries(tenant_a, kept.candidate_id)
    assert (entry.actor, entry.session_id) == ("system:retention", kept.id)
    assert entry.detail["erased"] == ["recordings"]
    assert entry.detail["days"] == {"recordings": 10}
    assert entry.detail["files_deleted"] == len(recordings)

    assert _run(end + timedelta(days=10))["sessions"] == 0, "a second run does nothing"
    assert len(_retention_entries(tenant_a, kept.candidate_id)) == 1

    _run(end + timedelta(days=20))
    after = get_session(tenant_a.id, kept.id)
    assert after.retention_erased == ["recordings", "transcripts"]
    assert all(a.text == "" for a in after.answers)
    assert all(t.text == "" for t in after.turns)
    assert all(not a.transcription or a.transcription.words == [] for a in after.answers)
    assert after.assessment is not None, "the results are kept 30 days"
    assert any(k.startswith(CACHE_PREFIX) for k in _objects(kept))

    _run(end + timedelta(days=30) - timedelta(seconds=1))
    assert get_session(tenant_a.id, kept.id).assessment is not None
    scored = sessions_store.list_sessions(tenant_a.id, min_score=0)[1]
    _run(end + timedelta(days=30))
    after = get_session(tenant_a.id, kept.id)
    assert after.retention_erased == ["recordings", "transcripts", "results"]
    assert after.assessment is None
    assert all(a.analysis is None for a in after.answers)
    assert sessions_store.list_sessions(tenant_a.id, min_score=0)[1] == scored - 1, "out of the score lists"
    assert _objects(kept) == set(), "report parts, exports and recordings: every version"
    assert (after.status, after.number) == (SessionStatus.completed, kept.number), "its facts stay"
    assert after.analysis_status is AnalysisStatus.erased
    assert analyse_session(tenant_a.id, kept.id).assessment is None, "a late analysis never brings results back"
    assert [e.detail["erased"] for e in _retention_entries(tenant_a, kept.candidate_id)] == [
        ["results"],
        ["transcripts"],
        ["recordings"],
    ]
    # The younger session had every part erased one second later, the other organization nothing.
    assert get_session(tenant_a.id, later.id).retention_erased == ["recordings", "transcripts"]
    other = get_session(tenant_b.id, untouched.id)
    assert other.retention_erased == []
    assert other.assessment is not None
    assert all(_exists(k) for k in _recordings(untouched))
    assert _run(end + timedelta(days=400))["sessions"] == 1  # only `later`'s results were left
    assert _run(end + timedelta(days=400))["sessions"] == 0


def test_a_run_is_bounded_and_the_next_goes_on(tenant_a, monkeypatch):
    _policy(tenant_a, recordings_days=1)
    interview = make_interview(tenant_a.id)
    sessions = [make_result(tenant_a.id, name=n, interview=interview) for n in ("Ada Okafor", "Ben Weaver", "Cy Li")]
    at = max(s.completed_at for s in sessions if s.completed_at) + timedelta(days=2)
    first = apply_retention(at, budget=2)
    assert (first.sessions, first.more) == (2, True)
    second = apply_retention(at, budget=2)
    assert (second.sessions, second.more) == (1, False)
    assert all(get_session(tenant_a.id, s.id).retention_erased == ["recordings"] for s in sessions)
    # The job resumes where every session had the part erased: a later run reads nothing it has done (but the
    # position it stopped at, where the Query starts).
    read: list[str] = []
    real = sessions_store.ended_started_before

    def spy(*args, **kwargs):
        rows = real(*args, **kwargs)
        read.extend(session.id for position, session in rows if position != kwargs.get("after"))
        return rows

    monkeypatch.setattr(retention.sessions_store, "ended_started_before", spy)
    assert apply_retention(at).sessions == 0
    assert read == []


def test_a_dry_run_writes_nothing(tenant_a, kept):
    _policy(tenant_a, recordings_days=1)
    run = apply_retention(kept.completed_at + timedelta(days=5), dry_run=True)  # type: ignore[operator]
    assert run.sessions == 1
    assert run.erased[0]["erased"] == ["recordings"]
    assert get_session(tenant_a.id, kept.id).retention_erased == []
    assert all(_exists(k) for k in _recordings(kept))


def test_without_its_permissions_the_job_fails_and_marks_nothing(tenant_a, kept, revoke):
    _policy(tenant_a, recordings_days=1)
    revoke("apply_retention", iam.granting("s3:DeleteObjectVersion"))
    with pytest.raises(Exception, match=r"AccessDenied|could not be deleted"):
        _run(kept.completed_at + timedelta(days=5))  # type: ignore[operator]
    assert get_session(tenant_a.id, kept.id).retention_erased == []
    assert _retention_entries(tenant_a, kept.candidate_id) == []


def test_the_policy_index_follows_the_settings(tenant_a, tenant_b):
    _policy(tenant_a, results_days=30)
    _policy(tenant_b)
    assert compliance_store.organizations_with_retention(None)[0] == [tenant_a.id]
    settings = compliance_store.find_settings(tenant_a.id)
    assert settings is not None
    cleared = settings.model_copy(update={"retention": RetentionPolicy(), "revision": settings.revision + 1})
    compliance_store.put_settings(cleared, read_revision=settings.revision)
    assert compliance_store.organizations_with_retention(None)[0] == []


def test_an_abandoned_session_counts_from_its_last_change():
    start = datetime.fromisoformat("2026-01-01T10:00:00+00:00")
    abandoned = Session(
        id="s",
        number=1,
        organization_id="o",
        interview_id="i",
        candidate_id="c",
        status=SessionStatus.abandoned,
        started_at=start,
        updated_at=start + timedelta(hours=2),
    )
    days = policy_days(RetentionPolicy(recordings_days=3, results_days=5))
    assert due_parts(abandoned, days, start + timedelta(days=3, hours=2)) == {retention.Part.recordings}
    assert due_parts(abandoned, days, start + timedelta(days=3, hours=1)) == set()
    running = abandoned.model_copy(update={"status": SessionStatus.in_progress})
    assert due_parts(running, days, start + timedelta(days=99)) == set()
    done = abandoned.model_copy(update={"retention_erased": ["recordings"]})
    assert due_parts(done, days, start + timedelta(days=99)) == {retention.Part.results}
