"""ECS Express Mode state, kept per account and region by moto's ``BackendDict``.

An Express service is an ECS service plus the infrastructure ECS manages for it. Creating
one creates, in moto's own backends: the cluster ``default`` when no cluster is named, a
task definition (container ``Main``), the ECS service (FARGATE, behind the target group),
two security groups (the load balancer's, 443 from anywhere; the tasks', the container port
from the load balancer's), an ACM certificate for the service's endpoint name, an
Application Load Balancer with an HTTPS:443 listener, a host-header rule and a target group,
the Application Auto Scaling scalable target and target-tracking policy, and the CloudWatch
log group.

States move the way the ECS API reference documents them, computed from timestamps when a
request arrives (no threads; ``LOCALAWS_ECS_EXPRESS_DELAY`` seconds a phase, read when the
deployment starts):

* The service's ``status.statusCode`` is ``ACTIVE`` from creation; DeleteExpressGatewayService
  makes it ``DRAINING`` (tasks drain for one delay), then ``INACTIVE`` (the managed
  infrastructure is removed, the ECS service is ``INACTIVE``; the log group is kept).
* Each create or update is a deployment (``currentDeployment``, an ECS service-deployment
  ARN) shown as the ECS service's ``deployments``: ``rolloutState`` ``IN_PROGRESS``, then
  ``COMPLETED``. An update is a canary: the new revision's tasks start beside the old ones and
  ``activeConfigurations`` holds both; once healthy it gets 5% of the traffic for one delay,
  then all of it, and the old revision goes. New tasks that fail their health check roll the
  deployment back: its ``rolloutState`` is ``FAILED``, the old revision's deployment is
  ``PRIMARY`` again and keeps serving.

Served locally (``LOCALAWS_ECS_EXPRESS_COMMAND``, else ``LOCALAWS_APPRUNNER_COMMAND``): each
revision runs as a process of that command (the App Runner runner: the image's files from the
local ECR, its environment and secrets resolved), health-checked with an HTTP GET of the
health check path (200 is healthy, as the target group's matcher), and the service answers on
one stable loopback port for its life: its ingress endpoint is ``127.0.0.1:<port>``.
"""

from __future__ import annotations

import copy
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.moto_api._internal import mock_random

from tools.localaws.apprunner import runner
from tools.localaws.compute import utils as compute
from tools.localaws.ecs_express.constants import (
    CANARY_PERCENT,
    COMMAND_ENV,
    CONTAINER_NAME,
    DEFAULT_ARCHITECTURE,
    DEFAULT_CLUSTER,
    DEFAULT_CPU,
    DEFAULT_DELAY,
    DEFAULT_HEALTH_CHECK_PATH,
    DEFAULT_MAX_TASKS,
    DEFAULT_MEMORY,
    DEFAULT_METRIC,
    DEFAULT_MIN_TASKS,
    DEFAULT_PORT,
    DEFAULT_TARGET_VALUE,
    DELAY_ENV,
    FARGATE_SIZES,
    HEALTHY_CODES,
    LOG_STREAM_PREFIX,
    MAX_TASKS,
    PREDEFINED_METRICS,
    SCALABLE_DIMENSION,
    SERVICE_NAME_MAX,
)
from tools.localaws.ecs_express.exceptions import (
    ClientException,
    ClusterNotFoundException,
    InvalidParameterException,
    ResourceNotFoundException,
    ServiceNotActiveException,
    ServiceNotFoundException,
)

SERVICE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
# Members of CreateExpressGatewayService a customer-provided task definition replaces.
TASK_DEFINITION_MEMBERS = ("primaryContainer", "executionRoleArn", "taskRoleArn", "cpu", "memory", "cpuArchitecture")


def deployment_delay() -> float:
    """Seconds a deployment phase lasts (``LOCALAWS_ECS_EXPRESS_DELAY``, default 2)."""
    raw = os.environ.get(DELAY_ENV, str(DEFAULT_DELAY))
    try:
        return max(float(raw), 0.0)
    except ValueError as exc:
        raise ValueError(f"{DELAY_ENV} must be a number of seconds, got {raw!r}") from exc


def configured_command() -> str | None:
    command = os.environ.get(COMMAND_ENV, "").strip() or runner.configured_command()
    return command or None


def utcnow() -> datetime:
    return datetime.now(UTC)


_locked = compute.locked


class ServedProcess(runner.AppProcess):
    """A revision's local process, health-checked the way its target group checks it."""

    def http_health(self, path: str) -> str:
        """``up`` (GET ``path`` answers 200), ``starting`` (not listening yet), ``unhealthy`` or ``dead``."""
        if not self.alive():
            return "dead"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as response:  # nosec B310
                return "up" if response.status in HEALTHY_CODES else "unhealthy"
        except urllib.error.HTTPError:
            return "unhealthy"
        except OSError:
            return "starting"


class Revision:
    """One configuration of the service (ExpressGatewayServiceConfiguration) and its task definition."""

    def __init__(self, service: ExpressService, config: dict[str, Any]) -> None:
        self.id = mock_random.get_random_hex(32)
        self.arn = f"{service.arn.replace(':service/', ':service-revision/')}/{self.id}"
        self.config = config
        self.created_at = utcnow()
        self.process: ServedProcess | None = None

    def describe(self, service: ExpressService) -> dict[str, Any]:
        out = {"serviceRevisionArn": self.arn, **copy.deepcopy(self.config), "createdAt": self.created_at}
        out["ingressPaths"] = [{"accessType": "PUBLIC", "endpoint": service.endpoint_name}]
        return out


class Deployment:
    """One rollout of a revision: the ECS service deployment that follows it."""

    def __init__(self, service: ExpressService, target: Revision, source: Revision | None) -> None:
        self.id = mock_random.get_random_hex(24)
        self.arn = f"{service.arn.replace(':service/', ':service-deployment/')}/{self.id}"
        self.ecs_id = f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"
        self.target = target
        self.source = source
        self.started = time.time()
        self.delay = deployment_delay()
        self.created_at = utcnow()
        self.updated_at = self.created_at
        self.state = "IN_PROGRESS"  # COMPLETED, FAILED (rolled back), STOPPED (superseded)
        self.reason = f"ECS deployment {self.ecs_id} in progress."

    def finish(self, state: str, reason: str) -> None:
        self.state, self.reason, self.updated_at = state, reason, utcnow()


class ExpressService:
    def __init__(self, backend: ECSExpressBackend, name: str, cluster: Any, params: dict[str, Any]) -> None:
        self.name = name
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.arn = f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:service/{cluster.name}/{name}"
        self.infrastructure_role_arn = params["infrastructureRoleArn"]
        self.tags = list(params.get("tags") or [])
        self.created_at = self.updated_at = utcnow()
        self.status = "ACTIVE"
        self.status_reason: str | None = None
        self.drained_at: float | None = None
        slug = name.lower().replace("_", "-")
        self.short = mock_random.get_random_hex(8)
        self.label = f"{slug[:40].strip('-')}-{self.short}"
        self.dns_name = f"{self.label}.ecs.{backend.region_name}.on.aws"
        # ELBv2 names: at most 32 characters, letters, digits and hyphens
        self.lb_name = f"ecsx-{slug[:14].strip('-')}-{self.short}"
        self.tg_name = f"ecsx-tg-{slug[:10].strip('-')}-{self.short}"
        self.endpoint: runner.StableEndpoint | None = None
        self.active: Revision | None = None  # the revision serving all the traffic
        self.deployment: Deployment | None = None  # the latest deployment
        self.deployments: list[Deployment] = []
        self.resources: dict[str, Any] = {}  # ARNs and ids of the managed infrastructure
        self.launches = 0

    @property
    def endpoint_name(self) -> str:
        return f"127.0.0.1:{self.endpoint.port}" if self.endpoint is not None else self.dns_name

    def active_revisions(self) -> list[Revision]:
        revisions = [self.active] if self.active is not None else []
        if self.deployment and self.deployment.state == "IN_PROGRESS" and self.deployment.target is not self.active:
            revisions.insert(0, self.deployment.target)
        return revisions

    def status_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"statusCode": self.status}
        if self.status_reason:
            out["statusReason"] = self.status_reason
        return out

    def describe(self, include_tags: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cluster": self.cluster_arn,
            "serviceName": self.name,
            "serviceArn": self.arn,
            "infrastructureRoleArn": self.infrastructure_role_arn,
            "status": self.status_dict(),
            "activeConfigurations": [r.describe(self) for r in self.active_revisions()],
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }
        if self.deployment is not None:
            out["currentDeployment"] = self.deployment.arn
        if include_tags:
            out["tags"] = copy.deepcopy(self.tags)
        return out

    def stop_processes(self, *, close: bool = False) -> None:
        """Stop serving; ``close`` also gives up the service's port (deletion, reset)."""
        self.endpoint = runner.release(self.endpoint, close=close)
        for deployment in self.deployments:
            for revision in (deployment.target, deployment.source):
                if revision is not None and revision.process is not None:
                    revision.process.stop()
                    revision.process = None


class ECSExpressBackend(BaseBackend):
    """ECS Express Mode for one account and region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.lock = threading.RLock()
        self.services: dict[str, ExpressService] = {}

    def reset(self) -> None:
        for service in self.services.values():
            service.stop_processes(close=True)
        super().reset()

    # -- moto's other backends -----------------------------------------------------------------

    def _backend(self, name: str) -> Any:
        module = __import__(f"moto.{name}.models", fromlist=[f"{name}_backends"])
        return getattr(module, f"{name}_backends")[self.account_id][self.region_name]

    @property
    def ecs(self) -> Any:
        return self._backend("ecs")

    @property
    def ec2(self) -> Any:
        return self._backend("ec2")

    @property
    def elbv2(self) -> Any:
        return self._backend("elbv2")

    # -- validation ----------------------------------------------------------------------------

    def _cluster(self, name_or_arn: str | None) -> Any:
        """The named cluster; None for the default cluster while it does not exist (created with the service)."""
        from moto.ecs.exceptions import ClusterNotFoundException as MotoClusterNotFound  # noqa: PLC0415

        if not name_or_arn or name_or_arn in (DEFAULT_CLUSTER, self._cluster_arn(DEFAULT_CLUSTER)):
            return self.ecs.clusters.get(DEFAULT_CLUSTER)
        try:
            return self.ecs._get_cluster(name_or_arn)
        except MotoClusterNotFound as exc:
            raise ClusterNotFoundException from exc

    def _cluster_arn(self, name: str) -> str:
        return f"arn:aws:ecs:{self.region_name}:{self.account_id}:cluster/{name}"

    @staticmethod
    def _check_sizes(cpu: str, memory: str) -> None:
        if cpu not in FARGATE_SIZES or not memory.isdigit() or int(memory) not in FARGATE_SIZES[cpu]:
            raise ClientException(
                f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
                "See the Amazon ECS documentation for the valid values."
            )

    @staticmethod
    def _check_scaling(scaling: dict[str, Any]) -> None:
        low, high = scaling["minTaskCount"], scaling["maxTaskCount"]
        if not 0 <= low <= MAX_TASKS or not 1 <= high <= MAX_TASKS:
            raise InvalidParameterException(
                f"scalingTarget: minTaskCount must be between 0 and {MAX_TASKS} and maxTaskCount between 1 and "
                f"{MAX_TASKS} (got {low} and {high})."
            )
        if low > high:
            raise InvalidParameterException(
                f"scalingTarget: minTaskCount ({low}) must be less than or equal to maxTaskCount ({high})."
            )
        value = scaling["autoScalingTargetValue"]
        if value <= 0:
            raise InvalidParameterException(
                f"scalingTarget: autoScalingTargetValue must be greater than 0 (got {value})."
            )

    def _check_network(self, network: dict[str, Any]) -> None:
        from moto.ec2.exceptions import InvalidSecurityGroupNotFoundError, InvalidSubnetIdError  # noqa: PLC0415

        try:
            if network.get("subnets"):
                self.ec2.describe_subnets(subnet_ids=network["subnets"])
        except InvalidSubnetIdError as exc:
            raise InvalidParameterException(f"networkConfiguration.subnets: {exc.message}") from exc
        try:
            if network.get("securityGroups"):
                self.ec2.describe_security_groups(group_ids=network["securityGroups"])
        except InvalidSecurityGroupNotFoundError as exc:
            raise InvalidParameterException(f"networkConfiguration.securityGroups: {exc.message}") from exc

    def _resolve_config(self, given: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        """A revision's configuration: ``given`` members over ``current`` (or the defaults), checked."""
        config = copy.deepcopy(current) if current else {}
        if given.get("taskDefinitionArn"):
            both = [m for m in TASK_DEFINITION_MEMBERS if given.get(m) is not None]
            if both:
                raise InvalidParameterException(
                    f"taskDefinitionArn can't be specified together with {', '.join(both)}."
                )
            return self._from_task_definition(given, config)
        if current is None and not given.get("primaryContainer"):
            raise InvalidParameterException("Either primaryContainer or taskDefinitionArn must be specified.")
        if given.get("executionRoleArn") is None and not config.get("executionRoleArn"):
            raise InvalidParameterException("executionRoleArn is required unless taskDefinitionArn is specified.")
        for member in ("executionRoleArn", "taskRoleArn", "cpu", "memory", "cpuArchitecture", "healthCheckPath"):
            if given.get(member) is not None:
                config[member] = given[member]
        config.setdefault("cpu", DEFAULT_CPU)
        config.setdefault("memory", DEFAULT_MEMORY)
        config.setdefault("cpuArchitecture", DEFAULT_ARCHITECTURE)
        config.setdefault("healthCheckPath", DEFAULT_HEALTH_CHECK_PATH)
        self._check_sizes(config["cpu"], config["memory"])
        if not config["healthCheckPath"].startswith("/"):
            raise InvalidParameterException(
                f"healthCheckPath must start with a forward slash (/), got '{config['healthCheckPath']}'."
            )
        container = copy.deepcopy(config.get("primaryContainer") or {})
        container.update(copy.deepcopy(given.get("primaryContainer") or {}))
        container.setdefault("containerPort", DEFAULT_PORT)
        if not 1 <= int(container["containerPort"]) <= 65535:
            raise InvalidParameterException(
                f"primaryContainer.containerPort must be between 1 and 65535, got {container['containerPort']}."
            )
        config["primaryContainer"] = container
        config.pop("taskDefinitionArn", None)
        self._common(given, config)
        return config

    def _from_task_definition(self, given: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        from moto.ecs.exceptions import TaskDefinitionNotFoundException  # noqa: PLC0415

        try:
            definition = self.ecs.describe_task_definition(given["taskDefinitionArn"])
        except TaskDefinitionNotFoundException as exc:
            raise ClientException(f"Unable to describe task definition {given['taskDefinitionArn']}.") from exc
        main = [c for c in definition.container_definitions if c.get("name") == CONTAINER_NAME]
        if not main or len(main[0].get("portMappings") or []) != 1:
            raise InvalidParameterException(
                f"The task definition must have a container named {CONTAINER_NAME} with a single TCP port mapping."
            )
        if "FARGATE" not in (definition.requires_compatibilities or []):
            raise InvalidParameterException("The task definition must have FARGATE compatibility.")
        container = main[0]
        for member in TASK_DEFINITION_MEMBERS:
            config.pop(member, None)
        config.update(
            {
                "taskDefinitionArn": definition.arn,
                "cpu": str(definition.cpu),
                "memory": str(definition.memory),
                "primaryContainer": {
                    "image": container["image"],
                    "containerPort": int(container["portMappings"][0]["containerPort"]),
                    **{k: container[k] for k in ("environment", "secrets", "command") if container.get(k)},
                },
            }
        )
        if definition.execution_role_arn:
            config["executionRoleArn"] = definition.execution_role_arn
        if definition.task_role_arn:
            config["taskRoleArn"] = definition.task_role_arn
        config["healthCheckPath"] = given.get("healthCheckPath") or config.get(
            "healthCheckPath", DEFAULT_HEALTH_CHECK_PATH
        )
        self._common(given, config)
        return config

    def _common(self, given: dict[str, Any], config: dict[str, Any]) -> None:
        """Network and scaling: given members over the current ones, else the defaults."""
        if given.get("networkConfiguration") is not None:
            config["networkConfiguration"] = copy.deepcopy(given["networkConfiguration"])
        network = config.setdefault("networkConfiguration", {})
        self._check_network(network)
        scaling = {
            "minTaskCount": DEFAULT_MIN_TASKS,
            "maxTaskCount": DEFAULT_MAX_TASKS,
            "autoScalingMetric": DEFAULT_METRIC,
            "autoScalingTargetValue": DEFAULT_TARGET_VALUE,
            **(config.get("scalingTarget") or {}),
            **{k: v for k, v in (given.get("scalingTarget") or {}).items() if v is not None},
        }
        self._check_scaling(scaling)
        config["scalingTarget"] = scaling

    # -- the managed infrastructure ------------------------------------------------------------

    def _network(self, config: dict[str, Any]) -> tuple[str, list[str]]:
        """(VPC id, subnets) of the service: its subnets' VPC, else the default VPC's subnets."""
        subnets = config["networkConfiguration"].get("subnets") or []
        if subnets:
            vpc = self.ec2.describe_subnets(subnet_ids=subnets)[0].vpc_id
            return vpc, list(subnets)
        vpc = self.ec2.default_vpc.id
        return vpc, [s.id for s in self.ec2.describe_subnets(filters={"vpc-id": [vpc]})]

    def _register_task_definition(self, service: ExpressService, config: dict[str, Any]) -> str:
        if config.get("taskDefinitionArn"):
            return str(config["taskDefinitionArn"])
        container = config["primaryContainer"]
        logs = container.get("awsLogsConfiguration") or {
            "logGroup": service.resources["logGroup"],
            "logStreamPrefix": LOG_STREAM_PREFIX,
        }
        definition: dict[str, Any] = {
            "name": CONTAINER_NAME,
            "image": container["image"],
            "essential": True,
            "portMappings": [
                {"containerPort": int(container["containerPort"]), "protocol": "tcp", "name": f"{CONTAINER_NAME}-port"}
            ],
            "environment": copy.deepcopy(container.get("environment") or []),
            "secrets": copy.deepcopy(container.get("secrets") or []),
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": logs["logGroup"],
                    "awslogs-region": self.region_name,
                    "awslogs-stream-prefix": logs["logStreamPrefix"],
                },
            },
        }
        if container.get("command"):
            definition["command"] = list(container["command"])
        if container.get("repositoryCredentials"):
            definition["repositoryCredentials"] = dict(container["repositoryCredentials"])
        registered = self.ecs.register_task_definition(
            family=f"{service.cluster_name}-{service.name}"[:255],
            container_definitions=[definition],
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            cpu=config["cpu"],
            memory=config["memory"],
            task_role_arn=config.get("taskRoleArn"),
            execution_role_arn=config.get("executionRoleArn"),
            runtime_platform={"cpuArchitecture": config["cpuArchitecture"], "operatingSystemFamily": "LINUX"},
        )
        return str(registered.arn)

    def _provision(self, service: ExpressService, config: dict[str, Any]) -> None:
        """Everything ECS creates for a new Express service, in moto's backends."""
        from moto.acm.models import acm_backends  # noqa: PLC0415
        from moto.logs.models import logs_backends  # noqa: PLC0415

        res = service.resources
        vpc, subnets = self._network(config)
        res["vpc"], res["subnets"] = vpc, subnets
        container = config["primaryContainer"]
        port = int(container["containerPort"])
        logs = logs_backends[self.account_id][self.region_name]
        group = (container.get("awsLogsConfiguration") or {}).get("logGroup") or (
            f"/aws/ecs/{service.cluster_name}/{service.label}"
        )
        if group not in logs.groups:
            logs.create_log_group(group, {})
        res["logGroup"] = group
        alb_group = self.ec2.create_security_group(
            f"ecs-express-lb-{service.label}", f"Load balancer of ECS Express service {service.name}", vpc_id=vpc
        )
        self.ec2.authorize_security_group_ingress(
            alb_group.id, "tcp", "443", "443", [{"CidrIp": "0.0.0.0/0", "Description": "HTTPS"}]
        )
        res["lbSecurityGroup"] = alb_group.id
        groups = list(config["networkConfiguration"].get("securityGroups") or [])
        if not groups:
            task_group = self.ec2.create_security_group(
                f"ecs-express-task-{service.label}", f"Tasks of ECS Express service {service.name}", vpc_id=vpc
            )
            self.ec2.authorize_security_group_ingress(
                task_group.id, "tcp", str(port), str(port), [], source_groups=[{"GroupId": alb_group.id}]
            )
            res["taskSecurityGroup"] = task_group.id
            groups = [task_group.id]
        res["taskSecurityGroups"] = groups
        acm = acm_backends[self.account_id][self.region_name]
        res["certificate"] = acm.request_certificate(service.dns_name, None, [], [])  # type: ignore[arg-type]
        balancer = self.elbv2.create_load_balancer(
            service.lb_name,
            security_groups=[alb_group.id],
            subnet_ids=subnets,
            scheme="internet-facing",
            loadbalancer_type="application",
        )
        res["loadBalancer"] = balancer.arn
        target_group = self.elbv2.create_target_group(
            service.tg_name,
            vpc_id=vpc,
            protocol="HTTP",
            port=port,
            target_type="ip",
            healthcheck_protocol="HTTP",
            healthcheck_path=config["healthCheckPath"],
            matcher={"HttpCode": "200"},
        )
        res["targetGroup"] = target_group.arn
        forward = [{"Type": "forward", "TargetGroupArn": target_group.arn}]
        listener = self.elbv2.create_listener(
            balancer.arn,
            "HTTPS",
            443,
            "ELBSecurityPolicy-TLS13-1-2-2021-06",
            res["certificate"],
            [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}],
        )
        res["listener"] = listener.arn
        rule = self.elbv2.create_rule(
            listener.arn, [{"Field": "host-header", "Values": [service.dns_name]}], 1, forward
        )
        res["rule"] = rule.arn

    def _ecs_service(self, service: ExpressService, config: dict[str, Any], task_definition: str) -> Any:
        res = service.resources
        ecs_service = self.ecs.create_service(
            service.cluster_name,
            service.name,
            config["scalingTarget"]["minTaskCount"],
            task_definition,
            load_balancers=[
                {
                    "targetGroupArn": res["targetGroup"],
                    "containerName": CONTAINER_NAME,
                    "containerPort": int(config["primaryContainer"]["containerPort"]),
                }
            ],
            tags=copy.deepcopy(service.tags),
            deployment_controller={"type": "ECS"},
            launch_type="FARGATE",
            network_configuration={
                "awsvpcConfiguration": {
                    "subnets": res["subnets"],
                    "securityGroups": res["taskSecurityGroups"],
                    "assignPublicIp": "DISABLED",
                }
            },
        )
        ecs_service.express_gateway = True  # the local ECS task supervisor leaves it to this backend
        return ecs_service

    def _scaling(self, service: ExpressService, config: dict[str, Any]) -> None:
        from moto.applicationautoscaling.models import applicationautoscaling_backends  # noqa: PLC0415

        scaling = config["scalingTarget"]
        autoscaling = applicationautoscaling_backends[self.account_id][self.region_name]
        resource_id = f"service/{service.cluster_name}/{service.name}"
        autoscaling.register_scalable_target(
            "ecs",
            resource_id,
            SCALABLE_DIMENSION,
            scaling["minTaskCount"],
            scaling["maxTaskCount"],
            None,  # type: ignore[arg-type]
            None,  # type: ignore[arg-type]
        )
        metric: dict[str, Any] = {"PredefinedMetricType": PREDEFINED_METRICS[scaling["autoScalingMetric"]]}
        if scaling["autoScalingMetric"] == "REQUEST_COUNT_PER_TARGET":
            balancer = service.resources["loadBalancer"].split(":loadbalancer/", 1)[1]
            group = service.resources["targetGroup"].split(":", 5)[5]
            metric["ResourceLabel"] = f"{balancer}/{group}"
        policy = autoscaling.put_scaling_policy(
            f"{service.name}-target-tracking",
            "ecs",
            resource_id,
            SCALABLE_DIMENSION,
            {
                "TargetValue": float(scaling["autoScalingTargetValue"]),
                "PredefinedMetricSpecification": metric,
                "ScaleOutCooldown": 60,
                "ScaleInCooldown": 300,
            },
            "TargetTrackingScaling",
        )
        service.resources["scalingPolicy"] = policy.policy_arn

    def _deprovision(self, service: ExpressService) -> None:
        """What DeleteExpressGatewayService removes once the tasks have drained (the log group stays)."""
        from moto.acm.models import acm_backends  # noqa: PLC0415
        from moto.applicationautoscaling.models import applicationautoscaling_backends  # noqa: PLC0415

        res = service.resources
        autoscaling = applicationautoscaling_backends[self.account_id][self.region_name]
        resource_id = f"service/{service.cluster_name}/{service.name}"
        autoscaling.delete_scaling_policy(f"{service.name}-target-tracking", "ecs", resource_id, SCALABLE_DIMENSION)
        if resource_id in autoscaling.targets.get(SCALABLE_DIMENSION, {}):
            autoscaling.deregister_scalable_target("ecs", resource_id, SCALABLE_DIMENSION)
        if res.get("rule"):
            self.elbv2.delete_rule(res["rule"])
        for key, remove in (("listener", self.elbv2.delete_listener), ("targetGroup", self.elbv2.delete_target_group)):
            if res.get(key):
                try:
                    remove(res[key])
                except Exception:  # noqa: S110 (someone removed it already: nothing left to remove)
                    pass
        if res.get("loadBalancer"):
            self.elbv2.delete_load_balancer(res["loadBalancer"])
        acm = acm_backends[self.account_id][self.region_name]
        if res.get("certificate") in acm._certificates:
            acm.delete_certificate(res["certificate"])
        for key in ("taskSecurityGroup", "lbSecurityGroup"):
            if res.get(key):
                self.ec2.delete_security_group(group_id=res[key])
        ecs_service = self.ecs.services.get(f"{service.cluster_name}:{service.name}")
        if ecs_service is not None:
            ecs_service.desired_count = 0
            self.ecs.delete_service(service.cluster_name, service.name, True)
            ecs_service.running_count = 0
            ecs_service.deployments = []

    # -- local serving ------------------------------------------------------------------------

    def _launch(self, service: ExpressService, revision: Revision) -> None:
        """Start ``revision``'s process when a command is configured (see the module docstring)."""
        command = configured_command()
        if command is None:
            return
        container = revision.config["primaryContainer"]
        secrets = {}
        for secret in container.get("secrets") or []:
            try:
                secrets[secret["name"]] = compute.resolve_secret(self.account_id, self.region_name, secret["valueFrom"])
            except compute.SecretNotResolved as exc:
                raise InvalidParameterException(
                    f"primaryContainer.secrets {secret['name']}: unable to retrieve secret from "
                    f"{secret['valueFrom']}: {exc}"
                ) from exc
        served = runner.image_files(container["image"])
        cwd, image_env = (served[0], dict(e.split("=", 1) for e in served[1].get("Env", []))) if served else (None, {})
        variables = {**image_env, **{e["name"]: e.get("value", "") for e in container.get("environment") or []}}
        port = runner.free_port()
        env = runner.child_environment(variables, secrets, port, self.region_name)
        service.launches += 1
        sink = self._task_log(service, revision)
        try:
            revision.process = ServedProcess(
                command, env, port, f"{service.name}-{service.launches}", cwd=cwd, sink=sink
            )
        except RuntimeError as exc:
            raise InvalidParameterException(str(exc)) from exc
        if service.endpoint is None:
            service.endpoint = runner.StableEndpoint()

    def _task_log(self, service: ExpressService, revision: Revision) -> Callable[[str], None]:
        """The task's output goes to its stream of the service's log group, as the awslogs driver writes it."""
        container = revision.config["primaryContainer"]
        logs_config = container.get("awsLogsConfiguration") or {}
        group = logs_config.get("logGroup") or service.resources["logGroup"]
        prefix = logs_config.get("logStreamPrefix") or LOG_STREAM_PREFIX
        stream = f"{prefix}/{CONTAINER_NAME}/{mock_random.get_random_hex(32)}"
        return compute.log_stream_sink(self.account_id, self.region_name, group, stream)

    # -- timed transitions ----------------------------------------------------------------------

    def settle(self) -> None:
        now = time.time()
        for service in list(self.services.values()):
            if service.status == "DRAINING" and service.drained_at is not None and now >= service.drained_at:
                service.stop_processes(close=True)
                self._deprovision(service)
                service.status, service.status_reason = "INACTIVE", None
                service.updated_at = utcnow()
            elif service.status == "ACTIVE" and service.deployment and service.deployment.state == "IN_PROGRESS":
                self._settle_deployment(service, service.deployment, now)
            self._sync_ecs(service)

    def _health(self, service: ExpressService, revision: Revision) -> str:
        if revision.process is None:
            return "none"
        return revision.process.http_health(revision.config["healthCheckPath"])

    def _settle_deployment(self, service: ExpressService, deployment: Deployment, now: float) -> None:
        health = self._health(service, deployment.target)
        if deployment.source is not None and health == "up" and service.endpoint is not None:
            service.endpoint.split(deployment.target.process.port, CANARY_PERCENT)  # type: ignore[union-attr]
        if now < deployment.started + deployment.delay:
            return
        if health == "starting" and now < deployment.started + runner.START_TIMEOUT:
            return
        if health in ("up", "none"):
            if service.endpoint is not None and deployment.target.process is not None:
                service.endpoint.point_at(deployment.target.process.port)
            if deployment.source is not None and deployment.source.process is not None:
                deployment.source.process.stop()
                deployment.source.process = None
            service.active = deployment.target
            deployment.finish("COMPLETED", f"ECS deployment {deployment.ecs_id} completed.")
            return
        if deployment.target.process is not None:
            deployment.target.process.stop()
            deployment.target.process = None
        why = (
            "the essential container exited"
            if health == "dead"
            else (f"the target health check of {deployment.target.config['healthCheckPath']} did not answer 200")
        )
        if deployment.source is not None:
            if service.endpoint is not None and deployment.source.process is not None:
                service.endpoint.point_at(deployment.source.process.port)
            deployment.finish(
                "FAILED",
                f"ECS deployment {deployment.ecs_id} failed: tasks failed health checks ({why}); "
                f"rolled back to service revision {deployment.source.arn}.",
            )
        else:
            deployment.finish("FAILED", f"ECS deployment {deployment.ecs_id} failed: tasks failed to start ({why}).")
            service.status_reason = "Tasks failed to start: the first deployment did not become healthy."

    def _sync_ecs(self, service: ExpressService) -> None:
        """The ECS service's deployments, counts and task definition, as the Express deployments left them."""
        ecs_service = self.ecs.services.get(f"{service.cluster_name}:{service.name}")
        if ecs_service is None or ecs_service.status == "INACTIVE" or service.deployment is None:
            return
        current = service.deployment
        desired = int(current.target.config["scalingTarget"]["minTaskCount"])
        if service.status == "DRAINING":
            desired = 0
        entries = []
        if current.state == "IN_PROGRESS":
            entries.append(self._ecs_deployment(current, "PRIMARY", desired, running=0))
            previous = [d for d in service.deployments if d.state == "COMPLETED" and d is not current]
            if previous:
                entries.append(self._ecs_deployment(previous[-1], "ACTIVE", desired, running=desired))
        elif current.state == "FAILED" and current.source is not None:
            back = next(d for d in reversed(service.deployments) if d.target is current.source)
            entries.append(self._ecs_deployment(back, "PRIMARY", desired, running=desired))
            entries.append(self._ecs_deployment(current, "INACTIVE", desired, running=0))
        else:
            running = desired if current.state == "COMPLETED" else 0
            entries.append(self._ecs_deployment(current, "PRIMARY", desired, running=running))
        ecs_service.deployments = entries
        ecs_service.task_definition = entries[0]["taskDefinition"]
        ecs_service.desired_count = desired
        ecs_service.running_count = entries[0]["runningCount"]
        ecs_service.pending_count = 0
        if service.status == "DRAINING":
            ecs_service.status = "DRAINING"

    @staticmethod
    def _ecs_deployment(deployment: Deployment, status: str, desired: int, *, running: int) -> dict[str, Any]:
        return {
            "id": deployment.ecs_id,
            "status": status,
            "taskDefinition": deployment.target.config["taskDefinitionArn"],
            "desiredCount": desired,
            "pendingCount": 0,
            "runningCount": running,
            "failedTasks": 1 if deployment.state == "FAILED" else 0,
            "createdAt": deployment.created_at,
            "updatedAt": deployment.updated_at,
            "launchType": "FARGATE",
            "platformVersion": "LATEST",
            "platformFamily": "Linux",
            "rolloutState": deployment.state if deployment.state != "STOPPED" else "FAILED",
            "rolloutStateReason": deployment.reason,
        }

    # -- the operations ------------------------------------------------------------------------

    def _service(self, arn: str, missing: type[Exception] = ServiceNotFoundException) -> ExpressService:
        service = self.services.get(arn)
        if service is None:
            if missing is ResourceNotFoundException:
                raise ResourceNotFoundException(f"The Express service {arn} does not exist.")
            raise missing()
        return service

    def _active_service(self, arn: str) -> ExpressService:
        service = self._service(arn)
        if service.status != "ACTIVE":
            raise ServiceNotActiveException
        return service

    def _deploy(self, service: ExpressService, config: dict[str, Any]) -> Deployment:
        revision = Revision(service, config)
        config["taskDefinitionArn"] = self._register_task_definition(service, config)
        previous = service.deployment
        if previous is not None and previous.state == "IN_PROGRESS":  # superseded: its tasks stop
            if previous.target.process is not None and previous.target is not service.active:
                previous.target.process.stop()
                previous.target.process = None
            previous.finish("STOPPED", f"ECS deployment {previous.ecs_id} was superseded by a newer deployment.")
        deployment = Deployment(service, revision, service.active)
        self._launch(service, revision)
        service.deployment = deployment
        service.deployments.append(deployment)
        service.updated_at = deployment.created_at
        return deployment

    @_locked
    def create_service(self, params: dict[str, Any]) -> dict[str, Any]:
        cluster = self._cluster(params.get("cluster"))
        name = params.get("serviceName") or f"express-{mock_random.get_random_hex(10)}"
        if len(name) > SERVICE_NAME_MAX or not SERVICE_NAME.match(name):
            raise InvalidParameterException(
                "serviceName can contain up to 255 letters (uppercase and lowercase), numbers, underscores, and "
                f"hyphens, got '{name}'."
            )
        existing = self.ecs.services.get(f"{cluster.name if cluster else DEFAULT_CLUSTER}:{name}")
        if existing is not None and existing.status != "INACTIVE":
            raise InvalidParameterException("Creation of service was not idempotent.")
        config = self._resolve_config(params, None)
        if cluster is None:  # "The ECS default cluster (if it does not already exist) with Fargate capacity providers"
            cluster = self.ecs.create_cluster(DEFAULT_CLUSTER, capacity_providers=["FARGATE", "FARGATE_SPOT"])
        service = ExpressService(self, name, cluster, params)
        self.services.pop(service.arn, None)  # an INACTIVE one of the same name
        self._provision(service, config)
        deployment = self._deploy(service, config)
        self._ecs_service(service, config, config["taskDefinitionArn"])
        self._scaling(service, config)
        self.services[service.arn] = service
        self._sync_ecs(service)
        return service.describe(include_tags=True) | {"currentDeployment": deployment.arn}

    @_locked
    def describe_service(self, arn: str, include: list[str]) -> dict[str, Any]:
        service = self._service(arn, ResourceNotFoundException)
        ecs_service = self.ecs.services.get(f"{service.cluster_name}:{service.name}")
        if ecs_service is not None and service.status != "INACTIVE":  # TagResource on the service ARN
            service.tags = copy.deepcopy(ecs_service.tags)
        return service.describe(include_tags="TAGS" in include)

    @_locked
    def update_service(self, params: dict[str, Any]) -> dict[str, Any]:
        service = self._active_service(params["serviceArn"])
        current = service.deployment.target.config if service.deployment else None
        config = self._resolve_config(params, current)
        self._deploy(service, config)
        self._update_scaling(service, config)
        self._sync_ecs(service)
        return {
            "serviceArn": service.arn,
            "cluster": service.cluster_arn,
            "serviceName": service.name,
            "status": service.status_dict(),
            "targetConfiguration": service.deployment.target.describe(service),  # type: ignore[union-attr]
            "createdAt": service.created_at,
            "updatedAt": service.updated_at,
        }

    def _update_scaling(self, service: ExpressService, config: dict[str, Any]) -> None:
        from moto.applicationautoscaling.models import applicationautoscaling_backends  # noqa: PLC0415

        autoscaling = applicationautoscaling_backends[self.account_id][self.region_name]
        autoscaling.delete_scaling_policy(
            f"{service.name}-target-tracking",
            "ecs",
            f"service/{service.cluster_name}/{service.name}",
            SCALABLE_DIMENSION,
        )
        self._scaling(service, config)

    @_locked
    def delete_service(self, arn: str) -> dict[str, Any]:
        service = self._active_service(arn)
        service.status = "DRAINING"
        service.status_reason = "The service is draining: its tasks finish their requests, then stop."
        service.drained_at = time.time() + deployment_delay()
        service.updated_at = utcnow()
        if service.deployment is not None and service.deployment.state == "IN_PROGRESS":
            service.deployment.finish(
                "STOPPED", f"ECS deployment {service.deployment.ecs_id} stopped: service deleted."
            )
        self._sync_ecs(service)
        return service.describe()


ecsexpress_backends = BackendDict(ECSExpressBackend, "ecs")
