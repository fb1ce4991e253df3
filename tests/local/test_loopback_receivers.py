"""Loopback webhook receivers under the local runtime: allowed only on a loopback-bound server, never its own ports.

The runtime says so in the functions' environment (`local_environment`); panelist.core.net applies it to every
URL a tenant gives (webhook endpoints, notification URLs) when it is registered and again when it is called.
"""

import socket

import pytest

from panelist.core import net
from panelist.core.errors import BadRequest
from panelist.core.settings import get_settings
from panelist_local.runtime import is_loopback, local_environment

API, EMULATOR, RECEIVER = 8787, 45123, 9000


@pytest.fixture
def serving_on(monkeypatch):
    """Apply the environment the runtime gives its functions when bound to `host`."""

    def apply(host: str) -> None:
        own_ports = {API, EMULATOR} if is_loopback(host) else None
        for name, value in local_environment({}, {}, own_ports).items():
            if name.startswith("PANELIST_"):
                monkeypatch.setenv(name, value or "")
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()


def _resolving_to(monkeypatch, *addresses: str) -> None:
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


LOOPBACK = ["127.0.0.1", "localhost", "::1", "127.0.0.2"]
ELSEWHERE = ["0.0.0.0", "", "192.168.1.10", "::", "my-laptop"]  # noqa: S104 - the addresses under test


@pytest.mark.parametrize(("host", "loopback"), [(h, True) for h in LOOPBACK] + [(h, False) for h in ELSEWHERE])
def test_only_a_loopback_address_counts_as_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:{API}/_panelist/schedules/MonthlyCreditsReset",
        f"http://127.0.0.1:{EMULATOR}/",
        f"http://127.9.9.9:{API}/_panelist/mail",
        f"http://localhost:{API}/api/sessions",
        f"http://app.localhost:{EMULATOR}/",
        f"http://[::1]:{API}/",
    ],
)
def test_a_url_to_the_runtime_itself_is_refused_when_registered_and_when_called(serving_on, url):
    serving_on("127.0.0.1")
    settings = get_settings()
    for check in (
        lambda: net.check_url(url, resolve=False, allow_loopback=settings.allow_loopback_webhooks, field="url"),
        lambda: net.pin(url, allow_loopback=settings.allow_loopback_webhooks, field="url"),  # what delivery does
    ):
        with pytest.raises(BadRequest, match="of the local runtime itself") as refused:
            check()
        assert refused.value.field == "url"


def test_a_name_resolving_to_loopback_is_refused_on_the_runtimes_ports_too(serving_on, monkeypatch):
    serving_on("127.0.0.1")
    _resolving_to(monkeypatch, "127.0.0.1")
    with pytest.raises(BadRequest, match=f"port {API} of the local runtime itself"):
        net.pin(f"http://rebound.example.com:{API}/x", allow_loopback=True, field="notification_url")
    assert net.pin(f"http://rebound.example.com:{RECEIVER}/x", allow_loopback=True).addresses == ("127.0.0.1",)


def test_a_receiver_on_another_loopback_port_is_allowed_while_served_on_loopback(serving_on):
    serving_on("127.0.0.1")
    assert get_settings().allow_loopback_webhooks
    for url in (f"http://127.0.0.1:{RECEIVER}/hook", f"http://[::1]:{RECEIVER}/hook", "http://127.0.0.1/hook"):
        assert net.pin(url, allow_loopback=True).url == url


def test_served_on_all_interfaces_no_loopback_receiver_is_allowed(serving_on):
    serving_on("0.0.0.0")  # noqa: S104 - the case under test
    settings = get_settings()
    assert not settings.allow_loopback_webhooks
    for url in (f"http://127.0.0.1:{RECEIVER}/hook", f"http://localhost:{RECEIVER}/hook", f"http://[::1]:{RECEIVER}/"):
        with pytest.raises(BadRequest, match=r"loopback|local host name"):
            net.check_url(url, resolve=False, allow_loopback=settings.allow_loopback_webhooks, field="url")
