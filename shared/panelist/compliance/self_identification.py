"""Voluntary self-identification (sex, race/ethnicity) for the bias audit, collected apart from the scoring.

A candidate answers on the done page once their interview is completed (`record_from_page`), or an ATS that
collected the answers sends them (`record_from_api`). Either way they are stored by `self_id_store` under their
own partition, which the scoring functions' roles may not read (see its docstring); nothing here changes the
session, and no session view shows them. `decline`, or a question left unanswered, counts as unknown.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from panelist.api import pages
from panelist.api.auth import Principal
from panelist.compliance import self_id_store
from panelist.compliance.audit import actor_of
from panelist.core.errors import BadRequest, Conflict, PanelistError
from panelist.models.common import now
from panelist.models.impact import (
    RaceEthnicity,
    SelfIdentification,
    SelfIdentificationIn,
    SelfIdentificationOut,
    Sex,
)
from panelist.models.sessions import SessionStatus
from panelist.sessions import flow
from panelist.sessions import pages as session_pages
from panelist.sessions.store import get_session

FIELDS = ("sex", "race_ethnicity")
CHOICES = {"sex": [s.value for s in Sex], "race_ethnicity": [r.value for r in RaceEthnicity]}


class NotCompleted(Conflict):
    page_title = "Not yet"


def parse_form(form: dict[str, Any]) -> SelfIdentificationIn:
    """The form's answers (an empty field: not answered); BadRequest naming the first field with another value."""
    given = {name: str(form.get(name) or "").strip() for name in FIELDS}
    for name, value in given.items():
        if value and value not in CHOICES[name]:
            raise BadRequest("please choose one of the answers offered", field=name, expected=" | ".join(CHOICES[name]))
    return SelfIdentificationIn.model_validate({k: v for k, v in given.items() if v})


def _store(organization_id: str, session_id: str, answers: SelfIdentificationIn, source: str) -> SelfIdentification:
    record = SelfIdentification(
        organization_id=organization_id,
        session_id=session_id,
        sex=answers.sex,
        race_ethnicity=answers.race_ethnicity,
        source=source,
        recorded_at=now(),
    )
    self_id_store.put(record)
    return record


def record_from_page(token: str, form: dict[str, Any]) -> Response[str]:
    """POST /interview/session/{token}/self-identification: the done page again, thanking the candidate.

    The session token as the other session pages verify it (403 forged, 410 expired); 409 before the interview
    is completed; 400 (the form again, saying why) for an answer that is not one of those offered. A form sent
    with nothing chosen records nothing.
    """
    try:
        opened = flow.open_session(token)
    except PanelistError as exc:
        return pages.link_error(exc)
    session = opened.session
    if session.status is not SessionStatus.completed:
        return pages.error(
            NotCompleted(
                "these optional questions can be answered once your interview is completed",
                field="session_token",
                expected="a completed interview",
            )
        )
    try:
        answers = parse_form(form)
    except BadRequest as exc:
        return session_pages.done_page(opened, token=token, status=400, self_identification_problem=exc)
    if answers.sex is not None or answers.race_ethnicity is not None:
        _store(session.organization_id, session.id, answers, "candidate")
    return session_pages.done_page(opened, token=token, self_identification_recorded=True)


def record_from_api(principal: Principal, session_id: str, answers: SelfIdentificationIn) -> SelfIdentificationOut:
    """PUT /api/sessions/{id}/self-identification: replace what is stored for one of the organization's sessions
    (NotFound for any other: another organization's id looks exactly like an unknown one)."""
    session = get_session(principal.organization_id, session_id)
    record = _store(session.organization_id, session.id, answers, actor_of(principal))
    return SelfIdentificationOut(session_id=session.id, recorded=True, recorded_at=record.recorded_at)
