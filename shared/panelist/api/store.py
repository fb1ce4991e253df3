"""The only writer of the API's own items: rate-limit windows (`RATE#<bucket>` / `WINDOW#<epoch hour>`).

A bucket is an organization's id, `PLATFORM_ADMIN`, or a source IP's hash (`IP#...`, and `IP#...#PAGES` for
the pages behind links).
"""

from __future__ import annotations

import hashlib

from panelist.core.settings import get_settings
from panelist.core.storage import table


def ip_bucket(source_ip: str) -> str:
    """The bucket of a source IP: a hash of it (with the deployment's stage), never the address itself."""
    digest = hashlib.sha256(f"panelist:{get_settings().stage}:ratelimit:{source_ip}".encode()).hexdigest()
    return f"IP#{digest[:32]}"


def page_bucket(source_ip: str) -> str:
    """The bucket of a source IP's requests for pages behind links, apart from its API requests."""
    return f"{ip_bucket(source_ip)}#PAGES"


def count_in_window(bucket: str, window: int, expires: int) -> int:
    """Add one request to the bucket's window and return its new count: one atomic UpdateItem, no read."""
    item = table().update(
        f"RATE#{bucket}",
        f"WINDOW#{window}",
        "ADD #count :one SET #ttl = :ttl",
        names={"#count": "count", "#ttl": "ttl"},
        one=1,
        ttl=expires,
    )
    return int(item["count"])
