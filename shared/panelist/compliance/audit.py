"""The audit log: who viewed, exported, shared, reviewed or erased a candidate's data, and when.

Entries hold identifiers and counts, never the data, so an erasure keeps them; they expire after
`store.AUDIT_RETENTION` (at least the six months the hiring laws ask for). `record` never fails the action it
records once that action is done: a lost entry is logged as an error instead. Where the action is a write of
this table, its entry goes in the same transaction (`entry_op`).
"""

from __future__ import annotations

from typing import Any

from panelist.api.auth import Principal
from panelist.compliance import store
from panelist.core.errors import NotFound
from panelist.core.observability import logger
from panelist.models.common import new_id, now
from panelist.models.compliance import AuditAction, AuditEntry


def actor_of(principal: Principal) -> str:
    """How the log names a caller: the credential's kind and key id, never the key itself."""
    if principal.is_platform_admin:
        return "platform_admin"
    return f"{principal.kind}:{principal.key_id}"


def entry(
    organization_id: str,
    candidate_id: str,
    action: AuditAction,
    actor: str,
    *,
    session_id: str | None = None,
    **detail: Any,
) -> AuditEntry:
    return AuditEntry(
        id=new_id(),
        organization_id=organization_id,
        candidate_id=candidate_id,
        action=action,
        at=now(),
        actor=actor,
        session_id=session_id,
        detail=detail,
    )


def entry_op(audit_entry: AuditEntry) -> dict[str, Any]:
    return store.audit_op(audit_entry)


def record(
    organization_id: str,
    candidate_id: str,
    action: AuditAction,
    actor: str,
    *,
    session_id: str | None = None,
    **detail: Any,
) -> None:
    """Append an entry for an action already done; a failure to write it is logged, not raised."""
    audit_entry = entry(organization_id, candidate_id, action, actor, session_id=session_id, **detail)
    try:
        store.insert_audit(audit_entry)
    except Exception:
        logger.exception("could not write the audit entry", action=action.value, organization_id=organization_id)


def list_for_candidate(
    organization_id: str, candidate_id: str, *, offset: int, limit: int
) -> tuple[list[AuditEntry], int]:
    """A page of the candidate's entries, newest first, and how many it has (NotFound for a candidate that is not
    the organization's; an erased one keeps its profile, so its log is listed)."""
    from panelist.candidates.store import get_candidate  # the candidates domain imports this one (erasure)

    try:
        get_candidate(organization_id, candidate_id)
    except NotFound:
        raise NotFound("candidate not found", field="id") from None
    entries = store.list_audit(organization_id, candidate_id, offset=offset, limit=limit)
    return entries, store.count_audit(organization_id, candidate_id)


def record_for_session(organization_id: str, session_id: str, action: AuditAction, actor: str, **detail: Any) -> None:
    """`record` for an action on a session whose candidate the caller does not have in hand (one GetItem)."""
    from panelist.sessions.store import get_session  # the sessions domain imports nothing of this one

    try:
        candidate_id = get_session(organization_id, session_id).candidate_id
    except Exception:
        logger.exception("could not write the audit entry", action=action.value, organization_id=organization_id)
        return
    record(organization_id, candidate_id, action, actor, session_id=session_id, **detail)
