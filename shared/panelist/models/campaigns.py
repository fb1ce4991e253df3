"""Projects, campaigns and the invites that bring candidates into a campaign."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, model_validator

from panelist.models.common import Entity, Input, Output, Timestamp


class Project(Entity):
    id: str
    organization_id: str
    name: str
    description: str | None = None
    created_at: datetime


class CampaignStatus(StrEnum):
    active = "active"
    completed = "completed"
    archived = "archived"


class Campaign(Entity):
    id: str
    organization_id: str
    name: str
    script_id: str = Field(description="The interview candidates take")
    project_id: str
    status: CampaignStatus = CampaignStatus.active
    invite_valid_hours: float = 168
    invites_sent: int = 0
    started: int = 0
    completed: int = 0
    created_at: datetime
    updated_at: datetime


class InviteStatus(StrEnum):
    pending = "pending"
    opened = "opened"
    started = "started"
    completed = "completed"
    expired = "expired"
    revoked = "revoked"  # withdrawn by the organization (DELETE /api/invites/{token}): the link cannot start


class MailStatus(StrEnum):
    """Where an invite's mail is: it goes through a queue, and is sent at most once."""

    not_requested = "not_requested"  # created with send_email false
    queued = "queued"  # recorded and queued; sent by SendInviteMailsFunction
    sending = "sending"  # handed to SES; stays so if SES never answered (it is not sent twice)
    sent = "sent"
    failed = "failed"  # SES refused it, or the invite could no longer use it (expired, erased): see mail_error


class Invite(Entity):
    id: str
    organization_id: str
    campaign_id: str
    email: str
    token: str
    status: InviteStatus = InviteStatus.pending
    candidate_id: str | None = None
    session_id: str | None = None
    opened_at: datetime | None = None
    expires_at: datetime
    created_at: datetime
    mail_status: MailStatus | None = None  # None: an invite stored before mail was queued
    mail_error: str | None = None
    mailed_at: datetime | None = None
    revoked_at: datetime | None = None


class ProjectCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class ProjectOut(Output):
    id: str
    name: str
    description: str | None
    created_at: Timestamp


class CampaignCreate(Input):
    name: str = Field(min_length=1, max_length=200, description="Campaign name (internal use)")
    script_id: str = Field(min_length=1, description="UUID of a published script (interview)")
    project_id: str = Field(min_length=1, description="UUID of the project")
    invite_valid_hours: float = Field(default=168, gt=0, le=8760, description="Hours until an invite expires")


class CampaignUpdate(Input):
    """A new status, a new name, or both (the rename is stored with the status change)."""

    status: CampaignStatus | None = Field(default=None, description="active → completed → archived, never back")
    name: str | None = Field(default=None, min_length=1, max_length=200, description="Campaign name (internal use)")

    @model_validator(mode="after")
    def _something(self) -> CampaignUpdate:
        if self.status is None and self.name is None:
            raise ValueError("send status, name or both")
        return self


class CampaignCreated(Output):
    id: str
    name: str
    script_id: str
    project_id: str
    status: CampaignStatus
    created_at: Timestamp


class CampaignListItem(Output):
    id: str
    name: str
    status: CampaignStatus
    invites_sent: int
    completed: int
    created_at: Timestamp


class CampaignStats(Output):
    invites_sent: int
    started: int
    completed: int
    completion_rate: float


class CampaignDetail(CampaignCreated):
    stats: CampaignStats

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignDetail:
        rate = round(campaign.completed / campaign.started, 2) if campaign.started else 0.0
        return cls(
            **CampaignCreated.model_validate(campaign, from_attributes=True).model_dump(),
            stats=CampaignStats(
                invites_sent=campaign.invites_sent,
                started=campaign.started,
                completed=campaign.completed,
                completion_rate=rate,
            ),
        )


class InviteRequest(Input):
    emails: list[str] = Field(min_length=1, max_length=500, description="Participant email addresses")
    send_email: bool = Field(default=True, description="Whether to send the invitation email")
    custom_message: str | None = Field(default=None, max_length=2000, description="Added to the email")


class InviteResend(Input):
    custom_message: str | None = Field(default=None, max_length=2000, description="Added to the email")


class InviteOut(Output):
    id: str
    email: str
    token: str
    url: str
    expires_at: Timestamp


class InviteFailure(Output):
    email: str
    reason: str


class InvitesCreated(Output):
    invites: list[InviteOut]
    sent: int
    failed: int
    failures: list[InviteFailure]


class InviteDetail(Output):
    id: str
    email: str
    token: str
    status: InviteStatus
    campaign_id: str
    expires_at: Timestamp
    created_at: Timestamp
    mail_status: MailStatus | None = Field(default=None, description="Where the invitation mail is")


class InviteListItem(InviteDetail):
    candidate_id: str | None = None
    session_id: str | None = None
    opened_at: Timestamp | None = None
    mailed_at: Timestamp | None = None
    revoked_at: Timestamp | None = None
