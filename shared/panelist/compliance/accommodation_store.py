"""The only writer of accommodation requests: `ACCOMMODATION#<id>` (ids are UUIDv7: newest last), listed by
status (GSI1), by interview (GSI2) and by both (GSI3), each list with its counter; and the pointers that find a
candidate's requests for an erasure: `ACCOMMODATIONOF#CAND#<candidate id>#<id>` and
`ACCOMMODATIONOF#MAIL#<sha-256 of the address>#<id>` (a request made before its invite had a candidate)."""

from __future__ import annotations

import hashlib

from panelist.core.errors import NotFound
from panelist.core.storage import (
    Item,
    counter_op,
    delete_op,
    list_counter,
    org_pk,
    put_op,
    table,
    update_op,
)
from panelist.models.accommodations import AccommodationRequest, AccommodationStatus

PREFIX = "ACCOMMODATION#"
POINTER_PREFIX = "ACCOMMODATIONOF#"
LINK_CAP_PREFIX = "ACCOMMODATIONS#LINK#"  # counter name: how many requests one link has made


def _base(organization_id: str) -> str:
    return f"{org_pk(organization_id)}#ACCOMMODATIONS"


def partition(
    organization_id: str, interview_id: str | None, status: AccommodationStatus | None
) -> tuple[str, str | None]:
    """The list partition of a filter, and the index holding it (None: the table, PK = the organization)."""
    base = _base(organization_id)
    if interview_id and status:
        return f"{base}#INTERVIEW#{interview_id}#STATUS#{status.value}", "GSI3"
    if interview_id:
        return f"{base}#INTERVIEW#{interview_id}", "GSI2"
    if status:
        return f"{base}#STATUS#{status.value}", "GSI1"
    return org_pk(organization_id), None


def _counter_name(organization_id: str, list_partition: str) -> str:
    # the unfiltered list's partition is the organization's own: its counter has a name of its own
    return list_counter(_base(organization_id) if list_partition == org_pk(organization_id) else list_partition)


def _lists(request: AccommodationRequest, status: AccommodationStatus) -> list[str]:
    org, interview = request.organization_id, request.interview_id
    return [
        partition(org, None, None)[0],
        partition(org, interview, None)[0],
        partition(org, None, status)[0],
        partition(org, interview, status)[0],
    ]


def _counted(organization_id: str, lists: list[str], delta: int) -> list[Item]:
    return [counter_op(org_pk(organization_id), _counter_name(organization_id, name), delta) for name in lists]


def item(request: AccommodationRequest) -> Item:
    _, by_interview, by_status, by_both = _lists(request, request.status)
    return {
        "PK": org_pk(request.organization_id),
        "SK": PREFIX + request.id,
        "type": "AccommodationRequest",
        "GSI1PK": by_status,
        "GSI1SK": request.id,
        "GSI2PK": by_interview,
        "GSI2SK": request.id,
        "GSI3PK": by_both,
        "GSI3SK": request.id,
        **request.model_dump(mode="json"),
    }


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _pointer(organization_id: str, kind: str, value: str, request_id: str) -> Item:
    return {
        "PK": org_pk(organization_id),
        "SK": f"{POINTER_PREFIX}{kind}#{value}#{request_id}",
        "type": "AccommodationPointer",
        "request_id": request_id,
    }


def insert(request: AccommodationRequest, *, link: str, cap: int) -> None:
    """Store a new request with its counters and pointers; ConditionFailed once `link` made `cap` requests."""
    org = request.organization_id
    ops = [
        put_op(item(request), unique=True),
        *_counted(org, _lists(request, request.status), 1),
        counter_op(org_pk(org), LINK_CAP_PREFIX + link, below=cap),
    ]
    if request.candidate_id:
        ops.append(put_op(_pointer(org, "CAND", request.candidate_id, request.id)))
    if request.email:
        ops.append(put_op(_pointer(org, "MAIL", email_digest(request.email), request.id)))
    table().transact(*ops)


def get(organization_id: str, request_id: str) -> AccommodationRequest:
    found = table().get(org_pk(organization_id), PREFIX + request_id)
    if found is None:
        raise NotFound("accommodation request not found", field="id")
    return AccommodationRequest.model_validate(found)


def list_requests(
    organization_id: str, *, interview_id: str | None, status: AccommodationStatus | None, offset: int, limit: int
) -> tuple[list[AccommodationRequest], int]:
    """A page of requests, newest first, and how many match: one Query, a counter for the total."""
    list_partition, index = partition(organization_id, interview_id, status)
    items = table().query_offset(
        list_partition, index=index, prefix=None if index else PREFIX, offset=offset, limit=limit, forward=False
    )
    total = table().counter(org_pk(organization_id), _counter_name(organization_id, list_partition))
    return [AccommodationRequest.model_validate(i) for i in items], total


def save_change(before: AccommodationRequest, after: AccommodationRequest) -> None:
    """Store a change (only over the version read: ConditionFailed otherwise), moving the request between the
    status lists' counters when its status changed."""
    org = before.organization_id
    _, _, by_status, by_both = _lists(after, after.status)
    stored, read = after.model_dump(mode="json"), before.model_dump(mode="json")
    ops = [
        update_op(
            org_pk(org),
            PREFIX + before.id,
            "SET #status = :new, resolution_note = :note, resolved_at = :resolved, updated_at = :at, "
            "updated_by = :by, GSI1PK = :by_status, GSI3PK = :by_both",
            condition="#status = :old AND updated_at = :read",
            names={"#status": "status"},
            new=after.status.value,
            old=before.status.value,
            note=after.resolution_note,
            resolved=stored["resolved_at"],
            at=stored["updated_at"],
            read=read["updated_at"],
            by=after.updated_by,
            by_status=by_status,
            by_both=by_both,
        )
    ]
    if after.status is not before.status:
        ops += _counted(org, _lists(before, before.status)[2:], -1)
        ops += _counted(org, [by_status, by_both], 1)
    table().transact(*ops)


def _pointed(organization_id: str, prefix: str) -> list[Item]:
    return table().query_offset(org_pk(organization_id), prefix=prefix, offset=0, limit=1000)


def requests_of(organization_id: str, candidate_id: str, email: str | None = None) -> tuple[list[str], list[Item]]:
    """The ids of a candidate's requests (by candidate, and by address when given), and the pointers found."""
    pointers = _pointed(organization_id, f"{POINTER_PREFIX}CAND#{candidate_id}#")
    if email:
        pointers += _pointed(organization_id, f"{POINTER_PREFIX}MAIL#{email_digest(email)}#")
    return list(dict.fromkeys(str(p["request_id"]) for p in pointers)), pointers


def blank(organization_id: str, request_id: str, at: str) -> None:
    """Blank a request's personal data (details, name, email); a request already gone is left alone."""
    table().transact(
        update_op(
            org_pk(organization_id),
            PREFIX + request_id,
            "SET details = :empty, #name = :none, email = :none, erased_at = :at",
            condition="attribute_exists(PK)",
            names={"#name": "name"},
            empty="",
            none=None,
            at=at,
        )
    )


def forget_mail_pointers(organization_id: str, pointers: list[Item]) -> None:
    """Delete the pointers naming an address digest (the candidate pointers hold ids only and stay)."""
    for pointer in pointers:
        if str(pointer["SK"]).startswith(f"{POINTER_PREFIX}MAIL#"):
            table().transact(delete_op(org_pk(organization_id), str(pointer["SK"])))
