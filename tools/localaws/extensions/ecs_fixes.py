"""ECS fixes for the local endpoint (moto 5.2): clusters answered as AWS answers them.

* DescribeClusters / CreateCluster report ``capacityProviders`` and
  ``defaultCapacityProviderStrategy`` as empty lists when none are set (moto leaves both
  out; community.aws.ecs_cluster then fails with KeyError 'capacityProviders' on every run
  after the first).
* CreateService keeps ``deploymentConfiguration`` (moto drops it and answers without one
  until an UpdateService sets it); left out, the service gets AWS's defaults (100 / 200 %).
* UpdateService with ``taskDefinition`` as ``family:revision`` records the task definition's
  ARN, as AWS does (moto keeps the string given, so a describe answers ``family:revision``).
"""

from __future__ import annotations

from typing import Any

# What ECS fills in when CreateService has no deploymentConfiguration.
DEFAULT_DEPLOYMENT = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}


def register() -> None:
    """Patch moto's ECS Cluster and CreateService (idempotent)."""
    from moto.ecs.models import Cluster, EC2ContainerServiceBackend  # noqa: PLC0415
    from moto.ecs.responses import EC2ContainerServiceResponse  # noqa: PLC0415

    if getattr(Cluster, "_localaws_ecs_fixes", False):
        return
    original_init = Cluster.__init__

    def __init__(self: Cluster, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.capacity_providers is None:
            self.capacity_providers = []
        if self.default_capacity_provider_strategy is None:
            self.default_capacity_provider_strategy = []

    original_create_service = EC2ContainerServiceResponse.create_service

    def create_service(self: EC2ContainerServiceResponse) -> Any:
        result = original_create_service(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        service.deployment_configuration = {**DEFAULT_DEPLOYMENT, **(self._get_param("deploymentConfiguration") or {})}
        return result

    original_update_service = EC2ContainerServiceBackend.update_service

    def update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Any:
        wanted = service_properties.get("task_definition")
        service = original_update_service(self, service_properties)
        if wanted:
            service.task_definition = self.describe_task_definition(wanted).arn
        return service

    Cluster.__init__ = __init__  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]
    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]
    Cluster._localaws_ecs_fixes = True  # type: ignore[attr-defined]
