"""Invitation mail, sent after the request that made the invites, at most once per invite.

`queue` (CreateInvitesFunction) puts one message per invite on the invite mail queue once the invites are
recorded; `handle_record` (SendInviteMailsFunction, SQS) sends it. The invite's `mail_status` moves
queued → sending before SES is called, in one conditional write: a message delivered twice (or queued twice
by a retried request) finds the mail no longer queued and sends nothing. Then:

* SES accepted it: `sent`.
* SES refused it (a rejected address, an unverified sender): `failed`, with SES's message.
* SES throttled it or failed inside (it did not send it): back to `queued`, and the message comes back later.
* SES did not answer (a read timeout: it may have sent it): it stays `sending`, with the error, and is not
  sent again. The SES client makes one attempt only (`panelist.core.aws`), so botocore does not retry it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from panelist.candidates import store
from panelist.candidates.store import ERASED
from panelist.core import aws, mail, queues, times
from panelist.core.errors import ConfigurationError, ServiceUnavailable
from panelist.core.observability import logger, metrics
from panelist.core.settings import get_settings
from panelist.models.campaigns import Invite, InviteStatus, MailStatus
from panelist.models.common import now

BATCH = 10  # SendMessageBatch's most entries
SES_NOT_SENT = {  # SES answered and did not send: safe to try again later
    "AccessDenied",  # the role lacks ses:SendEmail for this sender: kept until the template is fixed (or the DLQ)
    "AccessDeniedException",
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalServerError",
}
MIN_SECONDS_LEFT = 15  # a record is not started with less of the invocation left: claim, SES (7 s at most), record
RETRY_DELAY = (10, 60)  # seconds before a throttled mail's message comes back


def invite_url(base_url: str, token: str) -> str:
    return f"{base_url}/interview/{token}"


@dataclass(frozen=True)
class Letter:
    """What an invitation says besides the invite's own address, link and expiry."""

    base_url: str
    role: str
    minutes: int
    custom_message: str | None


def queue(organization_id: str, invites: Sequence[Invite], letter: Letter) -> None:
    """One message per invite on the invite mail queue; ServiceUnavailable if some could not be queued.

    The invites stay `queued`: the same request again queues them again, and each is still sent once. A
    denied SendMessage (the role lacks it) is raised as it is: the resolver answers it as a 500.
    """
    if not invites:
        return
    url = get_settings().invite_mail_queue_url
    if not url:
        raise ConfigurationError("PANELIST_INVITE_MAIL_QUEUE_URL is not set")
    sqs = aws.client("sqs")
    for start in range(0, len(invites), BATCH):
        entries = [
            {
                "Id": str(number),
                "MessageBody": json.dumps(
                    {
                        "organization_id": organization_id,
                        "invite_id": invite.id,
                        "base_url": letter.base_url,
                        "role": letter.role,
                        "minutes": letter.minutes,
                        "custom_message": letter.custom_message,
                    }
                ),
            }
            for number, invite in enumerate(invites[start : start + BATCH], start)
        ]
        for _ in range(2):  # a batch's failed entries are sent once more
            try:
                response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
                failed = {str(f["Id"]) for f in response.get("Failed", [])}
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("AccessDenied", "AccessDeniedException"):
                    raise  # a missing permission: the operator's error (a 500), not a moment's outage
                logger.exception("invite mail not queued", organization_id=organization_id)
                failed = {entry["Id"] for entry in entries}
            entries = [entry for entry in entries if entry["Id"] in failed]
            if not entries:
                break
        if entries:
            raise ServiceUnavailable(
                "The invites are recorded but their mail could not be queued; send the same request again"
            )


class MailPostponed(Exception):
    """SES did not take the mail now (throttled, or failed inside): the record fails and comes back later."""


def send(message: dict[str, Any]) -> MailStatus | None:
    """Send one queued invitation, at most once; the mail's status after, or None if it was not queued."""
    invite = store.claim_invite_mail(str(message["organization_id"]), str(message["invite_id"]))
    if invite is None:  # sent, being sent, failed, or never asked for: nothing to do (a repeated message)
        return None
    if invite.status is InviteStatus.revoked:
        store.finish_invite_mail(invite, MailStatus.failed, error="the invite was revoked before its mail was sent")
        return MailStatus.failed
    if invite.email == ERASED:
        store.finish_invite_mail(invite, MailStatus.failed, error="the address was erased before the mail was sent")
        return MailStatus.failed
    if invite.expires_at <= now():
        store.finish_invite_mail(invite, MailStatus.failed, error="the invite expired before its mail was sent")
        return MailStatus.failed
    try:
        mail.send(
            invite.email,
            f"Interview invitation: {message['role']}",
            "invite",
            role=message["role"],
            custom_message=message.get("custom_message"),
            url=invite_url(str(message["base_url"]), invite.token),
            minutes=message["minutes"],
            expires_at=times.readable_long(invite.expires_at),
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status_code = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if error.get("Code") in SES_NOT_SENT or status_code >= 500:
            logger.warning("SES did not take the invite's mail", invite_id=invite.id, error=error.get("Message"))
            store.finish_invite_mail(invite, MailStatus.queued, error=f"SES: {error.get('Code')}, trying again")
            raise MailPostponed(str(error.get("Code"))) from None
        reason = f"the email could not be sent: {error.get('Message') or error.get('Code') or 'SES error'}"
        store.finish_invite_mail(invite, MailStatus.failed, error=reason)
        return MailStatus.failed
    except (ConnectTimeoutError, EndpointConnectionError) as exc:  # never reached SES: not sent
        store.finish_invite_mail(invite, MailStatus.queued, error=f"SES not reached: {exc}, trying again")
        raise MailPostponed(str(exc)) from None
    except BotoCoreError as exc:  # SES may have sent it: never again
        logger.exception("SES did not answer: the invite's mail is not sent again", invite_id=invite.id)
        store.finish_invite_mail(invite, MailStatus.sending, error=f"SES did not answer ({exc}); not sent again")
        return MailStatus.sending
    store.finish_invite_mail(invite, MailStatus.sent, at=now())
    return MailStatus.sent


def _postpone(record: SQSRecord, seconds: int) -> None:
    queues.postpone(record, seconds, configured_url=get_settings().invite_mail_queue_url)


def handle_record(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    """The batch record handler of SendInviteMailsFunction: send, or fail the record (it comes back later)."""
    if lambda_context is not None and lambda_context.get_remaining_time_in_millis() < MIN_SECONDS_LEFT * 1000:
        _postpone(record, 1)
        raise MailPostponed("not started: the invocation is out of time")
    try:
        status = send(json.loads(record.body))
    except MailPostponed:
        metrics.add_metric(name="InviteMailPostponed", unit=MetricUnit.Count, value=1)
        _postpone(record, random.randint(*RETRY_DELAY))  # noqa: S311 - jitter, not secrets
        raise
    name = f"InviteMail{status.value.capitalize()}" if status else "InviteMailRepeated"
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
