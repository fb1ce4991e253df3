"""Every way a moment is written: on the three API surfaces, in sort keys, and for people. All in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def iso_seconds(moment: datetime) -> str:
    """InterviewRelay: `2024-10-20T10:00:00Z`."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(moment: datetime) -> str:
    """Billing: `2025-02-01T00:00:00.000Z`."""
    moment = utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def naive_seconds(moment: datetime) -> str:
    """Xobin: `2025-10-09T16:51:14` (UTC, no offset)."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S")


def naive_micros(moment: datetime) -> str:
    """Xobin's share expiry: `2025-07-09T12:46:33.163639` (UTC, no offset, always six digits)."""
    return utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds")


def sortable(moment: datetime) -> str:
    """Sort keys: fixed width with microseconds (`2025-07-09T12:46:33.163639Z`), so text order is time order."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def month(moment: datetime) -> str:
    """A calendar month in keys: `2026-12`."""
    return utc(moment).strftime("%Y-%m")


def day(moment: datetime) -> str:
    """A calendar day for people: `20 Oct 2024`."""
    return utc(moment).strftime("%d %b %Y")


def readable(moment: datetime) -> str:
    """A moment for people: `20 Oct 2024, 10:00 UTC`."""
    return utc(moment).strftime("%d %b %Y, %H:%M UTC").lstrip("0")


def readable_long(moment: datetime) -> str:
    """A moment in a mail: `20 October 2024, 10:00 UTC`."""
    return utc(moment).strftime("%d %B %Y, %H:%M UTC")
