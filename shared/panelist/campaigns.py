"""Campaigns and their invites. Campaign counters change in the transaction of what they count."""

from __future__ import annotations

from panelist.errors import NotFound
from panelist.models.campaigns import Campaign, Invite
from panelist.storage import Item, counter_op, org_pk, put_op, table, update_op

PREFIX = "CAMPAIGN#"
INVITE_PREFIX = "INVITE#"


def invite_lookup_pk(token: str) -> str:
    """Invite tokens are unguessable and global: a candidate's link names no organization."""
    return f"INVITETOKEN#{token}"


def save_new_campaign(campaign: Campaign) -> None:
    pk = org_pk(campaign.organization_id)
    table().transact(
        put_op(
            {"PK": pk, "SK": PREFIX + campaign.id, "type": "Campaign", **campaign.model_dump(mode="json")}, unique=True
        ),
        counter_op(pk, "campaigns"),
    )


def get_campaign(organization_id: str, campaign_id: str) -> Campaign:
    item = table().get(org_pk(organization_id), PREFIX + campaign_id)
    if item is None:
        raise NotFound("campaign not found", field="campaign_id")
    return Campaign.model_validate(item)


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
        update_op(pk, PREFIX + invite.campaign_id, "ADD invites_sent :one", condition="attribute_exists(PK)", one=1),
    ]
