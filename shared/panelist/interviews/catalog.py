"""The Interviews resource (InterviewRelay surface): create by hand, list, read, edit and archive interviews.

Lifecycle: draft → published → archived (a draft may be archived too); never back. An archived interview
starts no new session or campaign and is not edited any more.

Versions: the content a session runs on (role, description, seniority, skills, questions, duration,
language, proctoring) is frozen once the interview is published or a session used it: changing it then
makes a new version (the old one is kept, see `store.replace_interview`), and every session keeps the
version it started on (`store.interview_for`). A draft nobody took is edited in place. The name and the
status are not content: changing only them keeps the version.
"""

from __future__ import annotations

from typing import Any

from panelist.accounts.projects import get_project
from panelist.core.errors import BadRequest, Conflict, NotFound
from panelist.core.storage import ConditionFailed
from panelist.interviews import store
from panelist.models.common import new_id, now
from panelist.models.interviews import (
    Expectations,
    Interview,
    InterviewCreate,
    InterviewStatus,
    InterviewUpdate,
    Proctoring,
    Question,
    QuestionIn,
    Skill,
    SkillIn,
)
from panelist.sessions.store import indexed_session_ids

__all__ = ["archive_interview", "create_interview", "get_interview", "list_interviews", "update_interview"]

_NEXT = {
    InterviewStatus.draft: {InterviewStatus.published, InterviewStatus.archived},
    InterviewStatus.published: {InterviewStatus.archived},
}
VERSIONED = ("role", "description", "seniority", "skills", "questions", "duration_minutes", "language", "proctoring")
ATTEMPTS = 3  # concurrent edits: read and apply again this many times, then Conflict
WEIGHT_TOLERANCE = 0.01


def get_interview(organization_id: str, interview_id: str) -> Interview:
    """The organization's interview (NotFound naming `id` for another organization's, as for an unknown id)."""
    try:
        return store.get_interview(organization_id, interview_id)
    except NotFound:
        raise NotFound("interview not found", field="id") from None


def list_interviews(
    organization_id: str, *, project_id: str | None, status: InterviewStatus | None, offset: int, limit: int
) -> tuple[list[Interview], int]:
    return store.list_interviews(organization_id, project_id=project_id, status=status, offset=offset, limit=limit)


def _skills(given: list[SkillIn]) -> list[Skill]:
    """The skills, weighted: as given (summing to 1), or equally when no weight is given."""
    weights = [s.weight for s in given]
    if all(w is None for w in weights):
        share = round(1 / len(given), 4)
        return [Skill(name=s.name, category=s.category, weight=share) for s in given]
    if any(w is None for w in weights):
        raise BadRequest("give every skill a weight, or none", field="skills", expected="a weight on every skill")
    total = sum(w for w in weights if w is not None)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise BadRequest(
            f"skill weights must sum to 1, not {total:.3f}", field="skills", expected="weights summing to 1"
        )
    return [Skill(name=s.name, category=s.category, weight=s.weight or 0.0) for s in given]


def _skill_names(skills: list[Skill]) -> dict[str, str]:
    return {s.name.strip().casefold(): s.name for s in skills}


def _questions(given: list[QuestionIn], skills: list[Skill]) -> list[Question]:
    """The questions, each on one of the skills, with ids (q1, q2, ... where none is given)."""
    names = _skill_names(skills)
    taken = {q.id for q in given if q.id}
    counter = 0
    questions = []
    for n, q in enumerate(given):
        skill = names.get(q.skill.strip().casefold())
        if skill is None:
            raise BadRequest(
                f"questions.{n}.skill: {q.skill!r} is not one of the interview's skills",
                field=f"questions.{n}.skill",
                expected="the name of one of the interview's skills",
            )
        question_id = q.id
        while question_id is None:
            counter += 1
            if f"q{counter}" not in taken:
                question_id = f"q{counter}"
        taken.add(question_id)
        questions.append(
            Question(
                id=question_id,
                skill=skill,
                prompt=q.prompt,
                evaluation_criteria=q.evaluation_criteria,
                expectations=Expectations(**q.expectations.model_dump()),
                time_limit_seconds=q.time_limit_seconds,
            )
        )
    return questions


def create_interview(organization_id: str, request: InterviewCreate) -> Interview:
    """A new interview written by hand (a draft unless `status` says published), with its `ai_interview_id`."""
    if request.status is InterviewStatus.archived:
        raise BadRequest("a new interview is a draft or published", field="status", expected="draft or published")
    if request.project_id:
        try:
            get_project(organization_id, request.project_id)
        except NotFound:
            raise BadRequest(
                "project_id does not name a project of this organization",
                field="project_id",
                expected="UUID of a project",
            ) from None
    skills = _skills(request.skills)
    created = now()
    interview = Interview(
        id=new_id(),
        number=0,
        organization_id=organization_id,
        name=request.name or f"{request.role} - AI interview",
        role=request.role,
        description=request.description,
        seniority=request.seniority,
        skills=skills,
        questions=_questions(request.questions, skills),
        duration_minutes=request.duration_minutes,
        proctoring=Proctoring(**request.proctoring.model_dump()),
        status=request.status,
        language=request.language,
        candidate_languages=request.candidate_languages,
        project_id=request.project_id,
        created_at=created,
        updated_at=created,
    )
    return store.save_new_interview(interview)


def _check_status(current: InterviewStatus, wanted: InterviewStatus) -> None:
    if wanted is current or wanted in _NEXT.get(current, set()):
        return
    allowed = " or ".join(sorted(s.value for s in _NEXT.get(current, set()))) or "nothing"
    raise Conflict(f"an interview that is {current.value} can only become {allowed}", field="status", expected=allowed)


def _changes(current: Interview, request: InterviewUpdate) -> dict[str, Any]:
    """The new values of the fields the request sets (checked against the interview)."""
    given = request.model_fields_set
    changes: dict[str, Any] = {}
    for name in ("name", "role", "description", "seniority", "duration_minutes", "language"):
        if name in given:
            changes[name] = getattr(request, name)
    if "candidate_languages" in given:  # not content: no new version
        changes["candidate_languages"] = request.candidate_languages or []
    if "proctoring" in given and request.proctoring is not None:
        changes["proctoring"] = Proctoring(**request.proctoring.model_dump())
    skills = current.skills
    if "skills" in given and request.skills is not None:
        skills = changes["skills"] = _skills(request.skills)
    if "questions" in given and request.questions is not None:
        changes["questions"] = _questions(request.questions, skills)
    elif "skills" in changes:
        names = _skill_names(skills)
        for n, q in enumerate(current.questions):
            if q.skill.strip().casefold() not in names:
                raise BadRequest(
                    f"skills: question {n} ({q.id}) asks about {q.skill!r}, which is no longer a skill",
                    field="skills",
                    expected="every skill the questions ask about",
                )
    return changes


def _used(interview: Interview) -> bool:
    """Published (a session may start on it at any moment) or taken by a session already."""
    if interview.status is InterviewStatus.published:
        return True
    return bool(indexed_session_ids(interview.organization_id, "INTERVIEW", interview.id, limit=1))


def update_interview(organization_id: str, interview_id: str, request: InterviewUpdate) -> Interview:
    """PATCH /api/interviews/{id}: new content and/or a new status; a new version when the content is frozen."""
    for _ in range(ATTEMPTS):
        current = get_interview(organization_id, interview_id)
        status = request.status or current.status
        _check_status(current.status, status)
        changes = _changes(current, request)
        edited = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if edited and current.status is InterviewStatus.archived:
            raise Conflict(
                "an archived interview is not edited any more", field="status", expected="draft or published"
            )
        if not edited and status is current.status:
            return current
        version = current.version
        if any(k in VERSIONED for k in edited) and _used(current):
            version += 1
        updated = current.model_copy(update={**edited, "status": status, "version": version, "updated_at": now()})
        try:
            store.replace_interview(current, updated)
        except ConditionFailed:
            continue  # another edit came first: apply this one to what it wrote
        return updated
    raise Conflict("the interview is being edited by another request; retry", field="id")


def archive_interview(organization_id: str, interview_id: str) -> Interview:
    """DELETE /api/interviews/{id}: archive (idempotent). Kept for the sessions and campaigns that used it."""
    return update_interview(organization_id, interview_id, InterviewUpdate(status=InterviewStatus.archived))
