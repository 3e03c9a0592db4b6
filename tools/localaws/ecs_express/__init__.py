"""ECS Express Mode for the local endpoint, written with moto's backend framework.

moto's ECS has none of the Express gateway operations. ``extensions/ecs_express.py`` adds
CreateExpressGatewayService, UpdateExpressGatewayService, DescribeExpressGatewayService and
DeleteExpressGatewayService to moto's ECS responses (``EC2ContainerServiceResponse``); the
state lives in ``ecsexpress_backends`` (a moto ``BackendDict``, reset with every other
service), and what AWS creates for an Express service is created in moto's own ECS, ELBv2,
EC2, Application Auto Scaling, ACM and CloudWatch Logs backends, so their describes see it.
"""

from tools.localaws.ecs_express.models import ecsexpress_backends

__all__ = ["ecsexpress_backends"]
