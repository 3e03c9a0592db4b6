"""Jinja2 test ``invoice.platform.loopback_url``: is a URL's host a loopback address?"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

DOCUMENTATION = r"""
name: loopback_url
short_description: Whether a URL points at this machine's loopback interface
version_added: 1.0.0
description:
  - True when the URL's host is an IP literal in C(127.0.0.0/8), C(::1) (also written
    C([::1]) in a URL), or the name C(localhost).
  - The host is parsed, not matched by prefix, so C(http://127.attacker.example) and
    C(http://127.0.0.1.nip.io) are not loopback. No name is resolved.
  - An empty string or a URL without a host is not loopback.
options:
  _input:
    description: The URL, such as C(http://127.0.0.1:4566).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse an endpoint that is not loopback
  ansible.builtin.assert:
    that: platform_aws_endpoint_url is invoice.platform.loopback_url
"""

RETURN = r"""
_value:
  description: Whether the URL's host is a loopback address.
  type: bool
"""


def is_loopback_host(host: str) -> bool:
    """``host`` (no brackets, no port) is ``localhost`` or a loopback IP literal."""
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        return address == ipaddress.IPv6Address("::1")
    return address in ipaddress.IPv4Network("127.0.0.0/8")


def loopback_url(url: Any) -> bool:
    if not isinstance(url, str) or not url:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        return False
    return is_loopback_host(host)


class TestModule:
    def tests(self) -> dict[str, Any]:
        return {"loopback_url": loopback_url}
