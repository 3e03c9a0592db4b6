"""Add ECS Express Mode (``tools/localaws/ecs_express``) to moto's ECS responses.

ECS is one JSON 1.1 service: the Express gateway operations arrive at moto's ECS endpoint
like CreateService does. moto dispatches an action to the method of
``EC2ContainerServiceResponse`` named after it, so the four operations are added as methods
of that class (moto's own ECS actions are untouched); their bodies skip moto's parser, which
fails with a 500 on a value of the wrong type, and are validated from the raw JSON. Every ECS request first settles the
Express services' timed transitions, so DescribeServices shows the deployments as the
Express backend left them.
"""

from __future__ import annotations

from typing import Any


def register() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse  # noqa: PLC0415

    from tools.localaws.ecs_express.models import ecsexpress_backends  # noqa: PLC0415
    from tools.localaws.ecs_express.responses import METHODS, OPERATIONS  # noqa: PLC0415
    from tools.localaws.extensions.backup_fixes import register_managed_policies  # noqa: PLC0415

    if getattr(EC2ContainerServiceResponse, "_localaws_ecs_express", False):
        return
    # The AWS managed policy of the infrastructure role an Express service names (roles/iam attaches it).
    register_managed_policies(("AmazonECSInfrastructureRoleforExpressGatewayServices",))
    for name, method in METHODS.items():
        setattr(EC2ContainerServiceResponse, name, method)
    original = EC2ContainerServiceResponse.call_action
    original_parse = EC2ContainerServiceResponse.parse_parameters

    def parse_parameters(self: EC2ContainerServiceResponse, request: Any) -> None:
        if self._get_action() in OPERATIONS:  # validated from the raw body (a bad value must not be a 500)
            self.params = {}
            return
        original_parse(self, request)

    def call_action(self: EC2ContainerServiceResponse) -> Any:
        backend = ecsexpress_backends[self.current_account][self.region]
        with backend.lock:
            backend.settle()
        return original(self)

    EC2ContainerServiceResponse.call_action = call_action  # type: ignore[method-assign]
    EC2ContainerServiceResponse.parse_parameters = parse_parameters  # type: ignore[method-assign]
    EC2ContainerServiceResponse._localaws_ecs_express = True  # type: ignore[attr-defined]
