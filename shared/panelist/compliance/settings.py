"""An organization's hiring settings: the AI notice's own words, the human review gate and the retention policy.

An organization that never changed them has the defaults (no review gate, nothing erased by age, the default
notice). `notice_version` goes up whenever what the notice tells a candidate changes (its words, the contact for an
alternative process, how long data is kept), so a consent names the notice it agreed to.
"""

from __future__ import annotations

from panelist.api.auth import Principal
from panelist.compliance import store
from panelist.compliance.audit import actor_of
from panelist.core.errors import BadRequest, Conflict
from panelist.core.storage import ConditionFailed
from panelist.models.common import now
from panelist.models.compliance import HiringSettings, HiringSettingsOut, HiringSettingsUpdate

NOTICE_FIELDS = ("notice_text", "alternative_contact", "retention")


def hiring_settings(organization_id: str) -> HiringSettings:
    return store.find_settings(organization_id) or HiringSettings(organization_id=organization_id)


def settings_out(settings: HiringSettings) -> HiringSettingsOut:
    return HiringSettingsOut.model_validate(settings.model_dump(include=set(HiringSettingsOut.model_fields)))


def update_hiring_settings(principal: Principal, change: HiringSettingsUpdate) -> HiringSettings:
    """Apply the fields given; Conflict if another change to the settings landed while this one was made."""
    stored = store.find_settings(principal.organization_id)
    current = stored or HiringSettings(organization_id=principal.organization_id)
    given = change.model_dump(exclude_unset=True)
    if given.get("human_review_required", False) is None:
        raise BadRequest(
            "human_review_required cannot be null", field="human_review_required", expected="true or false"
        )
    for field in ("notice_text", "retention"):  # null: back to the default (no words of its own, keep all)
        if field in given and given[field] is None:
            given[field] = {}
    updated = HiringSettings.model_validate({**current.model_dump(), **given})  # nested fields validated too
    if any(getattr(updated, f) != getattr(current, f) for f in NOTICE_FIELDS):
        updated.notice_version = current.notice_version + 1
    updated.revision = current.revision + 1
    updated.updated_at = now()
    updated.updated_by = actor_of(principal)
    try:
        store.put_settings(updated, read_revision=stored.revision if stored else None)
    except ConditionFailed:
        raise Conflict(
            "the hiring settings changed while this change was made; read them again and retry",
            expected="one change at a time",
        ) from None
    return updated
