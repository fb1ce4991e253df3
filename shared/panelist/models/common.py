"""Base classes and the timestamp formats the three API surfaces use."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer

from panelist.core import times


def now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A UUIDv7: random, but sorting by creation time, so ids in sort keys list oldest first."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = millis << 80 | 0x7 << 76 | (rand >> 62 & 0xFFF) << 64 | 0b10 << 62 | rand & (1 << 62) - 1
    return str(uuid.UUID(int=value))


# InterviewRelay: 2024-10-20T10:00:00Z · billing: 2025-02-01T00:00:00.000Z · Xobin: 2025-10-09T16:51:14 (UTC)
Timestamp = Annotated[datetime, PlainSerializer(times.iso_seconds, return_type=str)]
TimestampMs = Annotated[datetime, PlainSerializer(times.iso_millis, return_type=str)]
NaiveUtcTimestamp = Annotated[datetime, PlainSerializer(times.naive_seconds, return_type=str)]


class Entity(BaseModel):
    """A stored domain entity; unknown attributes (keys, GSI attributes) are ignored on read."""

    model_config = ConfigDict(extra="ignore")


# Request and response models are built on first use (defer_build): a handler imports the modules of many it
# never validates, and building each at import is most of what the models cost a cold start.


class Input(BaseModel):
    """A request body: unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
