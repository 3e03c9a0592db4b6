"""Every place that decides "is this loopback" parses the host: no prefix match, no resolving."""

from __future__ import annotations

import pytest
from ansible_collections.invoice.platform.plugins.test.loopback_url import loopback_url

from tools.localaws.server import check_loopback

LOOPBACK = [
    "http://127.0.0.1:4566",
    "https://127.0.0.1",
    "http://127.255.1.2:4566",
    "http://localhost:4566",
    "http://LOCALHOST:4566/",
    "http://[::1]:4566",
]
NOT_LOOPBACK = [
    "http://127.attacker.example:4566",
    "http://127.0.0.1.nip.io:4566",
    "http://localhost.attacker.example:4566",
    "http://127.1:4566",  # short form: resolvers accept it, a URL's host check must not
    "http://0x7f000001:4566",
    "http://[::ffff:127.0.0.1]:4566",
    "http://192.0.2.10:4566",
    "http://user:pw@127.0.0.1:4566",
    "http://127.0.0.1:port",
    "ftp://127.0.0.1:4566",
    "127.0.0.1:4566",
    "",
]


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_urls_pass(url: str) -> None:
    assert loopback_url(url) is True


@pytest.mark.parametrize("url", NOT_LOOPBACK)
def test_other_urls_are_refused(url: str) -> None:
    assert loopback_url(url) is False


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_localaws_binds_to_loopback(host: str) -> None:
    check_loopback(host)


@pytest.mark.parametrize("host", ["127.0.0.1.nip.io", "127.attacker.example", "0.0.0.0", "::", "192.0.2.1", "127.1"])
def test_localaws_refuses_other_hosts(host: str) -> None:
    with pytest.raises(SystemExit, match="refusing to listen"):
        check_loopback(host)
