"""ECS fixes for the local endpoint (moto 5.2): clusters answered as AWS answers them.

* DescribeClusters / CreateCluster report ``capacityProviders`` and
  ``defaultCapacityProviderStrategy`` as empty lists when none are set (moto leaves both
  out; community.aws.ecs_cluster then fails with KeyError 'capacityProviders' on every run
  after the first).
"""

from __future__ import annotations

from typing import Any


def register() -> None:
    """Patch moto's ECS Cluster (idempotent)."""
    from moto.ecs.models import Cluster  # noqa: PLC0415

    if getattr(Cluster, "_localaws_ecs_fixes", False):
        return
    original_init = Cluster.__init__

    def __init__(self: Cluster, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.capacity_providers is None:
            self.capacity_providers = []
        if self.default_capacity_provider_strategy is None:
            self.default_capacity_provider_strategy = []

    Cluster.__init__ = __init__  # type: ignore[method-assign]
    Cluster._localaws_ecs_fixes = True  # type: ignore[attr-defined]
