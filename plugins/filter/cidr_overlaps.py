"""Jinja2 filter ``invoice.platform.cidr_overlaps``: which networks of a list overlap."""

from __future__ import annotations

import ipaddress
from itertools import combinations
from typing import Any

DOCUMENTATION = r"""
name: cidr_overlaps
short_description: The pairs of overlapping IPv4 networks in a list
version_added: 1.0.0
description:
  - Returns one C("A overlaps B") string for each pair of networks in the list that share
    addresses (EC2 refuses a subnet whose CIDR overlaps another one of the VPC).
  - Entries that are not IPv4 networks are ignored (check them with C(invoice.platform.ipv4_cidr)).
options:
  _input:
    description: The CIDRs.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse overlapping subnets
  ansible.builtin.assert:
    that: (network_public_subnet_cidrs + network_private_subnet_cidrs) | invoice.platform.cidr_overlaps | length == 0
"""

RETURN = r"""
_value:
  description: One string per overlapping pair, in list order.
  type: list
  elements: str
"""


def cidr_overlaps(cidrs: Any) -> list[str]:
    networks = []
    for cidr in cidrs or []:
        try:
            networks.append((str(cidr), ipaddress.IPv4Network(str(cidr), strict=False)))
        except ValueError:
            continue
    return [f"{a} overlaps {b}" for (a, net_a), (b, net_b) in combinations(networks, 2) if net_a.overlaps(net_b)]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"cidr_overlaps": cidr_overlaps}
