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
