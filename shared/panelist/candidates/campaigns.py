"""Campaigns and their invites. Campaign counters change in the transaction of what they count."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from botocore.exceptions import ClientError

from panelist.accounts.projects import get_project
from panelist.core import mail
from panelist.core.errors import BadRequest, Conflict, Gone, NotFound
from panelist.core.storage import ConditionFailed, Item, counter_op, org_pk, put_op, table, update_op
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

PREFIX = "CAMPAIGN#"
INVITE_PREFIX = "INVITE#"


def invite_lookup_pk(token: str) -> str:
    """Invite tokens are unguessable and global: a candidate's link names no organization."""
    return f"INVITETOKEN#{token}"


def invitee_pk(organization_id: str, email: str) -> str:
    """The partition indexing the invites sent to an address (for erasure), named by a digest, not the address."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"{org_pk(organization_id)}#INVITEE#{digest}"


_NEXT = {
    CampaignStatus.active: {CampaignStatus.completed, CampaignStatus.archived},
    CampaignStatus.completed: {CampaignStatus.archived},
}


def _partition(organization_id: str, project_id: str | None, status: CampaignStatus | None) -> tuple[str, str | None]:
    """The list partition (and index) of one filter combination; its counter has the same name."""
    base = org_pk(organization_id) + "#CAMPAIGNS"
    if project_id and status:
        return f"{base}#PROJECT#{project_id}#{status.value}", "GSI3"
    if project_id:
        return f"{base}#PROJECT#{project_id}", "GSI2"
    if status:
        return f"{base}#{status.value}", "GSI1"
    return org_pk(organization_id), None


def campaign_lists(campaign: Campaign, status: CampaignStatus) -> list[str]:
    """The filtered lists a campaign with `status` belongs to (each has a counter of that name)."""
    org, project = campaign.organization_id, campaign.project_id
    return [
        _partition(org, None, None)[0],
        _partition(org, project, None)[0],
        _partition(org, None, status)[0],
        _partition(org, project, status)[0],
    ]


def campaign_item(campaign: Campaign) -> Item:
    _, by_project, by_status, by_both = campaign_lists(campaign, campaign.status)
    return {
        "PK": org_pk(campaign.organization_id),
        "SK": PREFIX + campaign.id,
        "type": "Campaign",
        "GSI1PK": by_status,
        "GSI1SK": campaign.id,
        "GSI2PK": by_project,
        "GSI2SK": campaign.id,
        "GSI3PK": by_both,
        "GSI3SK": campaign.id,
        **campaign.model_dump(mode="json"),
    }


def _counted(organization_id: str, lists: list[str], delta: int) -> list[Item]:
    return [counter_op(org_pk(organization_id), f"LIST#{name}", delta) for name in lists]


def save_new_campaign(campaign: Campaign) -> None:
    table().transact(
        put_op(campaign_item(campaign), unique=True),
        *_counted(campaign.organization_id, campaign_lists(campaign, campaign.status), 1),
    )


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
    save_new_campaign(campaign)
    return campaign


def get_campaign(organization_id: str, campaign_id: str) -> Campaign:
    item = table().get(org_pk(organization_id), PREFIX + campaign_id)
    if item is None:
        raise NotFound("campaign not found", field="id")
    return Campaign.model_validate(item)


def list_campaigns(
    organization_id: str, *, project_id: str | None, status: CampaignStatus | None, offset: int, limit: int
) -> tuple[list[Campaign], int]:
    """A page of campaigns, oldest first, and how many match: one Query, a counter for the total."""
    partition, index = _partition(organization_id, project_id, status)
    items = table().query_offset(partition, index=index, prefix=None if index else PREFIX, offset=offset, limit=limit)
    return [Campaign.model_validate(i) for i in items], table().counter(org_pk(organization_id), f"LIST#{partition}")


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
    _, _, by_status, by_both = campaign_lists(updated, status)
    table().transact(
        update_op(
            org_pk(organization_id),
            PREFIX + campaign_id,
            "SET #status = :new, updated_at = :at, GSI1PK = :by_status, GSI3PK = :by_both",
            condition="#status = :old",
            names={"#status": "status"},
            new=status.value,
            old=campaign.status.value,
            at=updated.updated_at.isoformat(),
            by_status=by_status,
            by_both=by_both,
        ),
        *_counted(organization_id, campaign_lists(campaign, campaign.status)[2:], -1),
        *_counted(organization_id, [by_status, by_both], 1),
    )
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
                    expires_at=invite.expires_at.strftime("%d %B %Y, %H:%M UTC"),
                )
            except ClientError as exc:
                failures.append(
                    InviteFailure(
                        email=raw,
                        reason=f"the email could not be sent: {exc.response['Error'].get('Message', 'SES error')}",
                    )
                )
                continue
        table().transact(*invite_ops(invite))
        invites.append(invite)
    return invites, failures


def get_invite_by_token(organization_id: str, token: str) -> Invite:
    """An invite of the organization by its token; past its expiry a pending invite reads `expired`."""
    lookup = table().get(invite_lookup_pk(token), "INVITE")
    item = table().get(org_pk(organization_id), INVITE_PREFIX + lookup["invite_id"]) if lookup else None
    if item is None or lookup is None or lookup["organization_id"] != organization_id:
        raise NotFound("invite not found", field="token")
    invite = Invite.model_validate(item)
    if invite.status in (InviteStatus.pending, InviteStatus.opened) and invite.expires_at <= now():
        invite = invite.model_copy(update={"status": InviteStatus.expired})
    return invite


def open_invite(token: str) -> Invite:
    """A candidate opened the invite link: a pending invite becomes `opened` (once, publishing `invite.opened`).

    An expired invite is Gone; one already opened, started or completed is returned as it is.
    """
    lookup = table().get(invite_lookup_pk(token), "INVITE")
    if lookup is None:
        raise NotFound("invite not found", field="token")
    organization_id = str(lookup["organization_id"])
    invite = get_invite_by_token(organization_id, token)
    if invite.status is InviteStatus.expired:
        raise Gone("the invite has expired", field="token", expected="an invite before its expires_at")
    if invite.status is not InviteStatus.pending:
        return invite
    opened = invite.model_copy(update={"status": InviteStatus.opened, "opened_at": now()})
    try:
        table().update(
            org_pk(organization_id),
            INVITE_PREFIX + invite.id,
            "SET #status = :opened, opened_at = :at",
            condition="#status = :pending",
            names={"#status": "status"},
            opened=InviteStatus.opened.value,
            pending=InviteStatus.pending.value,
            at=opened.model_dump(mode="json")["opened_at"],
        )
    except ConditionFailed:  # opened (or used) by a concurrent request, which published the event
        return get_invite_by_token(organization_id, token)
    data = InviteDetail.model_validate(opened, from_attributes=True).model_dump(mode="json", exclude={"token"})
    endpoints.publish(organization_id, "invite.opened", data, idempotency_key=f"invite.opened:{invite.id}")
    return opened


def invite_ops(invite: Invite) -> list[Item]:
    """Writes that add one invite to its campaign: the invite, its token lookup, the campaign counter."""
    pk = org_pk(invite.organization_id)
    return [
        put_op(
            {"PK": pk, "SK": INVITE_PREFIX + invite.id, "type": "Invite", **invite.model_dump(mode="json")}, unique=True
        ),
        put_op(
            {
                "PK": invite_lookup_pk(invite.token),
                "SK": "INVITE",
                "organization_id": invite.organization_id,
                "invite_id": invite.id,
            },
            unique=True,
        ),
        put_op({"PK": invitee_pk(invite.organization_id, invite.email), "SK": INVITE_PREFIX + invite.id}),
        update_op(pk, PREFIX + invite.campaign_id, "ADD invites_sent :one", condition="attribute_exists(PK)", one=1),
    ]
