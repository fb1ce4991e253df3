"""The SSRF guard: every way of writing an inside address is refused, naming the field; DNS is pinned."""

import socket

import pytest

from panelist.core import net
from panelist.core.errors import BadRequest

PUBLIC_V4, PUBLIC_V6 = "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


def _answers(*addresses):
    """A getaddrinfo that resolves every name to `addresses` (none: the name does not resolve)."""

    def getaddrinfo(host, port, *args, **kwargs):
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    return getaddrinfo


@pytest.fixture(autouse=True)
def offline_dns(monkeypatch):
    """No test depends on the network: names do not resolve unless a test says otherwise."""
    monkeypatch.setattr(socket, "getaddrinfo", _answers())


REFUSED = {
    # IPv4 loopback in every notation
    "loopback": "http://127.0.0.1/hook",
    "loopback, other": "http://127.8.9.10:8080/hook",
    "decimal": "http://2130706433/",
    "hex": "http://0x7f000001/",
    "hex, dotted": "http://0x7f.0x0.0x0.0x1/",
    "octal": "http://0177.0.0.1/",
    "short": "http://127.1/",
    "short, three parts": "http://127.0.1/",
    "full-width digits": "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",
    "ideographic dots": "http://127。0。0。1/",
    "trailing dot": "http://127.0.0.1./",
    # IPv6 and IPv4 inside IPv6
    "IPv6 loopback": "http://[::1]/",
    "IPv6 loopback, long": "http://[0:0:0:0:0:0:0:1]:80/",
    "IPv4-mapped": "http://[::ffff:127.0.0.1]/",
    "IPv4-mapped, hex": "http://[::ffff:7f00:1]/",
    "IPv4-mapped, public": "http://[::ffff:8.8.8.8]/",
    "IPv4-compatible": "http://[::127.0.0.1]/",
    "NAT64 of private": "http://[64:ff9b::10.0.0.1]/",
    "6to4 of metadata": "http://[2002:a9fe:a9fe::1]/",
    "Teredo": "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    # private, shared, link-local, metadata
    "RFC 1918 10/8": "http://10.0.0.5/",
    "RFC 1918 172.16/12": "https://172.31.255.254/",
    "RFC 1918 192.168/16": "http://192.168.1.1/",
    "CGNAT": "http://100.64.0.1/",
    "ULA": "http://[fd12:3456:789a::1]/",
    "site-local": "http://[fec0::1]/",
    "link-local": "http://169.254.1.1/",
    "IPv6 link-local": "http://[fe80::1]/",
    "IPv6 link-local with zone": "http://[fe80::1%25eth0]/",
    "AWS metadata": "http://169.254.169.254/latest/meta-data/",
    "AWS metadata, decimal": "http://2852039166/latest/meta-data/",
    "AWS metadata IPv6": "http://[fd00:ec2::254]/latest/meta-data/",
    "ECS task metadata": "http://169.254.170.2/v2/credentials",
    "GCP metadata": "http://metadata.google.internal/computeMetadata/v1/",
    "GCP metadata, trailing dot": "http://metadata.google.internal./computeMetadata/v1/",
    # unspecified, multicast, reserved, broadcast, documentation
    "unspecified": "http://0.0.0.0/",
    "unspecified, short": "http://0/",
    "this network": "http://0.1.2.3/",
    "IPv6 unspecified": "http://[::]/",
    "multicast": "http://224.0.0.1/",
    "multicast, global scope": "http://224.0.1.1/",
    "IPv6 multicast": "http://[ff02::1]/",
    "IPv6 multicast, global scope": "http://[ff0e::1]/",
    "reserved": "http://240.0.0.1/",
    "broadcast": "http://255.255.255.255/",
    "documentation": "http://192.0.2.1/",
    "benchmarking": "http://198.18.0.1/",
    # local names
    "localhost": "http://localhost/",
    "localhost, upper case": "http://LOCALHOST:8000/",
    "localhost, trailing dot": "http://localhost./",
    "subdomain of localhost": "http://api.localhost/",
    "mDNS": "http://printer.local/",
    "internal": "http://db.internal/",
    "single label": "http://intranet/",
    # the URL itself
    "credentials": "https://user:pass@example.com/hook",
    "user only": "https://user@example.com/hook",
    "credentials before a public host": "http://127.0.0.1@example.com/",
    "ftp": "ftp://example.com/file",
    "file": "file:///etc/passwd",
    "gopher": "gopher://example.com:70/",
    "no scheme": "example.com/hook",
    "no host": "http:///hook",
    "backslash": "http://example.com\\@127.0.0.1/",
    "space": "http://example .com/",
    "newline": "http://example.com/\nHost: 127.0.0.1",
    "port zero": "http://example.com:0/",
    "port out of range": "http://example.com:70000/",
    "invalid IPv4": "http://256.1.1.1/",
    "invalid IPv6": "http://[::ffff:1.2.3]/",
    "percent-encoded host": "http://%31%32%37.0.0.1/",
    "public IP, hex": "http://0x5db8d70e/",
    "public IP, decimal": "http://1572394766/",
    "too long": "https://example.com/" + "a" * 3000,
}


@pytest.mark.parametrize("url", REFUSED.values(), ids=REFUSED.keys())
@pytest.mark.parametrize("resolve", [False, True])
def test_inside_and_malformed_urls_are_refused_with_a_400_naming_the_field(url, resolve):
    with pytest.raises(BadRequest) as caught:
        net.check_url(url, resolve=resolve)
    assert caught.value.status == 400
    assert caught.value.field == "notification_url"
    assert caught.value.message.startswith("notification_url ")
    assert caught.value.expected == "a public http(s) URL"


def test_the_caller_names_the_field():
    with pytest.raises(BadRequest) as caught:
        net.check_url("http://127.0.0.1/", resolve=False, field="callback_url")
    assert caught.value.field == "callback_url"
    assert caught.value.message == "callback_url points to a loopback address"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://0x7f000001/", "a loopback address"),
        ("http://[::ffff:169.254.169.254]/", "a cloud metadata address"),
        ("http://100.64.0.1/", "a private address"),
        ("http://[fe80::1]/", "a link-local address"),
        ("http://224.0.0.1/", "a multicast address"),
    ],
)
def test_the_message_says_what_the_address_is(url, reason):
    with pytest.raises(BadRequest, match=reason):
        net.check_url(url, resolve=False)


@pytest.mark.parametrize(
    "url",
    [
        f"http://{PUBLIC_V4}/hook",
        f"https://[{PUBLIC_V6}]:8443/hook?x=1",
        "https://[64:ff9b::808:808]/",  # NAT64 of a public address (IPv6-only networks)
        "https://your-webhook-url.com/api/webhook",  # the Xobin seed's example: does not resolve
        "HTTPS://Hooks.Example.COM./path",
        "https://bücher.example/hook",
    ],
)
def test_public_urls_and_names_that_do_not_resolve_yet_are_accepted_at_submission(url):
    assert net.check_url(url, resolve=False) == url


def test_a_name_that_resolves_at_submission_must_resolve_to_public_addresses(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _answers(PUBLIC_V4, PUBLIC_V6))
    assert net.check_url("https://hooks.example.com/x", resolve=False)
    monkeypatch.setattr(socket, "getaddrinfo", _answers(PUBLIC_V4, "10.1.2.3"))
    with pytest.raises(BadRequest, match="resolves to a private address"):
        net.check_url("https://hooks.example.com/x", resolve=False)


def test_a_name_that_does_not_resolve_is_refused_at_delivery():
    with pytest.raises(net.Unresolvable, match="does not resolve") as caught:
        net.check_url("https://your-webhook-url.com/api/webhook", resolve=True)
    assert caught.value.status == 400
    assert caught.value.field == "notification_url"


@pytest.mark.parametrize("inside", ["127.0.0.1", "10.0.0.8", "169.254.169.254", "::1", "::ffff:10.0.0.1", "fd00::5"])
def test_a_public_looking_name_resolving_inside_is_refused(monkeypatch, inside):
    monkeypatch.setattr(socket, "getaddrinfo", _answers(PUBLIC_V4, inside))
    with pytest.raises(BadRequest, match="resolves to"):
        net.check_url("https://hooks.example.com/x", resolve=True)
    with pytest.raises(BadRequest, match="resolves to"):
        net.pin("https://hooks.example.com/x")


def test_pin_keeps_the_vetted_addresses_and_the_host_for_the_request(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _answers(PUBLIC_V4, PUBLIC_V6, PUBLIC_V4))
    pinned = net.pin("https://Hooks.Example.com./a/b?c=d#frag")
    assert pinned.addresses == (PUBLIC_V4, PUBLIC_V6)
    assert (pinned.scheme, pinned.host, pinned.port, pinned.target) == ("https", "hooks.example.com", 443, "/a/b?c=d")
    assert net.pin("https://hooks.example.com/é?q=ü").target == "/%C3%A9?q=%C3%BC"
    assert net.pin(f"http://{PUBLIC_V4}:8080").addresses == (PUBLIC_V4,)
    assert net.pin(f"http://{PUBLIC_V4}:8080").target == "/"


def test_the_connection_goes_to_the_pinned_address_not_a_fresh_lookup(monkeypatch):
    """DNS rebinding: after vetting, the name resolves inside; the request must not follow it."""
    monkeypatch.setattr(socket, "getaddrinfo", _answers(PUBLIC_V4))
    pinned = net.pin("http://hooks.example.com:8080/x")
    monkeypatch.setattr(socket, "getaddrinfo", _answers("127.0.0.1"))
    dialed = []

    def create_connection(address, timeout=None, *args, **kwargs):
        dialed.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(net.TransportError, match="connection refused"):
        net.post(pinned, b"{}", {})
    assert dialed == [(PUBLIC_V4, 8080)]


def test_loopback_is_allowed_only_when_the_deployment_allows_it_and_only_loopback(monkeypatch):
    for url in ("http://127.0.0.1:9000/hook", "http://127.5.5.5/", "http://[::1]:9000/"):
        assert net.check_url(url, resolve=True, allow_loopback=True) == url
    monkeypatch.setattr(socket, "getaddrinfo", _answers("127.0.0.1", "::1"))
    assert net.pin("http://localhost:9000/", allow_loopback=True).addresses == ("127.0.0.1", "::1")
    for url in (
        "http://10.0.0.1/",
        "http://169.254.169.254/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://2130706433/",
        "http://metadata.google.internal/",
    ):
        with pytest.raises(BadRequest):
            net.check_url(url, resolve=False, allow_loopback=True)
    monkeypatch.setattr(socket, "getaddrinfo", _answers("127.0.0.1", "192.168.0.1"))
    with pytest.raises(BadRequest, match="private"):
        net.check_url("http://localhost/", resolve=True, allow_loopback=True)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0", "0.0.0.0"),  # noqa: S104 - an address read, not a bind
        ("1.2.3.4", "1.2.3.4"),
        ("4294967296", None),
        ("1.2.3.256", None),
        ("1.2.65536", None),
        ("08.1.1.1", None),
        ("1.2.3.4.5", None),
    ],
)
def test_legacy_ipv4_notation_is_read_as_inet_aton_reads_it(host, expected):
    address = net._legacy_ipv4(host)
    assert (str(address) if address else None) == expected


def test_the_whole_exchange_is_bounded_by_the_timeout(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _answers("127.0.0.1"))
    with socket.socket() as silent:  # accepts connections (in the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        pinned = net.pin(f"http://127.0.0.1:{silent.getsockname()[1]}/", allow_loopback=True)
        with pytest.raises(net.TransportError, match=r"no response within 0\.3 s"):
            net.post(pinned, b"{}", {}, timeout=0.3)


@pytest.mark.parametrize(
    ("head", "drop"),
    [
        (b"HTTP/1.1 200 OK\r\n", b"X"),  # the headers never end
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"1\r\nX\r\n"),  # a chunked body drips
    ],
    ids=["headers", "body"],
)
def test_a_receiver_that_drips_its_reply_is_cut_off_at_the_timeout(monkeypatch, head, drop):
    import threading
    import time

    monkeypatch.setattr(socket, "getaddrinfo", _answers("127.0.0.1"))
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def drip():  # a byte at a time, each well within any per-read timeout
        connection, _ = listener.accept()
        with connection:
            connection.sendall(head)
            while not stop.wait(0.05):
                try:
                    connection.sendall(drop)
                except OSError:
                    return

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        pinned = net.pin(f"http://127.0.0.1:{listener.getsockname()[1]}/", allow_loopback=True)
        started = time.monotonic()
        with pytest.raises(net.TransportError, match="no response within"):
            net.post(pinned, b"{}", {}, timeout=0.5)
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def _certificate(name):
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def test_https_goes_to_the_pinned_address_with_the_name_for_sni_host_and_certificate(monkeypatch, tmp_path):
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    cert, key = _certificate("hooks.example.com")
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    seen = {}
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server_context.sni_callback = lambda sock, name, context: seen.update(sni=name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen["host"] = self.headers["host"]
            seen["body"] = self.rfile.read(int(self.headers["content-length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        trusted = ssl.create_default_context(cadata=cert.decode())
        monkeypatch.setattr(net, "_tls", lambda: trusted)
        monkeypatch.setattr(socket, "getaddrinfo", _answers("127.0.0.1"))
        pinned = net.pin(f"https://hooks.example.com:{port}/hook", allow_loopback=True)
        assert net.post(pinned, b'{"a":1}', {"content-type": "application/json"}).status == 204
        assert seen == {"sni": "hooks.example.com", "host": f"hooks.example.com:{port}", "body": b'{"a":1}'}
        wrong = net.pin(f"https://other.example.com:{port}/hook", allow_loopback=True)
        with pytest.raises(net.TransportError, match="certificate"):
            net.post(wrong, b"{}", {})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
