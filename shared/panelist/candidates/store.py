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
from collections.abc import Iterator, Sequence
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
    stored = candidate.model_dump(mode="json")
    if stored.get("external_id") is None:  # absent, not null: a condition can say "has none"
        stored.pop("external_id", None)
    return {"PK": org_pk(candidate.organization_id), "SK": PREFIX + candidate.id, "type": "Candidate", **stored}


def _candidates_counter(organization_id: str) -> str:
    """The counter of the organization's candidates (GET /api/candidates' total)."""
    return list_counter(org_pk(organization_id) + "#CANDIDATES")


def _external_pk(organization_id: str, external_id: str) -> str:
    """The item holding an external id for one candidate: its uniqueness in the organization."""
    return f"{org_pk(organization_id)}#CANDIDATEEXTERNAL#{external_id}"


EXTERNAL_SK = "CANDIDATE"


def _email_index_key(organization_id: str, email: str, candidate_id: str) -> tuple[str, str]:
    """A profile's entry in its address's digest partition (the invitee index): found by address, never named."""
    return _invitee_pk(organization_id, email), PREFIX + candidate_id


def _external_put(candidate: Candidate) -> Item:
    assert candidate.external_id is not None
    return put_op(
        {
            "PK": _external_pk(candidate.organization_id, candidate.external_id),
            "SK": EXTERNAL_SK,
            "candidate_id": candidate.id,
        },
        unique=True,
    )


def save_candidate(candidate: Candidate) -> None:
    """Overwrite a stored profile as it is (its index entries are not touched)."""
    table().put(_candidate_item(candidate))


def new_candidate_ops(candidate: Candidate) -> list[Item]:
    """Store a new profile in the caller's transaction (that of the session it starts, or its own), never over
    another: the profile, the organization's candidate counter, its address's index entry and, with an
    external id, that id's item (taken only when free: the last op)."""
    pk = org_pk(candidate.organization_id)
    pk_email, sk_email = _email_index_key(candidate.organization_id, candidate.email, candidate.id)
    ops = [
        put_op(_candidate_item(candidate), unique=True),
        counter_op(pk, _candidates_counter(candidate.organization_id), 1),
        put_op({"PK": pk_email, "SK": sk_email, "candidate_id": candidate.id}),
    ]
    if candidate.external_id:
        ops.append(_external_put(candidate))
    return ops


class ExternalIdTaken(Exception):
    """Another candidate of the organization has the external id."""


def save_new_candidate(candidate: Candidate) -> None:
    """Store a new profile with its indexes; ExternalIdTaken when its external id is another's."""
    try:
        table().transact(*new_candidate_ops(candidate))
    except ConditionFailed as exc:
        if candidate.external_id and exc.reasons[-1] == "ConditionalCheckFailed":
            raise ExternalIdTaken(candidate.external_id) from None
        raise


def candidate_with_external_id(organization_id: str, external_id: str) -> Candidate | None:
    lookup = table().get(_external_pk(organization_id, external_id), EXTERNAL_SK)
    if lookup is None:
        return None
    item = table().get(org_pk(organization_id), PREFIX + str(lookup["candidate_id"]))
    return Candidate.model_validate(item) if item else None


def list_candidates(organization_id: str, *, offset: int, limit: int) -> tuple[list[Candidate], int]:
    """A page of the organization's profiles, oldest first (ids are UUIDv7), and how many there are."""
    items = table().query_offset(org_pk(organization_id), prefix=PREFIX, offset=offset, limit=limit)
    total = table().counter(org_pk(organization_id), _candidates_counter(organization_id))
    # profiles stored before the counter existed are listed too: the total never says fewer than were seen
    return [Candidate.model_validate(i) for i in items], max(total, offset + len(items))


def candidates_with_email(organization_id: str, email: str, *, offset: int, limit: int) -> tuple[list[Candidate], int]:
    """A page of the profiles with an address (any case), oldest first, through the address's digest partition."""
    ids: list[str] = []
    partition, cursor = _invitee_pk(organization_id, email), None
    while True:
        page = table().query(partition, prefix=PREFIX, limit=100, cursor=cursor)
        ids += [str(item["SK"]).removeprefix(PREFIX) for item in page.items]
        if not (cursor := page.cursor):
            break
    chosen = ids[offset : offset + limit]
    items = table().get_many([(org_pk(organization_id), PREFIX + i) for i in chosen])
    return [Candidate.model_validate(i) for i in items if i is not None], len(ids)


def update_candidate(before: Candidate, after: Candidate) -> None:
    """Store a profile's changed fields, only over the profile as read (its address and external id), moving its
    address's index entry and its external id's item with it. ConditionFailed otherwise: `reasons[-1]` is the
    new external id's (taken) when the external id changes."""
    organization_id, pk = before.organization_id, org_pk(before.organization_id)
    stored_after = _candidate_item(after)
    fields = ("name", "email", "phone", "linkedin_url", "metadata", "updated_at")
    sets = {f: stored_after.get(f) for f in fields}
    expression = "SET " + ", ".join(f"#{f} = :{f}" for f in sets)
    if after.external_id:
        sets["external_id"] = after.external_id
        expression += ", #external_id = :external_id"
    else:
        expression += " REMOVE #external_id"
    condition = "attribute_exists(PK) AND email = :was_email AND " + (
        "#external_id = :was_external" if before.external_id else "attribute_not_exists(#external_id)"
    )
    values: dict[str, Any] = {**sets, "was_email": before.email}
    if before.external_id:
        values["was_external"] = before.external_id
    ops = [
        update_op(
            pk,
            PREFIX + before.id,
            expression,
            condition=condition,
            names={f"#{f}": f for f in (*fields, "external_id")},
            **values,
        )
    ]
    if before.email.strip().lower() != after.email.strip().lower():
        ops.append(delete_op(*_email_index_key(organization_id, before.email, before.id)))
        pk_email, sk_email = _email_index_key(organization_id, after.email, after.id)
        ops.append(put_op({"PK": pk_email, "SK": sk_email, "candidate_id": after.id}))
    if before.external_id != after.external_id:
        if before.external_id:
            ops.append(delete_op(_external_pk(organization_id, before.external_id), EXTERNAL_SK))
        if after.external_id:
            ops.append(_external_put(after))
    table().transact(*ops)


def get_candidate(organization_id: str, candidate_id: str) -> Candidate:
    item = table().get(org_pk(organization_id), PREFIX + candidate_id)
    if item is None:
        raise NotFound("candidate not found", field="candidate_id")
    return Candidate.model_validate(item)


def get_candidates(organization_id: str, candidate_ids: Sequence[str]) -> dict[str, Candidate]:
    """The profiles of these ids by id, read together (BatchGetItem); ids with no profile are left out."""
    items = table().get_many([(org_pk(organization_id), PREFIX + i) for i in dict.fromkeys(candidate_ids)])
    return {str(i["id"]): Candidate.model_validate(i) for i in items if i is not None}


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


def record_erasure(
    organization_id: str,
    candidate_id: str,
    erasure: dict[str, Any],
    *,
    email: str | None = None,
    external_id: str | None = None,
    with_ops: list[Item] | None = None,
) -> None:
    """Overwrite the profile's personal data and record the erasure (`erasure`: the record, as JSON), in one
    transaction with `with_ops` (its audit entry).

    With the profile's `email` and `external_id` as read, its address's index entry goes and its external
    id is released (the profile keeps neither); the profile must still have that external id.
    """
    pk = org_pk(organization_id)
    condition = "attribute_exists(PK) AND " + (
        "external_id = :external" if external_id else "attribute_not_exists(external_id)"
    )
    values: dict[str, Any] = {"external": external_id} if external_id else {}
    ops = [
        update_op(
            pk,
            PREFIX + candidate_id,
            "SET #name = :erased, email = :erased, phone = :none, linkedin_url = :none, address = :none, "
            "files = :files, metadata = :metadata, erased_at = :at REMOVE external_id",
            condition=condition,
            names={"#name": "name"},
            erased=ERASED,
            none=None,
            files=[],
            metadata={},
            at=erasure["erased_at"],
            **values,
        ),
        put_op({"PK": pk, "SK": ERASURE_PREFIX + candidate_id, "type": "CandidateErasure", **erasure}),
    ]
    if email and email != ERASED:
        ops.append(delete_op(*_email_index_key(organization_id, email, candidate_id)))
    if external_id:
        ops.append(delete_op(_external_pk(organization_id, external_id), EXTERNAL_SK))
    table().transact(*ops, *(with_ops or []))


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
    """Store a change of status, moving the campaign between its lists' counters (only from the status read), and
    its name; a rename alone touches no counter."""
    organization_id = campaign.organization_id
    if updated.status is campaign.status:
        table().update(
            org_pk(organization_id),
            CAMPAIGN_PREFIX + campaign.id,
            "SET #name = :name, updated_at = :at",
            condition="attribute_exists(PK)",
            names={"#name": "name"},
            name=updated.name,
            at=updated.updated_at.isoformat(),
        )
        return
    _, _, by_status, by_both = campaign_lists(updated, updated.status)
    table().transact(
        update_op(
            org_pk(organization_id),
            CAMPAIGN_PREFIX + campaign.id,
            "SET #status = :new, #name = :name, updated_at = :at, GSI1PK = :by_status, GSI3PK = :by_both",
            condition="#status = :old",
            names={"#status": "status", "#name": "name"},
            new=updated.status.value,
            old=campaign.status.value,
            name=updated.name,
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


# An invite is listed in its campaign twice: GSI1 holds all of them (by id: by creation), GSI2 those of one stored
# status (by expiry, then id: a status list splits at "now" into live and expired invites). The invite carries
# the GSI2 partition of each status it can move to (`lists`), so a move names it without knowing the campaign.
_LISTED_STATUSES = (
    InviteStatus.pending,
    InviteStatus.opened,
    InviteStatus.started,
    InviteStatus.completed,
    InviteStatus.revoked,
)
UNLISTED = "UNLISTED"  # the GSI2 partition of an invite stored before the lists (listed nowhere: no GSI2SK)


def invites_partition(organization_id: str, campaign_id: str, status: InviteStatus | None = None) -> str:
    base = f"{org_pk(organization_id)}#CAMPAIGN#{campaign_id}#INVITES"
    return f"{base}#{status.value}" if status else base


def _invite_list_keys(invite: Invite) -> Item:
    org, campaign = invite.organization_id, invite.campaign_id
    return {
        "GSI1PK": invites_partition(org, campaign),
        "GSI1SK": invite.id,
        "GSI2PK": invites_partition(org, campaign, invite.status),
        "GSI2SK": f"{times.iso_seconds(invite.expires_at)}#{invite.id}",
        "lists": {status.value: invites_partition(org, campaign, status) for status in _LISTED_STATUSES},
    }


def _moved_to(status: InviteStatus) -> tuple[str, dict[str, str], dict[str, str]]:
    """The SET clause moving an invite to `status`'s list, with its names and values."""
    return (
        "GSI2PK = if_not_exists(#lists.#to, :unlisted)",
        {"#lists": "lists", "#to": status.value},
        {"unlisted": UNLISTED},
    )


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
            {
                "PK": pk,
                "SK": INVITE_PREFIX + invite.id,
                "type": "Invite",
                **_invite_list_keys(invite),
                **invite.model_dump(mode="json"),
            },
            unique=True,
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
    moved, names, values = _moved_to(InviteStatus.opened)
    table().update(
        org_pk(invite.organization_id),
        INVITE_PREFIX + invite.id,
        f"SET #status = :opened, opened_at = :at, {moved}",
        condition="#status = :pending",
        names={"#status": "status", **names},
        **values,
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
    moved, names, moved_values = _moved_to(status)
    return update_op(
        org_pk(organization_id),
        INVITE_PREFIX + invite_id,
        f"SET #status = :new, session_id = :session, candidate_id = :candidate, {moved}",
        condition=condition,
        names={"#status": "status", **names},
        **moved_values,
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


# ------------------------------------------------------------------ a campaign's invites


def _page_of(items: list[Item]) -> list[Invite]:
    return [Invite.model_validate(item) for item in items]


def list_campaign_invites(
    campaign: Campaign, *, status: InviteStatus | None, offset: int, limit: int
) -> tuple[list[Invite], int]:
    """A page of a campaign's invites and how many match (`status` as read: pending and opened ones past their
    expiry are `expired`). Unfiltered: oldest first, counted by the campaign's invites_sent; by status: by expiry,
    counted by a COUNT query of the same range (expiry moves invites between lists without a write)."""
    organization_id, campaign_id = campaign.organization_id, campaign.id
    if status is None:
        items = table().query_offset(
            invites_partition(organization_id, campaign_id), index="GSI1", offset=offset, limit=limit
        )
        return _page_of(items), max(campaign.invites_sent, offset + len(items))
    at = times.iso_seconds(now())
    live, gone = (at + "$", "~"), ("0", at + "$")  # "#" < "$": one expiring this second is expired
    if status is InviteStatus.expired:
        ranges = [(invites_partition(organization_id, campaign_id, s), gone) for s in _UNUSED]
    elif status in _UNUSED:
        ranges = [(invites_partition(organization_id, campaign_id, status), live)]
    else:
        ranges = [(invites_partition(organization_id, campaign_id, status), ("0", "~"))]
    found: list[Item] = []
    for partition, between in ranges:
        found += table().query_offset(partition, index="GSI2", offset=0, limit=offset + limit, between=between)
    found.sort(key=lambda item: str(item["GSI2SK"]))
    total = sum(table().count(partition, index="GSI2", between=between) for partition, between in ranges)
    return _page_of(found[offset : offset + limit]), total


_UNUSED = (InviteStatus.pending, InviteStatus.opened)


def revoke_invite(invite: Invite, at: datetime) -> Invite:
    """Pending or opened → revoked (ConditionFailed when it was used, or revoked, meanwhile)."""
    moved, names, values = _moved_to(InviteStatus.revoked)
    item = table().update(
        org_pk(invite.organization_id),
        INVITE_PREFIX + invite.id,
        f"SET #status = :revoked, revoked_at = :at, {moved}",
        condition="attribute_exists(PK) AND #status IN (:pending, :opened)",
        names={"#status": "status", **names},
        **values,
        revoked=InviteStatus.revoked.value,
        pending=InviteStatus.pending.value,
        opened=InviteStatus.opened.value,
        at=times.iso_seconds(at),
    )
    return Invite.model_validate(item)


def queue_invite_mail_again(invite: Invite) -> Invite:
    """Queue an invite's mail again (resend): only while it is usable (pending, opened or started and unexpired)
    and its mail is not being handed to SES at this moment. ConditionFailed otherwise."""
    item = table().update(
        org_pk(invite.organization_id),
        INVITE_PREFIX + invite.id,
        "SET #mail = :queued, mail_error = :none",
        condition=(
            "attribute_exists(PK) AND #status IN (:pending, :opened, :started) AND expires_at > :now "
            "AND NOT (#mail = :sending)"
        ),
        names={"#mail": "mail_status", "#status": "status"},
        queued=MailStatus.queued.value,
        none=None,
        pending=InviteStatus.pending.value,
        opened=InviteStatus.opened.value,
        started=InviteStatus.started.value,
        now=times.iso_seconds(now()),
        sending=MailStatus.sending.value,
    )
    return Invite.model_validate(item)


# ------------------------------------------------------------------ backfill (panelist_local.backfill)


def _pages(organization_id: str, prefix: str) -> Iterator[list[Item]]:
    partition, cursor = org_pk(organization_id), None
    while True:
        page = table().query(partition, prefix=prefix, limit=100, cursor=cursor)
        yield page.items
        if not (cursor := page.cursor):
            return


def unindexed_candidates(organization_id: str) -> Iterator[Candidate]:
    """The organization's profiles without their address's index entry: stored before it existed (erased
    profiles, which have none by design, are left out), page by page, one BatchGetItem a page."""
    for items in _pages(organization_id, PREFIX):
        candidates = [c for c in map(Candidate.model_validate, items) if c.erased_at is None and c.email != ERASED]
        entries = table().get_many([_email_index_key(organization_id, c.email, c.id) for c in candidates])
        yield from (c for c, entry in zip(candidates, entries, strict=True) if entry is None)


def backfill_candidate(candidate: Candidate, *, dry_run: bool = False) -> bool:
    """Index a profile stored before the candidate lists: its address's index entry and, in the same transaction,
    one on the organization's candidate counter, only while the entry is missing and the profile still has the
    address read (a second run, or a concurrent one, writes and counts nothing). True when it was (would be)."""
    if dry_run:
        return True
    pk = org_pk(candidate.organization_id)
    pk_email, sk_email = _email_index_key(candidate.organization_id, candidate.email, candidate.id)
    try:
        table().transact(
            update_op(
                pk, PREFIX + candidate.id, "SET email = :email", condition="email = :email", email=candidate.email
            ),
            put_op({"PK": pk_email, "SK": sk_email, "candidate_id": candidate.id}, unique=True),
            counter_op(pk, _candidates_counter(candidate.organization_id), 1),
        )
    except ConditionFailed:
        return False
    return True


def candidates_with_unclaimed_external_id(organization_id: str) -> Iterator[Candidate]:
    """Profiles with an external id whose lookup item is missing (none were stored before it existed; a safety
    net), page by page, one BatchGetItem a page."""
    for items in _pages(organization_id, PREFIX):
        candidates = [c for c in map(Candidate.model_validate, items) if c.external_id]
        lookups = table().get_many(
            [(_external_pk(organization_id, str(c.external_id)), EXTERNAL_SK) for c in candidates]
        )
        yield from (c for c, lookup in zip(candidates, lookups, strict=True) if lookup is None)


def backfill_candidate_external_id(candidate: Candidate, *, dry_run: bool = False) -> bool:
    """Claim a profile's external id (its lookup item) while it is free and the profile still has it; False when
    another profile has it meanwhile, or the profile changed."""
    if dry_run or not candidate.external_id:
        return bool(candidate.external_id)
    pk = org_pk(candidate.organization_id)
    try:
        table().transact(
            update_op(
                pk,
                PREFIX + candidate.id,
                "SET external_id = :external",
                condition="external_id = :external",
                external=candidate.external_id,
            ),
            _external_put(candidate),
        )
    except ConditionFailed:
        return False
    return True


def unlisted_invites(organization_id: str) -> Iterator[Invite]:
    """Invites stored before a campaign's invite lists (no GSI1 key), page by page."""
    for items in _pages(organization_id, INVITE_PREFIX):
        yield from (Invite.model_validate(item) for item in items if "GSI1PK" not in item)


def backfill_invite(invite: Invite, *, dry_run: bool = False) -> bool:
    """List an invite stored before the invite lists in its campaign's lists (by creation; by its status as read),
    only while it has no list key and that status: a second or concurrent run writes nothing. Invite lists have
    no counters of their own (the campaign's `invites_sent` and COUNT queries give their totals)."""
    if dry_run:
        return True
    keys = _invite_list_keys(invite)
    try:
        table().update(
            org_pk(invite.organization_id),
            INVITE_PREFIX + invite.id,
            "SET " + ", ".join(f"#{name} = :{name}" for name in keys),
            condition="attribute_exists(PK) AND attribute_not_exists(#GSI1PK) AND #status = :was",
            names={f"#{name}": name for name in (*keys, "status")},
            was=invite.status.value,
            **keys,
        )
    except ConditionFailed:
        return False
    return True
