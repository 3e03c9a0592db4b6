"""Route 53 behaviour moto lacks that the local CloudFront's name resolution relies on.

- A change batch is atomic, as on Route 53: moto applies its changes one by one (a DELETE, then a
  CREATE), so ChangeResourceRecordSets runs under ``cloudfront.dns.LOCK``, the lock every lookup
  of a custom origin's name takes (tools/localaws/cloudfront/dns.py). A request through the local
  CloudFront during the change sees the records before it or after it, never a name with none.
"""

from __future__ import annotations

from typing import Any


def register() -> None:
    from moto.route53.models import Route53Backend  # noqa: PLC0415

    from tools.localaws.cloudfront.dns import LOCK  # noqa: PLC0415

    original = Route53Backend.change_resource_record_sets
    if getattr(original, "_atomic", False):
        return

    def change_resource_record_sets(self: Any, zoneid: str, change_list: list[dict[str, Any]]) -> None:
        with LOCK:
            original(self, zoneid, change_list)

    change_resource_record_sets._atomic = True  # type: ignore[attr-defined]
    Route53Backend.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]
