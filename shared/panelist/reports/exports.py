"""Handing a generated file over: in the response when it fits, else through the bucket and a presigned link.

A synchronous Lambda response is at most 6 MB (6,291,456 bytes) and a binary body travels base64-encoded
(4 bytes for every 3), so 4 MiB raw (5,592,408 bytes encoded) leaves room for the headers and the envelope.
Larger files go to `exports/` in the bucket, which its lifecycle rule empties after 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import Response

from panelist.core import aws
from panelist.core.settings import get_settings
from panelist.models.common import new_id

INLINE_LIMIT_BYTES = 4 * 1024 * 1024
EXPORT_LINK_SECONDS = 900


@dataclass(frozen=True)
class Download:
    """A file for the caller: its bytes (`content`), or a presigned URL to fetch it from (`location`)."""

    filename: str
    content_type: str
    content: bytes | None = None
    location: str | None = None

    @property
    def disposition(self) -> str:
        return f'attachment; filename="{self.filename}"'

    def response(self) -> Response[Any]:
        """The HTTP answer: the bytes with their type and file name, or a 302 to the stored copy."""
        if self.location:
            return Response(status_code=302, headers={"Location": self.location}, body="")
        return Response(
            status_code=200,
            content_type=self.content_type,
            body=self.content,
            headers={"Content-Disposition": self.disposition},
        )


def export_key(organization_id: str, session_id: str, filename: str) -> str:
    # A fresh folder per export: a link never serves another request's file.
    return f"exports/sessions/{organization_id}/{session_id}/{new_id()}/{filename}"


def deliver(organization_id: str, session_id: str, filename: str, content: bytes, content_type: str) -> Download:
    """`content` inline when it fits in a Lambda response, else stored under the session's exports and linked."""
    if len(content) <= INLINE_LIMIT_BYTES:
        return Download(filename, content_type, content=content)
    download = Download(filename, content_type)
    key = export_key(organization_id, session_id, filename)
    s3 = aws.client("s3")
    bucket = get_settings().bucket
    s3.put_object(
        Bucket=bucket, Key=key, Body=content, ContentType=content_type, ContentDisposition=download.disposition
    )
    location = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": key, "ResponseContentDisposition": download.disposition},
        ExpiresIn=EXPORT_LINK_SECONDS,
    )
    return Download(filename, content_type, location=str(location))
