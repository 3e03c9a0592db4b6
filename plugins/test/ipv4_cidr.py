"""Jinja2 test ``invoice.platform.ipv4_cidr``: is a string an IPv4 network in CIDR notation?"""

from __future__ import annotations

import ipaddress
from typing import Any

DOCUMENTATION = r"""
name: ipv4_cidr
short_description: Whether a string is an IPv4 network in CIDR notation, as EC2 takes it
version_added: 1.0.0
description:
  - True for C(10.20.0.0/16); false for C(10.20.0.1/16) (host bits set), C(10.20.0.0)
    (no prefix length), IPv6 networks and anything else.
  - With C(min_prefix) / C(max_prefix), the prefix length must also be in that range (EC2
    takes /16 to /28 for VPCs and subnets).
options:
  _input:
    description: The CIDR.
    type: str
    required: true
  min_prefix:
    description: Smallest prefix length allowed.
    type: int
    default: 0
  max_prefix:
    description: Largest prefix length allowed.
    type: int
    default: 32
"""

EXAMPLES = r"""
- name: Check the VPC CIDR
  ansible.builtin.assert:
    that: network_vpc_cidr is invoice.platform.ipv4_cidr(16, 24)
"""

RETURN = r"""
_value:
  description: Whether the string is such a network.
  type: bool
"""


def ipv4_cidr(value: Any, min_prefix: int = 0, max_prefix: int = 32) -> bool:
    if not isinstance(value, str) or "/" not in value:
        return False
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return False
    return min_prefix <= network.prefixlen <= max_prefix


class TestModule:
    def tests(self) -> dict[str, Any]:
        return {"ipv4_cidr": ipv4_cidr}
