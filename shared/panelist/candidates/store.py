"""The only writer of the candidates items: profiles (`CANDIDATE#`), erasure records (`ERASURE#`),
campaigns (`CAMPAIGN#` and their list counters), invites (`INVITE#`, `INVITETOKEN#`, `INVITEE#`, where an
address's partition also names its one live invite per campaign) and invite requests' idempotency records
(`INVITEREQUEST#`).

Campaign counters change in the transaction of what they count. Candidate files live in the bucket under
the organization's prefix (`file_key`).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from panelist.core import idempotency, times
from panelist.core.errors import NotFound
from panelist.core.storage import (
    ConditionFailed,
    Item,
    counter_op,
    delete_op,
    list_counter,
    org_pk,
    put_op,
    table,
    update_op,
)
from panelist.models.campaigns import Campaign, CampaignStatus, Invite, InviteStatus, MailStatus
from panelist.models.candidates import Candidate, CandidateFile
from panelist.models.common import now

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

PREFIX = "CANDIDATE#"
ERASURE_PREFIX = "ERASURE#"
CAMPAIGN_PREFIX = "CAMPAIGN#"
INVITE_PREFIX = "INVITE#"
ERASED = "erased"


def file_key(organization_id: str, candidate_id: str, name: str) -> str:
    return f"orgs/{organization_id}/candidates/{candidate_id}/{name}"


# ------------------------------------------------------------------ candidates


def _candidate_item(candidate: Candidate) -> Item:
    return {
        "PK": org_pk(candidate.organization_id),
        "SK": PREFIX + candidate.id,
        "type": "Candidate",
        **candidate.model_dump(mode="json"),
    }


def save_candidate(candidate: Candidate) -> None:
    table().put(_candidate_item(candidate))


def new_candidate_op(candidate: Candidate) -> Item:
    """Store a new profile in the caller's transaction (that of the session it starts), never over another."""
    return put_op(_candidate_item(candidate), unique=True)


def get_candidate(organization_id: str, candidate_id: str) -> Candidate:
    item = table().get(org_pk(organization_id), PREFIX + candidate_id)
    if item is None:
        raise NotFound("candidate not found", field="candidate_id")
    return Candidate.model_validate(item)


def add_candidate_file(organization_id: str, candidate_id: str, file: CandidateFile) -> None:
    table().update(
        org_pk(organization_id),
        PREFIX + candidate_id,
        "SET files = list_append(if_not_exists(files, :empty), :file)",
        condition="attribute_exists(PK)",
        empty=[],
        file=[file.model_dump(mode="json")],
    )


def get_erasure_item(organization_id: str, candidate_id: str) -> Item | None:
    return table().get(org_pk(organization_id), ERASURE_PREFIX + candidate_id)


def record_erasure(organization_id: str, candidate_id: str, erasure: dict[str, Any]) -> None:
    """Overwrite the profile's personal data and record the erasure (`erasure`: the record, as JSON)."""
    pk = org_pk(organization_id)
    table().transact(
        update_op(
            pk,
            PREFIX + candidate_id,
            "SET #name = :erased, email = :erased, phone = :none, linkedin_url = :none, address = :none, "
            "files = :files, erased_at = :at",
            condition="attribute_exists(PK)",
            names={"#name": "name"},
            erased=ERASED,
            none=None,
            files=[],
            at=erasure["erased_at"],
        ),
        put_op({"PK": pk, "SK": ERASURE_PREFIX + candidate_id, "type": "CandidateErasure", **erasure}),
    )


# ------------------------------------------------------------------ campaigns


def campaign_partition(
    organization_id: str, project_id: str | None, status: CampaignStatus | None
) -> tuple[str, str | None]:
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
        campaign_partition(org, None, None)[0],
        campaign_partition(org, project, None)[0],
        campaign_partition(org, None, status)[0],
        campaign_partition(org, project, status)[0],
    ]


def campaign_item(campaign: Campaign) -> Item:
    _, by_project, by_status, by_both = campaign_lists(campaign, campaign.status)
    return {
        "PK": org_pk(campaign.organization_id),
        "SK": CAMPAIGN_PREFIX + campaign.id,
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
    return [counter_op(org_pk(organization_id), list_counter(name), delta) for name in lists]


def save_new_campaign(campaign: Campaign) -> None:
    table().transact(
        put_op(campaign_item(campaign), unique=True),
        *_counted(campaign.organization_id, campaign_lists(campaign, campaign.status), 1),
    )


def get_campaign(organization_id: str, campaign_id: str) -> Campaign:
    item = table().get(org_pk(organization_id), CAMPAIGN_PREFIX + campaign_id)
    if item is None:
        raise NotFound("campaign not found", field="id")
    return Campaign.model_validate(item)


def list_campaigns(
    organization_id: str, *, project_id: str | None, status: CampaignStatus | None, offset: int, limit: int
) -> tuple[list[Campaign], int]:
    """A page of campaigns, oldest first, and how many match: one Query, a counter for the total."""
    partition, index = campaign_partition(organization_id, project_id, status)
    items = table().query_offset(
        partition, index=index, prefix=None if index else CAMPAIGN_PREFIX, offset=offset, limit=limit
    )
    total = table().counter(org_pk(organization_id), list_counter(partition))
    return [Campaign.model_validate(i) for i in items], total


def move_campaign(campaign: Campaign, updated: Campaign) -> None:
    """Store a change of status, moving the campaign between its lists' counters (only from the status read)."""
    organization_id = campaign.organization_id
    _, _, by_status, by_both = campaign_lists(updated, updated.status)
    table().transact(
        update_op(
            org_pk(organization_id),
            CAMPAIGN_PREFIX + campaign.id,
            "SET #status = :new, updated_at = :at, GSI1PK = :by_status, GSI3PK = :by_both",
            condition="#status = :old",
            names={"#status": "status"},
            new=updated.status.value,
            old=campaign.status.value,
            at=updated.updated_at.isoformat(),
            by_status=by_status,
            by_both=by_both,
        ),
        *_counted(organization_id, campaign_lists(campaign, campaign.status)[2:], -1),
        *_counted(organization_id, [by_status, by_both], 1),
    )


def campaign_counted_op(organization_id: str, campaign_id: str, counters: tuple[str, ...]) -> Item:
    """Add one to each of the campaign's `counters` (started, completed), in the caller's transaction."""
    return update_op(
        org_pk(organization_id),
        CAMPAIGN_PREFIX + campaign_id,
        "ADD " + ", ".join(f"{name} :one" for name in counters),
        condition="attribute_exists(PK)",
        one=1,
    )


# ------------------------------------------------------------------ invites


def _lookup_pk(token: str) -> str:
    """Invite tokens are unguessable and global: a candidate's link names no organization."""
    return f"INVITETOKEN#{token}"


def _invitee_pk(organization_id: str, email: str) -> str:
    """The partition indexing the invites sent to an address (for erasure), named by a digest, not the address."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"{org_pk(organization_id)}#INVITEE#{digest}"


INVITES_PER_TRANSACTION = 24  # 4 writes each, and the campaign's counter: 97 of a transaction's 100
CONFLICT_ATTEMPTS = 4  # transactions of concurrent requests on one campaign's counter cancel each other


def _invited_key(organization_id: str, campaign_id: str, email: str) -> tuple[str, str]:
    """The item naming an address's live invite in a campaign (in the address's digest partition)."""
    return _invitee_pk(organization_id, email), CAMPAIGN_PREFIX + campaign_id


def _invite_writes(invite: Invite, *, replacing: str | None = None, guarded: bool = True) -> list[Item]:
    """The invite, its token lookup, its index entry, and its campaign's pointer to it (`guarded`: taken only
    when the address has no invite in the campaign, or when it still names `replacing`, an expired one)."""
    pk = org_pk(invite.organization_id)
    invited_pk, invited_sk = _invited_key(invite.organization_id, invite.campaign_id, invite.email)
    pointer = {"PK": invited_pk, "SK": invited_sk, "invite_id": invite.id}
    if not guarded:
        guard = put_op(pointer)
    elif replacing:
        old: dict[str, Any] = {":old": replacing}  # put_op takes the values as named in the condition
        guard = put_op(pointer, condition="attribute_not_exists(PK) OR invite_id = :old", **old)
    else:
        guard = put_op(pointer, unique=True)
    return [
        put_op(
            {"PK": pk, "SK": INVITE_PREFIX + invite.id, "type": "Invite", **invite.model_dump(mode="json")}, unique=True
        ),
        put_op(
            {
                "PK": _lookup_pk(invite.token),
                "SK": "INVITE",
                "organization_id": invite.organization_id,
                "invite_id": invite.id,
            },
            unique=True,
        ),
        put_op({"PK": _invitee_pk(invite.organization_id, invite.email), "SK": INVITE_PREFIX + invite.id}),
        guard,
    ]


def invite_ops(invite: Invite) -> list[Item]:
    """Writes that add one invite to its campaign: the invite, its token lookup, its index entries, the campaign
    counter. The address's pointer is overwritten: for seeding data, where no request races."""
    pk = org_pk(invite.organization_id)
    return [
        *_invite_writes(invite, guarded=False),
        update_op(
            pk, CAMPAIGN_PREFIX + invite.campaign_id, "ADD invites_sent :one", condition="attribute_exists(PK)", one=1
        ),
    ]


def save_new_invite(invite: Invite) -> None:
    table().transact(*invite_ops(invite))


class CampaignClosed(Exception):
    """The campaign is no longer active (or no longer there): it takes no new invites."""


def add_invites(campaign: Campaign, invites: Sequence[tuple[Invite, str | None]]) -> list[int]:
    """Store up to INVITES_PER_TRANSACTION new invites of an active campaign in one transaction, with its
    invites_sent. Each comes with the expired invite of its address it replaces, or None.

    Returns [] when they are written; otherwise nothing is written and the positions of the invites whose
    address got an invite in the campaign meanwhile are returned. CampaignClosed when the campaign is not
    active any more.
    """
    if not 0 < len(invites) <= INVITES_PER_TRANSACTION:
        raise ValueError(f"1 to {INVITES_PER_TRANSACTION} invites a transaction, not {len(invites)}")
    writes = [op for invite, replacing in invites for op in _invite_writes(invite, replacing=replacing)]
    counted = update_op(
        org_pk(campaign.organization_id),
        CAMPAIGN_PREFIX + campaign.id,
        "ADD invites_sent :n",
        condition="#status = :active",
        names={"#status": "status"},
        n=len(invites),
        active=CampaignStatus.active.value,
    )
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            table().transact(*writes, counted)
        except ConditionFailed as exc:
            if exc.reasons[-1] == "ConditionalCheckFailed":
                raise CampaignClosed from None
            per_invite = len(writes) // len(invites)
            taken = [i for i in range(len(invites)) if exc.reasons[i * per_invite + per_invite - 1] != "None"]
            if not taken:
                raise
            return taken
        except ClientError as exc:  # another request's transaction on the campaign item at the same moment
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if "TransactionConflict" not in reasons or attempt == CONFLICT_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05 * (attempt + 1)))  # noqa: S311 - jitter, not secrets
            continue
        return []
    raise AssertionError("unreachable")  # pragma: no cover


def invites_in_campaign(organization_id: str, campaign_id: str, emails: Sequence[str]) -> dict[str, Invite]:
    """The live invite each address has in the campaign, by lower-cased address (two batch reads)."""
    pointers = table().get_many([_invited_key(organization_id, campaign_id, email) for email in emails])
    named = {email.lower(): str(p["invite_id"]) for email, p in zip(emails, pointers, strict=True) if p}
    items = table().get_many([(org_pk(organization_id), INVITE_PREFIX + i) for i in named.values()])
    found = {i["id"]: Invite.model_validate(i) for i in items if i is not None}
    return {email: found[invite_id] for email, invite_id in named.items() if invite_id in found}


def idempotency_records() -> DynamoDBPersistenceLayer:
    """Where Powertools keeps invite requests' idempotency records (the hashed key names the organization)."""
    return idempotency.records("INVITEREQUEST#create_invites")


# ------------------------------------------------------------------ invite mail


def _mail_update(invite: Invite, expression: str, condition: str, **values: Any) -> Item:
    return table().update(
        org_pk(invite.organization_id),
        INVITE_PREFIX + invite.id,
        expression,
        condition=f"attribute_exists(PK) AND {condition}",
        names={"#mail": "mail_status"},
        **values,
    )


def request_invite_mail(invite: Invite) -> bool:
    """not_requested → queued (an invite made without mail, asked again with it); False when it was not."""
    try:
        _mail_update(
            invite,
            "SET #mail = :queued",
            "#mail = :not_requested",
            queued=MailStatus.queued.value,
            not_requested=MailStatus.not_requested.value,
        )
    except ConditionFailed:
        return False
    return True


def claim_invite_mail(organization_id: str, invite_id: str) -> Invite | None:
    """queued → sending, once: the caller that gets the invite is the only one that may send its mail.

    None when the invite is gone or its mail is not queued (being sent, sent, failed, or never asked for).
    """
    try:
        item = table().update(
            org_pk(organization_id),
            INVITE_PREFIX + invite_id,
            "SET #mail = :sending",
            condition="attribute_exists(PK) AND #mail = :queued",
            names={"#mail": "mail_status"},
            sending=MailStatus.sending.value,
            queued=MailStatus.queued.value,
        )
    except ConditionFailed:
        return None
    return Invite.model_validate(item)


def finish_invite_mail(
    invite: Invite, status: MailStatus, *, error: str | None = None, at: datetime | None = None
) -> None:
    """sending → sent, failed, or back to queued (SES did not take it), with the error and the time."""
    _mail_update(
        invite,
        "SET #mail = :status, mail_error = :error, mailed_at = :at",
        "#mail = :sending",
        status=status.value,
        sending=MailStatus.sending.value,
        error=error,
        at=times.iso_seconds(at) if at else None,
    )


def invite_organization(token: str) -> str | None:
    """The organization an invite token belongs to, or None for an unknown token."""
    lookup = table().get(_lookup_pk(token), "INVITE")
    return str(lookup["organization_id"]) if lookup else None


def get_invite_by_token(organization_id: str, token: str) -> Invite:
    """An invite of the organization by its token, as stored."""
    lookup = table().get(_lookup_pk(token), "INVITE")
    item = table().get(org_pk(organization_id), INVITE_PREFIX + lookup["invite_id"]) if lookup else None
    if item is None or lookup is None or lookup["organization_id"] != organization_id:
        raise NotFound("invite not found", field="token")
    return Invite.model_validate(item)


def get_invite_item(organization_id: str, invite_id: str) -> Item | None:
    return table().get(org_pk(organization_id), INVITE_PREFIX + invite_id)


def mark_invite_opened(invite: Invite, opened: Invite) -> None:
    """Pending → opened (ConditionFailed when a concurrent request moved it first)."""
    table().update(
        org_pk(invite.organization_id),
        INVITE_PREFIX + invite.id,
        "SET #status = :opened, opened_at = :at",
        condition="#status = :pending",
        names={"#status": "status"},
        opened=InviteStatus.opened.value,
        pending=InviteStatus.pending.value,
        at=opened.model_dump(mode="json")["opened_at"],
    )


def invite_used_op(
    organization_id: str, invite_id: str, status: InviteStatus, *, session_id: str, candidate_id: str, starting: bool
) -> Item:
    """Move an invite on with its session, in the session's transaction; starting needs it unused and unexpired."""
    condition, values = "attribute_exists(PK)", {}
    if starting:
        condition = "#status IN (:pending, :opened) AND expires_at > :now"
        values = {
            "pending": InviteStatus.pending.value,
            "opened": InviteStatus.opened.value,
            "now": times.iso_seconds(now()),
        }
    return update_op(
        org_pk(organization_id),
        INVITE_PREFIX + invite_id,
        "SET #status = :new, session_id = :session, candidate_id = :candidate",
        condition=condition,
        names={"#status": "status"},
        new=status.value,
        session=session_id,
        candidate=candidate_id,
        **values,
    )


def invite_ids_sent_to(organization_id: str, email: str) -> set[str]:
    """Every invite ever sent to an address (through the digest index, no Scan)."""
    ids: set[str] = set()
    partition, cursor = _invitee_pk(organization_id, email), None
    while True:
        page = table().query(partition, prefix=INVITE_PREFIX, limit=100, cursor=cursor)
        ids |= {str(item["SK"]).removeprefix(INVITE_PREFIX) for item in page.items}
        if not (cursor := page.cursor):
            return ids


def erased_invite_ops(organization_id: str, email: str, invite_ids: list[str]) -> list[Item]:
    """Forget the address on each invite and drop the address's index entries and campaign pointers."""
    pk = org_pk(organization_id)
    items = [item for invite_id in invite_ids if (item := get_invite_item(organization_id, invite_id)) is not None]
    ops = [
        update_op(pk, str(item["SK"]), "SET email = :erased", condition="attribute_exists(PK)", erased=ERASED)
        for item in items
    ]
    if email and email != ERASED:
        partition = _invitee_pk(organization_id, email)
        ops += [delete_op(partition, INVITE_PREFIX + invite_id) for invite_id in invite_ids]
        campaigns = sorted({str(item["campaign_id"]) for item in items})
        ops += [delete_op(*_invited_key(organization_id, campaign_id, email)) for campaign_id in campaigns]
    return ops
