"""What every HTML page must carry: a strict Content-Security-Policy its own inline code satisfies."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

_INLINE = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1>", re.S | re.I)
_NONCE = re.compile(r'\bnonce="([^"]+)"')


def directives(reply: Any) -> dict[str, list[str]]:
    """The page's policy, directive by directive (one Content-Security-Policy header)."""
    header = reply.headers["Content-Security-Policy"]
    parsed = {}
    for directive in filter(None, (d.strip() for d in header.split(";"))):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} twice in {header}"
        parsed[name] = sources
    return parsed


def _sha256(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def assert_strict_csp(reply: Any) -> dict[str, list[str]]:
    """Nothing but the page's own inline scripts and styles (by nonce or hash); no handler attributes."""
    policy = directives(reply)
    header = reply.headers["Content-Security-Policy"]
    assert policy["default-src"] == ["'none'"], header
    assert policy["frame-ancestors"] == ["'none'"], header
    assert policy["base-uri"] == ["'none'"], header
    assert policy["form-action"] == ["'self'"], header
    for loose in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:"):
        assert loose not in header, header
    body = reply.body
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", body, re.I), "an inline event handler would be blocked"
    for tag, attributes, content in _INLINE.findall(body):
        sources = policy.get("script-src" if tag.lower() == "script" else "style-src", [])
        nonce = _NONCE.search(attributes)
        if nonce:
            assert f"'nonce-{nonce[1]}'" in sources, f"<{tag}> with a nonce the policy does not name"
        else:
            assert _sha256(content) in sources, f"<{tag}> neither nonced nor hashed: {content[:60]}"
    if any(s.startswith("'nonce-") for s in policy.get("style-src", [])):
        assert not re.search(r"<[^>]+\sstyle\s*=", body, re.I), "a style attribute would not apply"
    return policy
