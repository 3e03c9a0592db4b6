"""Resolve a custom origin's name through the endpoint's own Route 53, as CloudFront's resolver would.

A distribution whose origin is a name in one of the endpoint's public hosted zones (``api.<domain>``)
reaches what that name points to, per request:

- the record sets at the name (A, AAAA or CNAME; a CNAME first, as a resolver asks for it);
- weighted record sets (``SetIdentifier`` + ``Weight``): one is picked per request, with the
  probability of its weight over the sum (records of weight 0 never, unless every record has
  weight 0: then each equally, as Route 53 does);
- a CNAME's value or an alias's ``DNSName`` is followed (at most ``MAX_HOPS`` names), and a name
  that is an App Runner service's URL or an ECS Express service's load balancer is served by
  that service's loopback port (origins.py); an A record's address is used only if it is loopback.

Route 53 applies a change batch atomically: a reader never sees half of it. moto applies the
changes one by one, so ``route53_fixes`` makes ChangeResourceRecordSets hold ``LOCK`` and the
lookup here reads under the same lock. TTLs are not cached: every request resolves again (a
resolver that honours the TTL only delays a shift by at most the TTL).
"""

from __future__ import annotations

import random
import threading
from typing import Any

# Held by ChangeResourceRecordSets (extensions/route53_fixes.py) and by every lookup here.
LOCK = threading.RLock()
MAX_HOPS = 8
ADDRESS_TYPES = ("A", "AAAA")
_random = random.Random()  # noqa: S311 (picking a weighted record, not a secret)


def _zones() -> list[Any]:
    from moto.route53.models import route53_backends  # noqa: PLC0415

    out = []
    for account in list(route53_backends.keys()):
        for partition in list(route53_backends[account].keys()):
            out.extend(z for z in list(route53_backends[account][partition].zones.values()) if not z.private_zone)
    return out


def record_sets(name: str) -> list[Any]:
    """The record sets at ``name`` in the public zone that holds it most specifically (moto's RecordSet)."""
    fqdn = name.rstrip(".").lower() + "."
    with LOCK:
        zones = [z for z in _zones() if fqdn == z.name.lower() or fqdn.endswith("." + z.name.lower())]
        if not zones:
            return []
        zone = max(zones, key=lambda z: len(z.name))
        found = [r for r in list(zone.rrsets) if r.name.lower() == fqdn]
    cnames = [r for r in found if r.type == "CNAME"]
    return cnames or [r for r in found if r.type in ADDRESS_TYPES]


def pick(records: list[Any], rng: random.Random | None = None) -> Any | None:
    """One record set of ``records``: by weight when they are weighted, else the first."""
    if not records:
        return None
    weighted = [r for r in records if r.weight is not None]
    if not weighted:
        return records[0]
    weights = [max(int(r.weight), 0) for r in weighted]
    if sum(weights) == 0:
        weights = [1] * len(weighted)
    return (rng or _random).choices(weighted, weights=weights, k=1)[0]


def target(record: Any) -> str | None:
    """The name (or address) a record set sends a resolver to."""
    if record.alias_target:
        dns_name = str(record.alias_target.get("DNSName") or "").rstrip(".").lower()
        return dns_name.removeprefix("dualstack.") or None
    values = [v["Value"] if isinstance(v, dict) else v for v in record.records or []]
    return str(values[0]).rstrip(".").lower() if values else None


def next_name(name: str, rng: random.Random | None = None) -> str | None:
    """Where ``name`` leads in one hop: the target of the record set picked for this request."""
    chosen = pick(record_sets(name), rng)
    return target(chosen) if chosen is not None else None
