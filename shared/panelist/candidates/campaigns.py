"""Campaigns and their invites: the rules (stored by `candidates.store`)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from panelist.accounts.projects import get_project
from panelist.candidates import invite_mail, store
from panelist.candidates.invite_mail import invite_url
from panelist.candidates.store import get_campaign, list_campaigns
from panelist.core import idempotency
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
    InviteOut,
    InviteRequest,
    InvitesCreated,
    InviteStatus,
    MailStatus,
)
from panelist.models.common import new_id, now
from panelist.models.interviews import InterviewStatus
from panelist.webhooks import endpoints

__all__ = [
    "change_status",
    "create_campaign",
    "create_invites",
    "get_campaign",
    "invite_requests",
    "invite_url",
    "list_campaigns",
    "open_invite",
]

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
        status: InterviewStatus | None = get_interview(organization_id, request.script_id).status
    except NotFound:
        status = None
    if status is InterviewStatus.archived:
        raise Conflict(
            "script_id names an archived script: it starts no new campaigns",
            field="script_id",
            expected="UUID of a published script",
        )
    if status is not InterviewStatus.published:
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


def change_status(
    organization_id: str, campaign_id: str, status: CampaignStatus | None, *, name: str | None = None
) -> Campaign:
    """Move a campaign on: active → completed → archived (or active → archived); never back. With `name`, rename
    it too (in the same write); `status` None: rename only."""
    campaign = get_campaign(organization_id, campaign_id)
    status = status or campaign.status
    renamed = name is not None and name != campaign.name
    if status is campaign.status and not renamed:
        return campaign
    if status is not campaign.status and status not in _NEXT.get(campaign.status, set()):
        allowed = " or ".join(sorted(s.value for s in _NEXT.get(campaign.status, set()))) or "nothing"
        raise Conflict(
            f"a campaign that is {campaign.status.value} can only become {allowed}", field="status", expected=allowed
        )
    updated = campaign.model_copy(update={"status": status, "name": name or campaign.name, "updated_at": now()})
    try:
        store.move_campaign(campaign, updated)
    except ConditionFailed:
        raise Conflict("the campaign changed meanwhile; read it and try again", field="status") from None
    if status is campaign.status:
        return updated
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


def create_invites(
    organization_id: str, campaign_id: str, request: InviteRequest, *, base_url: str
) -> tuple[list[Invite], list[InviteFailure]]:
    """Invite each address once per campaign: record the invites, then queue their mail (sent later, once).

    An address that already has a live invite in the campaign gets that one back (no second invite, no second
    mail), so a retried request answers what the first did; an expired, unused invite is replaced by a new one.
    Invalid addresses are listed as failures while the valid ones are invited. The invites are written in
    transactions of INVITES_PER_TRANSACTION with the campaign's counter, and only while it is active.
    """
    campaign = get_campaign(organization_id, campaign_id)
    if campaign.status is not CampaignStatus.active:
        raise _closed(campaign.status)
    interview = get_interview(organization_id, campaign.script_id)
    failures: list[InviteFailure] = []
    addresses: list[str] = []
    seen: set[str] = set()
    for raw in request.emails:
        address = raw.strip()
        if problem := email_problem(address) or ("listed twice" if address.lower() in seen else None):
            failures.append(InviteFailure(email=raw, reason=problem))
            continue
        seen.add(address.lower())
        addresses.append(address)

    chosen: dict[str, Invite] = {}  # by lower-cased address
    made: set[str] = set()  # the ids of the invites this request made
    pending = addresses
    for _ in range(RACE_ROUNDS):
        existing = store.invites_in_campaign(organization_id, campaign_id, pending) if pending else {}
        fresh: list[tuple[Invite, str | None]] = []
        for address in pending:
            found = existing.get(address.lower())
            if found is not None and _live(found):
                chosen[address.lower()] = found
                continue
            fresh.append((_new_invite(campaign, address, mail=request.send_email), found.id if found else None))
        taken = _record(campaign, fresh)
        for invite, _ in fresh:
            if invite.email.lower() not in taken:
                chosen[invite.email.lower()] = invite
                made.add(invite.id)
        pending = [address for address in pending if address.lower() in taken]
        if not pending:
            break
    if pending:
        raise Conflict("these addresses are being invited by another request; retry", field="emails")

    invites = [chosen[address.lower()] for address in addresses]
    if request.send_email:
        to_mail = [i for i in invites if i.id in made or _mail_again(i)]
        letter = invite_mail.Letter(
            base_url=base_url,
            role=interview.role,
            minutes=interview.duration_minutes,
            custom_message=request.custom_message,
        )
        invite_mail.queue(organization_id, to_mail, letter)
    return invites, failures


RACE_ROUNDS = 3  # reads and writes while concurrent requests invite the same addresses


def _closed(status: CampaignStatus) -> Conflict:
    return Conflict(
        f"the campaign is {status.value}: it takes no new invites", field="id", expected="an active campaign"
    )


def _live(invite: Invite) -> bool:
    """Still the address's invite in its campaign: used (started, completed) or not expired yet; a revoked one is
    replaced by a new invite when the address is invited again."""
    if invite.status is InviteStatus.revoked:
        return False
    return invite.status in (InviteStatus.started, InviteStatus.completed) or invite.expires_at > now()


def _new_invite(campaign: Campaign, address: str, *, mail: bool) -> Invite:
    created = now()
    return Invite(
        id=new_id(),
        organization_id=campaign.organization_id,
        campaign_id=campaign.id,
        email=address,
        token="inv_" + secrets.token_urlsafe(18),
        created_at=created,
        expires_at=created + timedelta(hours=campaign.invite_valid_hours),
        mail_status=MailStatus.queued if mail else MailStatus.not_requested,
    )


def _record(campaign: Campaign, fresh: list[tuple[Invite, str | None]]) -> set[str]:
    """Store the new invites, a transaction at a time; the (lower-cased) addresses another request took first."""
    taken: set[str] = set()
    remaining = fresh
    while remaining:
        batch, remaining = remaining[: store.INVITES_PER_TRANSACTION], remaining[store.INVITES_PER_TRANSACTION :]
        while batch:
            try:
                lost = store.add_invites(campaign, batch)
            except store.CampaignClosed:
                raise _closed(get_campaign(campaign.organization_id, campaign.id).status) from None
            if not lost:
                break
            taken |= {batch[i][0].email.lower() for i in lost}
            batch = [entry for i, entry in enumerate(batch) if i not in lost]
    return taken


def _mail_again(invite: Invite) -> bool:
    """An existing invite whose mail this request asks for: still queued (a retry: sent once all the same),
    or made without mail before."""
    if invite.mail_status is MailStatus.queued:
        return True
    return invite.mail_status is MailStatus.not_requested and store.request_invite_mail(invite)


def invite_requests(
    organization_id: str,
    campaign_id: str,
    request: InviteRequest,
    *,
    base_url: str,
    idempotency_key: str | None = None,
    lambda_context: LambdaContext | None = None,
) -> InvitesCreated:
    """POST /api/campaigns/{id}/invites: `create_invites`, answered as the seed does.

    With an Idempotency-Key (per organization, 24 h) a repeated request gets the first answer again, and the
    key reused with another body is a 409. Without one, a repeat still invites nobody twice.
    """
    if not idempotency_key:
        return _invites_created(organization_id, campaign_id, request, base_url)
    idempotency.check_key(idempotency_key)
    data = {
        "organization_id": organization_id,
        "campaign_id": campaign_id,
        "idempotency_key": idempotency_key,
        "base_url": base_url,
        "request": request.model_dump(mode="json"),
    }
    return idempotency.once(
        _invite_from_data,
        data,
        output=InvitesCreated,
        persistence=store.idempotency_records(),
        payload="[campaign_id, request]",
        lambda_context=lambda_context,
    )


def _invite_from_data(data: dict[str, Any]) -> InvitesCreated:
    request = InviteRequest.model_validate(data["request"])
    return _invites_created(data["organization_id"], data["campaign_id"], request, data["base_url"])


def _invites_created(organization_id: str, campaign_id: str, request: InviteRequest, base_url: str) -> InvitesCreated:
    invites, failures = create_invites(organization_id, campaign_id, request, base_url=base_url)
    return InvitesCreated(
        invites=[
            InviteOut(id=i.id, email=i.email, token=i.token, url=invite_url(base_url, i.token), expires_at=i.expires_at)
            for i in invites
        ],
        sent=len(invites),
        failed=len(failures),
        failures=failures,
    )


def get_invite_by_token(organization_id: str, token: str) -> Invite:
    """An invite of the organization by its token; past its expiry a pending invite reads `expired`."""
    invite = store.get_invite_by_token(organization_id, token)
    if invite.status in (InviteStatus.pending, InviteStatus.opened) and invite.expires_at <= now():
        invite = invite.model_copy(update={"status": InviteStatus.expired})
    return invite


class Revoked(Gone):
    """An invite the organization revoked: its link shows a page saying so, and cannot start."""

    page_title = "This invitation has been revoked"


def open_invite(token: str) -> Invite:
    """A candidate opened the invite link: a pending invite becomes `opened` (once, publishing `invite.opened`).

    An expired invite is Gone; one already opened, started or completed is returned as it is.
    """
    organization_id = store.invite_organization(token)
    if organization_id is None:
        raise NotFound("invite not found", field="token")
    invite = get_invite_by_token(organization_id, token)
    if invite.status is InviteStatus.revoked:
        raise Revoked("the invitation was withdrawn by the organization that sent it", field="token")
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


# ------------------------------------------------------------------ a campaign's invites, revoked and sent again


def list_invites(
    organization_id: str, campaign_id: str, *, status: InviteStatus | None, offset: int, limit: int
) -> tuple[list[Invite], int]:
    """GET /api/campaigns/{id}/invites: a page of the campaign's invites, each with its status as read."""
    campaign = get_campaign(organization_id, campaign_id)
    invites, total = store.list_campaign_invites(campaign, status=status, offset=offset, limit=limit)
    return [_as_read(invite) for invite in invites], total


def _as_read(invite: Invite) -> Invite:
    if invite.status in (InviteStatus.pending, InviteStatus.opened) and invite.expires_at <= now():
        return invite.model_copy(update={"status": InviteStatus.expired})
    return invite


def revoke_invite(organization_id: str, token: str) -> Invite:
    """DELETE /api/invites/{token}: an unused invite (pending, opened or expired) becomes revoked; its link then
    says so and cannot start. Revoking it again answers the same; a started or completed one is a Conflict."""
    invite = store.get_invite_by_token(organization_id, token)
    if invite.status is InviteStatus.revoked:
        return invite
    if invite.status not in (InviteStatus.pending, InviteStatus.opened):
        raise _used(invite, "revoked")
    try:
        return store.revoke_invite(invite, now())
    except ConditionFailed:  # started (or revoked) meanwhile
        current = store.get_invite_by_token(organization_id, token)
        if current.status is InviteStatus.revoked:
            return current
        raise _used(current, "revoked") from None


def _used(invite: Invite, what: str) -> Conflict:
    return Conflict(
        f"the invite is {invite.status.value}: it cannot be {what}",
        field="token",
        expected="a pending or opened invite",
    )


def resend_invite(organization_id: str, token: str, *, base_url: str, custom_message: str | None = None) -> Invite:
    """POST /api/invites/{token}/resend: queue the invitation mail again (sent once more, through the invite mail
    queue). A revoked, completed or expired invite is a Conflict, as is one whose mail is being sent right now."""
    invite = get_invite_by_token(organization_id, token)
    if invite.status in (InviteStatus.revoked, InviteStatus.completed, InviteStatus.expired):
        raise Conflict(
            f"the invite is {invite.status.value}: its mail is not sent again",
            field="token",
            expected="a pending, opened or started invite before its expires_at",
        )
    campaign = get_campaign(organization_id, invite.campaign_id)
    interview = get_interview(organization_id, campaign.script_id)
    try:
        queued = store.queue_invite_mail_again(invite)
    except ConditionFailed:
        current = get_invite_by_token(organization_id, token)
        if current.mail_status is MailStatus.sending:
            raise Conflict(
                "the invite's mail is being sent at this moment; try again in a minute",
                field="token",
                expected="an invite whose mail is not being sent",
            ) from None
        raise Conflict(
            f"the invite is {current.status.value}: its mail is not sent again",
            field="token",
            expected="a pending, opened or started invite before its expires_at",
        ) from None
    letter = invite_mail.Letter(
        base_url=base_url, role=interview.role, minutes=interview.duration_minutes, custom_message=custom_message
    )
    invite_mail.queue(organization_id, [queued], letter)
    return _as_read(queued)
