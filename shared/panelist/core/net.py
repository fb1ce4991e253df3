"""Outbound HTTP to URLs that callers supply, guarded against server-side request forgery (SSRF).

`check_url` refuses any URL that could reach inside: other schemes, credentials, loopback, private,
link-local, metadata, multicast and reserved addresses in every notation (IPv4 in decimal, hex, octal
or short form; IPv6, IPv4-mapped, IPv4-compatible, NAT64 and 6to4), local names, and names that
resolve to any such address. Where loopback receivers are allowed (`panelist serve` on a loopback
address), a loopback URL is still refused on a port the local runtime itself listens on (settings
`refused_loopback_ports`): a receiver there would be the runtime's own API or emulator.

`pin` also returns the vetted addresses and `post` connects to exactly one of them, sending the URL's
host name in the Host header and for TLS (SNI and certificate check): a name that resolves to something
else by the time of the request (DNS rebinding) is never reached.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, urlsplit

from panelist.core.errors import BadRequest
from panelist.core.settings import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

EXPECTED = "a public http(s) URL"
MAX_URL_LENGTH = 2048
SCHEMES = {"http": 80, "https": 443}

# Names that are local by definition, whatever a resolver says (single-label names are refused too).
_LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa", ".metadata.goog")
_LOCAL_NAMES = frozenset({"localhost", "metadata.goog"})
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "169.254.170.23", "fd00:ec2::254", "fd00:ec2::23", "100.100.100.200")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible IPv6
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052)
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?")
_NUMERIC = re.compile(r"0x[0-9a-f]*|[0-9]+")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"  # kept as written; anything else (non-ASCII) is percent-encoded


class Unresolvable(BadRequest):
    """The host name has no address (now): refused when the URL is used, maybe not for ever."""


class TransportError(Exception):
    """The request did not get a response: refused connection, timeout, TLS failure, broken reply."""


@dataclass(frozen=True)
class Parsed:
    scheme: str
    host: str  # lower-case ASCII (IDNA) name, or the canonical form of an IP address
    port: int
    target: str  # path and query, as sent in the request line
    address: IPAddress | None  # when the host is an IP address


@dataclass(frozen=True)
class Pinned:
    """A vetted URL and the addresses its host had when it was vetted: connect to these only."""

    url: str
    scheme: str
    host: str
    port: int
    target: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Response:
    status: int
    retry_after: int | None  # seconds, from a numeric Retry-After header


def _refuse(field: str, reason: str) -> BadRequest:
    return BadRequest(f"{field} {reason}", field=field, expected=EXPECTED)


# ------------------------------------------------------------------ addresses


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address the way inet_aton (and so many HTTP clients) reads it: 127.1, 0x7f.1, 0177.0.0.1, 2130706433."""
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers: list[int] = []
    for part in parts:
        if part.startswith("0x"):
            digits, base = part[2:] or "0", 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        try:
            numbers.append(int(digits, base))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def refusal(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why a connection to `address` is not allowed (None: it is a public unicast address)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and (address in _COMPATIBLE or address in _NAT64) and int(address) > 1:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            if reason := refusal(embedded):
                return f"{reason} ({embedded} within {address})"
            if address.ipv4_mapped or address in _COMPATIBLE:
                return "an IPv4 address written as IPv6"
            if address in _NAT64:
                return None
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved or address == ipaddress.IPv4Address("255.255.255.255"):
        return "a reserved address"
    if address.is_private or address in _SHARED or getattr(address, "is_site_local", False):
        return "a private address"
    if not address.is_global:
        return "not a globally reachable address"
    return None


def _own_port(field: str, port: int) -> None:
    """Refuse a loopback `port` the local runtime itself listens on (only asked where loopback is allowed)."""
    if port in get_settings().refused_loopback_ports:
        raise _refuse(field, f"points to port {port} of the local runtime itself")


# ------------------------------------------------------------------ URLs


def parse(url: str, *, field: str = "notification_url", allow_loopback: bool = False) -> Parsed:
    """Every check that needs no DNS: scheme, credentials, host syntax, IP literals and local names."""
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(field, f"is longer than {MAX_URL_LENGTH} characters")
    if _UNSAFE.search(url):
        raise _refuse(field, "must not contain spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse(field, "is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _refuse(field, "must use http or https")
    if "@" in parts.netloc:
        raise _refuse(field, "must not contain credentials")
    host = parts.hostname or ""
    if not host:
        raise _refuse(field, "has no host")
    if port == 0:
        raise _refuse(field, "has an invalid port")
    if "%" in host:
        raise _refuse(field, "has an invalid host")
    address: IPAddress | None = None
    if parts.netloc.startswith("["):
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            raise _refuse(field, "has an invalid IP address") from None
    else:
        try:  # IDNA, which also folds look-alikes such as full-width digits to ASCII
            host = host.removesuffix(".").encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise _refuse(field, "has an invalid host name") from None
        labels = host.split(".")
        if _NUMERIC.fullmatch(labels[-1]):
            address = _legacy_ipv4(host)
            if address is None:
                raise _refuse(field, "has an invalid IP address")
            if str(address) != host and refusal(address, allow_loopback=allow_loopback) is None:
                raise _refuse(field, f"must write the IP address {address} in dotted-decimal form")
        elif len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
            raise _refuse(field, "has an invalid host name")
    port = port or SCHEMES[scheme]
    if address is not None:
        if (reason := refusal(address, allow_loopback=allow_loopback)) is not None:
            raise _refuse(field, f"points to {reason}")
        if address.is_loopback:
            _own_port(field, port)
        host = str(address)
    else:
        loopback_name = host == "localhost" or host.endswith(".localhost")
        if allow_loopback and loopback_name:
            _own_port(field, port)
        else:
            if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES):
                raise _refuse(field, "points to a local host name")
            if "." not in host:
                raise _refuse(field, "must name a fully qualified host")
    target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_TARGET_SAFE)
    return Parsed(scheme, host, port, target, address)


def _resolve(host: str, port: int) -> list[IPAddress] | None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses or None


def _vet(addresses: list[IPAddress], field: str, allow_loopback: bool, port: int) -> None:
    for address in addresses:
        if (reason := refusal(address, allow_loopback=allow_loopback)) is not None:
            raise _refuse(field, f"resolves to {reason}")
        if address.is_loopback:
            _own_port(field, port)


def pin(url: str, *, allow_loopback: bool = False, field: str = "notification_url") -> Pinned:
    """Vet `url` now, resolving its host: every address must be allowed; these are the ones to connect to."""
    parsed = parse(url, field=field, allow_loopback=allow_loopback)
    if parsed.address is not None:
        addresses = [parsed.address]
    elif (resolved := _resolve(parsed.host, parsed.port)) is None:
        raise Unresolvable(f"{field} has a host name that does not resolve", field=field, expected=EXPECTED)
    else:
        addresses = resolved
    _vet(addresses, field, allow_loopback, parsed.port)
    return Pinned(url, parsed.scheme, parsed.host, parsed.port, parsed.target, tuple(map(str, addresses)))


def check_url(url: str, *, resolve: bool, allow_loopback: bool = False, field: str = "notification_url") -> str:
    """`url` if it may be called; BadRequest naming `field` otherwise.

    With `resolve`, the host must resolve and every address be allowed (use `pin` to keep them).
    Without, a name that does not resolve (yet) is accepted; one that does must resolve to allowed
    addresses only.
    """
    if resolve:
        pin(url, allow_loopback=allow_loopback, field=field)
        return url
    parsed = parse(url, field=field, allow_loopback=allow_loopback)
    if parsed.address is None:
        _vet(_resolve(parsed.host, parsed.port) or [], field, allow_loopback, parsed.port)
    return url


# ------------------------------------------------------------------ requests


@cache
def _tls() -> ssl.SSLContext:
    """Built on first use: loading the CA bundle costs every handler's cold start ~25 ms otherwise."""
    return ssl.create_default_context()


def _dial(addresses: tuple[str, ...], port: int, connect_timeout: float, deadline: float) -> socket.socket:
    error: OSError = TimeoutError("timed out")
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            sock = socket.create_connection((address, port), timeout=min(connect_timeout, remaining))
        except OSError as exc:
            error = exc
            continue
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        return sock
    raise error


class _Connection(http.client.HTTPConnection):
    def __init__(self, pinned: Pinned, connect_timeout: float, deadline: float) -> None:
        super().__init__(pinned.host, pinned.port)
        self._addresses, self._connect_timeout, self._deadline = pinned.addresses, connect_timeout, deadline

    def connect(self) -> None:
        self.sock = _dial(self._addresses, self.port, self._connect_timeout, self._deadline)


class _TLSConnection(_Connection):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        self.sock = _tls().wrap_socket(self.sock, server_hostname=self.host)


def _abort(connection: _Connection, aborted: threading.Event) -> None:
    aborted.set()
    if connection.sock is not None:  # socket.socket's shutdown, also for an SSLSocket: leaves TLS state alone
        with contextlib.suppress(OSError):
            socket.socket.shutdown(connection.sock, socket.SHUT_RDWR)


def post(
    pinned: Pinned,
    body: bytes,
    headers: Mapping[str, str],
    *,
    connect_timeout: float = 3.0,
    timeout: float = 10.0,
) -> Response:
    """POST `body` to the pinned address; the response, whatever its status (redirects are not followed).

    `timeout` bounds the whole exchange; TransportError if there is no complete response by then.
    """
    started = time.monotonic()
    cls = _TLSConnection if pinned.scheme == "https" else _Connection
    connection = cls(pinned, connect_timeout, started + timeout)
    aborted = threading.Event()  # a reply cut short at the deadline can look complete: never trust one
    timer = threading.Timer(timeout, _abort, (connection, aborted))
    timer.daemon = True
    timer.start()
    try:
        connection.request("POST", pinned.target, body=body, headers={**headers, "connection": "close"})
        response = connection.getresponse()
        retry_after = response.getheader("retry-after", "")
        response.read(64 * 1024)  # let the receiver finish; the body itself is not used
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if aborted.is_set() or time.monotonic() - started >= timeout:
            raise TransportError(f"no response within {timeout:g} s") from None
        raise TransportError(_describe(exc)) from None
    finally:
        timer.cancel()
        connection.close()
    if aborted.is_set():
        raise TransportError(f"no response within {timeout:g} s")
    return Response(response.status, int(retry_after) if retry_after.isdigit() else None)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not valid: {exc.verify_message}"
    return f"{type(exc).__name__}: {exc}"[:300]
