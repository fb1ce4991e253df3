"""Campaigns and their invites: the rules (stored by `candidates.store`)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from botocore.exceptions import ClientError

from panelist.accounts.projects import get_project
from panelist.candidates import store
from panelist.candidates.store import get_campaign, list_campaigns
from panelist.core import mail, times
from panelist.core.errors import BadRequest, Conflict, Gone, NotFound
from panelist.core.storage import ConditionFailed
from panelist.interviews.store import get_interview
from panelist.models.campaigns import (
    Campaign,
    CampaignCreate,
    CampaignDetail,
    CampaignStatus,
    Invite,
    InviteDetail,
    InviteFailure,
    InviteRequest,
    InviteStatus,
)
from panelist.models.common import new_id, now
from panelist.models.interviews import InterviewStatus
from panelist.webhooks import endpoints

__all__ = ["change_status", "create_campaign", "create_invites", "get_campaign", "list_campaigns", "open_invite"]

_NEXT = {
    CampaignStatus.active: {CampaignStatus.completed, CampaignStatus.archived},
    CampaignStatus.completed: {CampaignStatus.archived},
}


def create_campaign(organization_id: str, request: CampaignCreate) -> Campaign:
    """A new active campaign of a published interview (the `script`) in one of the organization's projects."""
    try:
        get_project(organization_id, request.project_id)
    except NotFound:
        raise BadRequest(
            "project_id does not name a project of this organization", field="project_id", expected="UUID of a project"
        ) from None
    try:
        published = get_interview(organization_id, request.script_id).status is InterviewStatus.published
    except NotFound:
        published = False
    if not published:
        raise BadRequest(
            "script_id does not name a published script of this organization",
            field="script_id",
            expected="UUID of a published script",
        )
    created = now()
    campaign = Campaign(
        id=new_id(), organization_id=organization_id, created_at=created, updated_at=created, **request.model_dump()
    )
    store.save_new_campaign(campaign)
    return campaign


def change_status(organization_id: str, campaign_id: str, status: CampaignStatus) -> Campaign:
    """Move a campaign on: active → completed → archived (or active → archived); never back."""
    campaign = get_campaign(organization_id, campaign_id)
    if status is campaign.status:
        return campaign
    if status not in _NEXT.get(campaign.status, set()):
        allowed = " or ".join(sorted(s.value for s in _NEXT.get(campaign.status, set()))) or "nothing"
        raise Conflict(
            f"a campaign that is {campaign.status.value} can only become {allowed}", field="status", expected=allowed
        )
    updated = campaign.model_copy(update={"status": status, "updated_at": now()})
    store.move_campaign(campaign, updated)
    if status is CampaignStatus.completed:  # committed: publishing cannot undo it, nor fail it
        endpoints.publish(
            organization_id,
            "campaign.completed",
            CampaignDetail.of(updated).model_dump(mode="json"),
            idempotency_key=f"campaign.completed:{campaign_id}",
        )
    return updated


_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}(?<!\.)@"
    r"(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def email_problem(address: str) -> str | None:
    """Why an address cannot be invited, or None."""
    if not _EMAIL.match(address):
        return "not a valid email address"
    return None


def invite_url(base_url: str, token: str) -> str:
    return f"{base_url}/interview/{token}"


def create_invites(
    organization_id: str, campaign_id: str, request: InviteRequest, *, base_url: str
) -> tuple[list[Invite], list[InviteFailure]]:
    """Invite each address once; the valid ones are created (and mailed) even when others are refused."""
    campaign = get_campaign(organization_id, campaign_id)
    if campaign.status is not CampaignStatus.active:
        raise Conflict(
            f"the campaign is {campaign.status.value}: it takes no new invites",
            field="id",
            expected="an active campaign",
        )
    interview = get_interview(organization_id, campaign.script_id)
    invites: list[Invite] = []
    failures: list[InviteFailure] = []
    seen: set[str] = set()
    for raw in request.emails:
        address = raw.strip()
        if problem := email_problem(address) or ("listed twice" if address.lower() in seen else None):
            failures.append(InviteFailure(email=raw, reason=problem))
            continue
        seen.add(address.lower())
        created = now()
        invite = Invite(
            id=new_id(),
            organization_id=organization_id,
            campaign_id=campaign_id,
            email=address,
            token="inv_" + secrets.token_urlsafe(18),
            created_at=created,
            expires_at=created + timedelta(hours=campaign.invite_valid_hours),
        )
        if request.send_email:
            try:
                mail.send(
                    address,
                    f"Interview invitation: {interview.role}",
                    "invite",
                    role=interview.role,
                    custom_message=request.custom_message,
                    url=invite_url(base_url, invite.token),
                    minutes=interview.duration_minutes,
                    expires_at=times.readable_long(invite.expires_at),
                )
            except ClientError as exc:
                failures.append(
                    InviteFailure(
                        email=raw,
                        reason=f"the email could not be sent: {exc.response['Error'].get('Message', 'SES error')}",
                    )
                )
                continue
        store.save_new_invite(invite)
        invites.append(invite)
    return invites, failures


def get_invite_by_token(organization_id: str, token: str) -> Invite:
    """An invite of the organization by its token; past its expiry a pending invite reads `expired`."""
    invite = store.get_invite_by_token(organization_id, token)
    if invite.status in (InviteStatus.pending, InviteStatus.opened) and invite.expires_at <= now():
        invite = invite.model_copy(update={"status": InviteStatus.expired})
    return invite


def open_invite(token: str) -> Invite:
    """A candidate opened the invite link: a pending invite becomes `opened` (once, publishing `invite.opened`).

    An expired invite is Gone; one already opened, started or completed is returned as it is.
    """
    organization_id = store.invite_organization(token)
    if organization_id is None:
        raise NotFound("invite not found", field="token")
    invite = get_invite_by_token(organization_id, token)
    if invite.status is InviteStatus.expired:
        raise Gone("the invite has expired", field="token", expected="an invite before its expires_at")
    if invite.status is not InviteStatus.pending:
        return invite
    opened = invite.model_copy(update={"status": InviteStatus.opened, "opened_at": now()})
    try:
        store.mark_invite_opened(invite, opened)
    except ConditionFailed:  # opened (or used) by a concurrent request, which published the event
        return get_invite_by_token(organization_id, token)
    data = InviteDetail.model_validate(opened, from_attributes=True).model_dump(mode="json", exclude={"token"})
    endpoints.publish(organization_id, "invite.opened", data, idempotency_key=f"invite.opened:{invite.id}")
    return opened
