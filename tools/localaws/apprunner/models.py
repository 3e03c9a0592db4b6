"""App Runner state, kept per account and region by moto's ``BackendDict``.

States move the way the App Runner API reference documents them, computed lazily from
timestamps (no threads): an action that starts an operation (create, update, pause,
resume, start-deployment, delete) puts the service in ``OPERATION_IN_PROGRESS`` for
``LOCALAWS_APPRUNNER_DELAY`` seconds (read when the operation starts), after which the
operation is ``SUCCEEDED`` and the service ``RUNNING`` / ``PAUSED`` / ``DELETED``. A deleted
service disappears (``ResourceNotFoundException``) once its deletion has ended. Custom
domains move from ``pending_certificate_dns_validation`` to ``active`` after the same delay.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.moto_api._internal import mock_random
from moto.utilities.paginator import paginate
from moto.utilities.tagging_service import TaggingService

from tools.localaws.apprunner import runner, source
from tools.localaws.apprunner.constants import (
    DEFAULT_AUTO_SCALING_NAME,
    LAUNCH_FAILURES,
    MAX_AUTO_SCALING_NAMES,
    MAX_AUTO_SCALING_REVISIONS,
    MAX_TAGS,
)
from tools.localaws.apprunner.exceptions import (
    InvalidRequestException,
    InvalidStateException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
)
from tools.localaws.apprunner.utils import (
    PAGINATION_MODEL,
    hex32,
    normalise_health_check,
    normalise_instance,
    normalise_source,
    operation_delay,
    random_label,
    utcnow,
)
from tools.localaws.compute import utils as compute

_locked = compute.locked


class Operation:
    """One asynchronous operation on a service (ListOperations' OperationSummary)."""

    def __init__(self, op_type: str, target_arn: str, target_status: str, delay: float) -> None:
        self.id = str(mock_random.uuid4())
        self.type = op_type
        self.target_arn = target_arn
        self.target_status = target_status
        self.started_at = utcnow()
        self.started = time.time()
        self.ends_at = self.started + delay
        self.ended_at: datetime | None = None
        self.status = "IN_PROGRESS"

    def due(self, now: float) -> bool:
        return self.ended_at is None and now >= self.ends_at

    def finish(self, status: str, ended: float) -> None:
        self.status = status
        self.ended_at = datetime.fromtimestamp(ended, UTC)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Id": self.id,
            "Type": self.type,
            "Status": self.status,
            "TargetArn": self.target_arn,
            "StartedAt": self.started_at,
            "UpdatedAt": self.ended_at or self.started_at,
        }
        if self.ended_at:
            out["EndedAt"] = self.ended_at
        return out


class CustomDomain:
    def __init__(self, domain: str, www: bool, delay: float) -> None:
        self.domain = domain
        self.www = www
        self.active_at = time.time() + delay
        self.deleting_until: float | None = None
        names = [domain] + ([f"www.{domain}"] if www else [])
        self.records = [
            {
                "Name": f"_{hex32()}.{name}.",
                "Type": "CNAME",
                "Value": f"_{hex32()}.{random_label()}.acm-validations.aws.",
            }
            for name in names
        ]

    def describe(self, now: float) -> dict[str, Any]:
        if self.deleting_until is not None:
            status, record_status = "deleting", "SUCCESS"
        elif now >= self.active_at:
            status, record_status = "active", "SUCCESS"
        else:
            status, record_status = "pending_certificate_dns_validation", "PENDING_VALIDATION"
        return {
            "DomainName": self.domain,
            "EnableWWWSubdomain": self.www,
            "CertificateValidationRecords": [{**r, "Status": record_status} for r in self.records],
            "Status": status,
        }


class Service:
    def __init__(self, backend: AppRunnerBackend, name: str) -> None:
        self.name = name
        self.id = hex32()
        self.arn = backend.arn(f"service/{name}/{self.id}")
        self.url = f"{random_label()}.{backend.region_name}.awsapprunner.com"
        # The custom domains' CNAME target stays this AWS-style name even when a local process
        # serves the service (its ServiceUrl is then 127.0.0.1:<port> of its StableEndpoint).
        self.dns_target = self.url
        self.created_at = self.updated_at = utcnow()
        self.deleted_at: datetime | None = None
        self.settled_status = "RUNNING"
        self.pending: Operation | None = None
        self.operations: list[Operation] = []  # newest first
        self.domains: dict[str, CustomDomain] = {}
        self.config: dict[str, Any] = {}
        self.process: runner.AppProcess | None = None  # serving (LOCALAWS_APPRUNNER_COMMAND)
        self.next_process: runner.AppProcess | None = None  # starting for the pending operation
        self.endpoint: runner.StableEndpoint | None = None  # the loopback port the service answers on
        self.launches = 0
        self.previous_config: dict[str, Any] | None = None  # restored if an update's launch fails

    @property
    def status(self) -> str:
        return "OPERATION_IN_PROGRESS" if self.pending else self.settled_status

    def start(self, op_type: str, target_status: str) -> Operation:
        operation = Operation(op_type, self.arn, target_status, operation_delay())
        self.operations.insert(0, operation)
        self.pending = operation
        self.updated_at = operation.started_at
        return operation

    def settle(self, now: float) -> None:
        operation = self.pending
        if operation is not None and operation.due(now):
            outcome = self._launch_outcome(now)
            if outcome == "starting":
                return self._settle_domains(now)
            ended = operation.ends_at if outcome == "none" else now
            if outcome == "failed":
                status, self.settled_status = LAUNCH_FAILURES[operation.type]
                operation.finish(status, ended)
                if operation.type == "UPDATE_SERVICE" and self.previous_config is not None:
                    self.config = self.previous_config
            else:
                operation.finish("SUCCEEDED", ended)
                self.settled_status = operation.target_status
            if self.settled_status == "DELETED":
                self.deleted_at = operation.ended_at
            self.pending = None
        return self._settle_domains(now)

    def _launch_outcome(self, now: float) -> str:
        """``none`` (no process involved), ``up``, ``starting`` or ``failed``."""
        candidate = self.next_process
        if candidate is None:
            return "none"
        health = candidate.health()
        if health == "starting" and now < self.pending.started + runner.START_TIMEOUT:  # type: ignore[union-attr]
            return "starting"
        self.next_process = None
        if health != "up":
            candidate.stop()
            return "failed"
        if self.endpoint is not None:
            self.endpoint.point_at(candidate.port)  # new connections reach the new process at once
        if self.process is not None:
            self.process.stop()
        self.process = candidate
        return "up"

    def stop_processes(self, *, close: bool = False) -> None:
        """Stop serving; ``close`` also gives up the service's port (deletion, reset)."""
        self.endpoint = runner.release(self.endpoint, close=close)
        for process in (self.process, self.next_process):
            if process is not None:
                process.stop()
        self.process = self.next_process = None

    def _settle_domains(self, now: float) -> None:
        for name, domain in list(self.domains.items()):
            if domain.deleting_until is not None and now >= domain.deleting_until:
                del self.domains[name]

    @property
    def auto_scaling_arn(self) -> str:
        return str(self.config["AutoScalingConfigurationArn"])

    @property
    def vpc_connector_arn(self) -> str | None:
        egress = self.config["NetworkConfiguration"]["EgressConfiguration"]
        return egress.get("VpcConnectorArn")

    @property
    def active(self) -> bool:
        """True until the service is deleted (or its deletion has started)."""
        return not (self.settled_status == "DELETED" or (self.pending and self.pending.type == "DELETE_SERVICE"))

    def summary(self) -> dict[str, Any]:
        out = {
            "ServiceName": self.name,
            "ServiceId": self.id,
            "ServiceArn": self.arn,
            "ServiceUrl": self.url,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "Status": self.status,
        }
        return out

    def describe(self, backend: AppRunnerBackend) -> dict[str, Any]:
        out = self.summary()
        if self.deleted_at:
            out["DeletedAt"] = self.deleted_at
        config = copy.deepcopy(self.config)
        out["SourceConfiguration"] = config["SourceConfiguration"]
        out["InstanceConfiguration"] = config["InstanceConfiguration"]
        out["HealthCheckConfiguration"] = config["HealthCheckConfiguration"]
        out["NetworkConfiguration"] = config["NetworkConfiguration"]
        out["ObservabilityConfiguration"] = config["ObservabilityConfiguration"]
        if config.get("EncryptionConfiguration"):
            out["EncryptionConfiguration"] = config["EncryptionConfiguration"]
        asc = backend.auto_scaling_configs.get(self.auto_scaling_arn)
        if asc is not None:
            out["AutoScalingConfigurationSummary"] = asc.summary(backend)
        return out


class RevisionedResource:
    """A named, revisioned App Runner resource (auto scaling, VPC connector, observability)."""

    kind = ""

    def __init__(self, backend: AppRunnerBackend, name: str, revision: int) -> None:
        self.name = name
        self.revision = revision
        self.arn = backend.arn(f"{self.kind}/{name}/{revision}/{hex32()}")
        self.created_at = utcnow()
        self.deleted_at: datetime | None = None

    @property
    def status(self) -> str:
        return "INACTIVE" if self.deleted_at else "ACTIVE"

    def describe(self, backend: AppRunnerBackend) -> dict[str, Any]:
        """The Describe* shape: the kind's own fields, and ``DeletedAt`` once deleted."""
        out = self._describe(backend)
        if self.deleted_at:
            out["DeletedAt"] = self.deleted_at
        return out

    def _describe(self, backend: AppRunnerBackend) -> dict[str, Any]:
        raise NotImplementedError


class AutoScalingConfiguration(RevisionedResource):
    kind = "autoscalingconfiguration"

    def __init__(
        self, backend: AppRunnerBackend, name: str, revision: int, *, max_concurrency: int, min_size: int, max_size: int
    ) -> None:
        super().__init__(backend, name, revision)
        self.max_concurrency = max_concurrency
        self.min_size = min_size
        self.max_size = max_size
        self.is_default = False

    def summary(self, backend: AppRunnerBackend) -> dict[str, Any]:
        return {
            "AutoScalingConfigurationArn": self.arn,
            "AutoScalingConfigurationName": self.name,
            "AutoScalingConfigurationRevision": self.revision,
            "Status": self.status,
            "CreatedAt": self.created_at,
            "HasAssociatedService": backend.has_associated_service(self.arn),
            "IsDefault": self.is_default,
        }

    def _describe(self, backend: AppRunnerBackend) -> dict[str, Any]:
        out = self.summary(backend)
        out.update(
            {
                "Latest": backend.latest_revision(backend.auto_scaling_configs, self.name) is self,
                "MaxConcurrency": self.max_concurrency,
                "MinSize": self.min_size,
                "MaxSize": self.max_size,
            }
        )
        return out


class VpcConnector(RevisionedResource):
    kind = "vpcconnector"

    def __init__(
        self, backend: AppRunnerBackend, name: str, revision: int, subnets: list[str], groups: list[str]
    ) -> None:
        super().__init__(backend, name, revision)
        self.subnets = subnets
        self.security_groups = groups

    def _describe(self, backend: AppRunnerBackend) -> dict[str, Any]:
        out: dict[str, Any] = {
            "VpcConnectorName": self.name,
            "VpcConnectorArn": self.arn,
            "VpcConnectorRevision": self.revision,
            "Subnets": list(self.subnets),
            "SecurityGroups": list(self.security_groups),
            "Status": self.status,
            "CreatedAt": self.created_at,
        }
        return out


class ObservabilityConfiguration(RevisionedResource):
    kind = "observabilityconfiguration"

    def __init__(self, backend: AppRunnerBackend, name: str, revision: int, trace: dict[str, Any] | None) -> None:
        super().__init__(backend, name, revision)
        self.trace = trace

    def summary(self) -> dict[str, Any]:
        return {
            "ObservabilityConfigurationArn": self.arn,
            "ObservabilityConfigurationName": self.name,
            "ObservabilityConfigurationRevision": self.revision,
        }

    def _describe(self, backend: AppRunnerBackend) -> dict[str, Any]:
        out = self.summary()
        out.update(
            {
                "Latest": backend.latest_revision(backend.observability_configs, self.name) is self,
                "Status": self.status,
                "CreatedAt": self.created_at,
            }
        )
        if self.trace:
            out["TraceConfiguration"] = dict(self.trace)
        return out


class Connection:
    def __init__(self, backend: AppRunnerBackend, name: str, provider: str) -> None:
        self.name = name
        self.provider = provider
        self.arn = backend.arn(f"connection/{name}/{hex32()}")
        self.created_at = utcnow()
        # As on AWS, a new connection waits for its owner to authorise App Runner at the provider
        # (console: Connections -> Complete handshake); locally POST /_localaws/apprunner/handshake.
        self.status = "PENDING_HANDSHAKE"

    def describe(self) -> dict[str, Any]:
        return {
            "ConnectionName": self.name,
            "ConnectionArn": self.arn,
            "ProviderType": self.provider,
            "Status": self.status,
            "CreatedAt": self.created_at,
        }


class AppRunnerBackend(BaseBackend):
    """App Runner for one account and region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.lock = threading.RLock()
        self.services: dict[str, Service] = {}
        self.auto_scaling_configs: dict[str, AutoScalingConfiguration] = {}
        self.vpc_connectors: dict[str, VpcConnector] = {}
        self.observability_configs: dict[str, ObservabilityConfiguration] = {}
        self.connections: dict[str, Connection] = {}
        self.tagger = TaggingService()
        default = AutoScalingConfiguration(
            self, DEFAULT_AUTO_SCALING_NAME, 1, max_concurrency=100, min_size=1, max_size=25
        )
        default.is_default = True
        self.auto_scaling_configs[default.arn] = default

    def reset(self) -> None:
        for service in self.services.values():
            service.stop_processes(close=True)
        super().reset()

    # -- helpers ---------------------------------------------------------------------------

    def _resolve_secret(self, name: str, reference: str) -> str:
        """A RuntimeEnvironmentSecrets value from this endpoint's SSM or Secrets Manager."""
        try:
            return compute.resolve_secret(self.account_id, self.region_name, reference)
        except compute.SecretNotResolved as exc:
            raise InvalidRequestException(f"RuntimeEnvironmentSecrets {name}: {exc}") from exc

    def _launch(self, service: Service) -> runner.AppProcess | None:
        """Start the service's next process when LOCALAWS_APPRUNNER_COMMAND is set (image services only)."""
        code = service.config["SourceConfiguration"].get("CodeRepository")
        if code is not None:
            return self._launch_code(service, code)
        command = runner.configured_command()
        image = service.config["SourceConfiguration"].get("ImageRepository")
        if command is None or image is None:
            return None
        image_config = image.get("ImageConfiguration") or {}
        secrets = {
            name: self._resolve_secret(name, reference)
            for name, reference in (image_config.get("RuntimeEnvironmentSecrets") or {}).items()
        }
        served = runner.image_files(image["ImageIdentifier"])
        cwd, image_env = (served[0], dict(e.split("=", 1) for e in served[1].get("Env", []))) if served else (None, {})
        port = runner.free_port()
        env = runner.child_environment(
            {**image_env, **(image_config.get("RuntimeEnvironmentVariables") or {})}, secrets, port, self.region_name
        )
        service.launches += 1
        if service.endpoint is None:
            service.endpoint = runner.StableEndpoint()
        sink = self._application_log(service)
        try:
            return runner.AppProcess(command, env, port, f"{service.name}-{service.launches}", cwd=cwd, sink=sink)
        except RuntimeError as exc:
            raise InvalidRequestException(str(exc)) from exc

    def _launch_code(self, service: Service, code: dict[str, Any]) -> runner.AppProcess | None:
        """Build a CodeRepository service from its repository's committed tree and start it (source.py)."""
        label = f"{service.name}-{service.launches + 1}"
        try:
            built = source.build(code, label)
        except source.SourceError as exc:
            raise InvalidRequestException(f"SourceConfiguration.CodeRepository: {exc}") from exc
        if built is None:
            return None  # not a local repository: bookkeeping only
        secrets = {name: self._resolve_secret(name, reference) for name, reference in built.secrets.items()}
        port = runner.free_port()
        variables = dict(built.variables)
        if built.port_variable:
            variables[built.port_variable] = str(port)
        env = runner.child_environment(variables, secrets, port, self.region_name)
        service.launches += 1
        if service.endpoint is None:
            service.endpoint = runner.StableEndpoint()
        sink = self._application_log(service)
        try:
            return runner.AppProcess(built.command, env, port, label, cwd=built.directory, sink=sink)
        except RuntimeError as exc:
            raise InvalidRequestException(str(exc)) from exc

    def _check_connection(self, config: dict[str, Any]) -> None:
        """A CodeRepository source needs an existing connection that completed its handshake."""
        code = config["SourceConfiguration"].get("CodeRepository")
        if code is None:
            return
        arn = config["SourceConfiguration"]["AuthenticationConfiguration"]["ConnectionArn"]
        connection = self.connections.get(arn)
        if connection is None:
            raise InvalidRequestException(f"Connection {arn!r} doesn't exist")
        if connection.status != "AVAILABLE":
            raise InvalidRequestException(
                f"Connection {connection.name} is in {connection.status} status, not AVAILABLE: complete its "
                "handshake with the provider (App Runner console -> Connections -> Complete handshake)"
            )

    def _application_log(self, service: Service) -> Callable[[str], None]:
        """Where a new instance's output goes: its stream of the service's application log group."""
        group, stream = f"/aws/apprunner/{service.name}/{service.id}/application", f"instance/{hex32()}"
        return compute.log_stream_sink(self.account_id, self.region_name, group, stream)

    def arn(self, resource: str) -> str:
        return f"arn:aws:apprunner:{self.region_name}:{self.account_id}:{resource}"

    def settle(self) -> None:
        now = time.time()
        for arn, service in list(self.services.items()):
            service.settle(now)
            if service.settled_status == "DELETED":
                del self.services[arn]
                self.tagger.delete_all_tags_for_resource(arn)

    def _service(self, arn: str) -> Service:
        service = self.services.get(arn)
        if service is None:
            raise ResourceNotFoundException(f"Resource with ARN {arn!r} doesn't exist (no such service)")
        return service

    def _idle_service(self, arn: str, action: str, settled: str | None = None) -> Service:
        """The service, with no operation in progress (and in status ``settled``, when given)."""
        service = self._service(arn)
        if service.pending is not None:
            raise InvalidStateException(
                f"Cannot {action} service {service.name} ({arn}): operation {service.pending.id} "
                f"({service.pending.type}) is in progress; wait until the service status is not "
                "OPERATION_IN_PROGRESS"
            )
        if settled is not None and service.settled_status != settled:
            raise InvalidStateException(
                f"Cannot {action} service {service.name}: its status is {service.status}, not {settled}"
            )
        return service

    @staticmethod
    def _find_revision(collection: dict[str, Any], arn: str, kind: str, active_only: bool = True) -> Any:
        """A revision by full ARN, or the latest active one for an ARN that ends at the name."""
        found = collection.get(arn)
        if found is None:
            parts = arn.split("/")
            if len(parts) in (2, 3):
                name = parts[1]
                prefix = arn.rsplit(":", 1)[0]
                candidates = [
                    r
                    for r in collection.values()
                    if r.arn.startswith(prefix) and r.name == name and r.status == "ACTIVE"
                    if len(parts) == 2 or str(r.revision) == parts[2]
                ]
                found = max(candidates, key=lambda r: r.revision) if candidates else None
        if found is None or (active_only and found.status != "ACTIVE"):
            raise ResourceNotFoundException(f"{kind} {arn!r} doesn't exist (or is INACTIVE)")
        return found

    @staticmethod
    def latest_revision(collection: dict[str, Any], name: str) -> Any:
        active = [r for r in collection.values() if r.name == name and r.status == "ACTIVE"]
        return max(active, key=lambda r: r.revision) if active else None

    def has_associated_service(self, arn: str) -> bool:
        return any(s.auto_scaling_arn == arn for s in self.services.values() if s.active)

    def _known_arns(self) -> set[str]:
        arns: set[str] = set(self.services) | set(self.connections)
        for collection in (self.auto_scaling_configs, self.vpc_connectors, self.observability_configs):
            arns.update(arn for arn, r in collection.items() if r.status == "ACTIVE")
        return arns

    def _set_tags(self, arn: str, tags: list[dict[str, str]] | None) -> None:
        given = [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags or []]
        count = len(self.tagger.get_tag_dict_for_resource(arn).keys() | {t["Key"] for t in given})
        if count > MAX_TAGS:
            raise InvalidRequestException(f"Too many tags for {arn}: {count} (at most {MAX_TAGS})")
        self.tagger.tag_resource(arn, given)

    def _active_revisions(self, collection: dict[str, Any], name: str | None, latest_only: bool) -> list[Any]:
        """The ACTIVE revisions in ``collection`` (of ``name``; the latest only), by name, revision."""
        configs = [c for c in collection.values() if c.status == "ACTIVE"]
        if name:
            configs = [c for c in configs if c.name == name]
        if latest_only:
            configs = [c for c in configs if self.latest_revision(collection, c.name) is c]
        configs.sort(key=lambda c: (c.name, c.revision))
        return configs

    def _next_revision(self, collection: dict[str, Any], name: str) -> int:
        return max((r.revision for r in collection.values() if r.name == name), default=0) + 1

    def _resolve_service_config(self, given: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        """The stored configuration after applying ``given`` top-level sections onto ``current``."""
        config = copy.deepcopy(current) if current else {}
        if "SourceConfiguration" in given or current is None:
            config["SourceConfiguration"] = normalise_source(given["SourceConfiguration"])
        if "InstanceConfiguration" in given or current is None:
            config["InstanceConfiguration"] = normalise_instance(given.get("InstanceConfiguration"))
        if "HealthCheckConfiguration" in given or current is None:
            config["HealthCheckConfiguration"] = normalise_health_check(given.get("HealthCheckConfiguration"))
        if "NetworkConfiguration" in given or current is None:
            config["NetworkConfiguration"] = self._normalise_network(given.get("NetworkConfiguration"))
        if "ObservabilityConfiguration" in given or current is None:
            config["ObservabilityConfiguration"] = self._normalise_observability(
                given.get("ObservabilityConfiguration")
            )
        if "EncryptionConfiguration" in given:
            config["EncryptionConfiguration"] = dict(given["EncryptionConfiguration"])
        if given.get("AutoScalingConfigurationArn"):
            asc = self._find_revision(
                self.auto_scaling_configs, given["AutoScalingConfigurationArn"], "Auto scaling configuration"
            )
            config["AutoScalingConfigurationArn"] = asc.arn
        elif current is None:
            default = next(c for c in self.auto_scaling_configs.values() if c.is_default)
            config["AutoScalingConfigurationArn"] = default.arn
        return config

    def _normalise_network(self, given: dict[str, Any] | None) -> dict[str, Any]:
        given = given or {}
        egress = {"EgressType": "DEFAULT", **(given.get("EgressConfiguration") or {})}
        if egress["EgressType"] == "VPC":
            if not egress.get("VpcConnectorArn"):
                raise InvalidRequestException(
                    "NetworkConfiguration.EgressConfiguration.VpcConnectorArn is required when EgressType is VPC"
                )
            egress["VpcConnectorArn"] = self._find_revision(
                self.vpc_connectors, egress["VpcConnectorArn"], "VPC connector"
            ).arn
        elif egress.get("VpcConnectorArn"):
            raise InvalidRequestException(
                "NetworkConfiguration.EgressConfiguration.VpcConnectorArn is only valid when EgressType is VPC"
            )
        ingress = {"IsPubliclyAccessible": True, **(given.get("IngressConfiguration") or {})}
        return {
            "EgressConfiguration": egress,
            "IngressConfiguration": ingress,
            "IpAddressType": given.get("IpAddressType", "IPV4"),
        }

    def _normalise_observability(self, given: dict[str, Any] | None) -> dict[str, Any]:
        config = dict(given or {"ObservabilityEnabled": False})
        if config.get("ObservabilityEnabled"):
            arn = config.get("ObservabilityConfigurationArn")
            if not arn:
                raise InvalidRequestException(
                    "ObservabilityConfiguration.ObservabilityConfigurationArn is required when "
                    "ObservabilityEnabled is true"
                )
            config["ObservabilityConfigurationArn"] = self._find_revision(
                self.observability_configs, arn, "Observability configuration"
            ).arn
        return config

    # -- services --------------------------------------------------------------------------

    @_locked
    def create_service(self, params: dict[str, Any]) -> tuple[dict[str, Any], str]:
        name = params["ServiceName"]
        if any(s.name == name for s in self.services.values()):
            raise InvalidRequestException(f"Service with the provided name already exists: {name}")
        service = Service(self, name)
        service.config = self._resolve_service_config(params, None)
        self._check_connection(service.config)
        self._set_tags(service.arn, params.get("Tags"))
        service.next_process = self._launch(service)
        if service.endpoint is not None:
            service.url = f"127.0.0.1:{service.endpoint.port}"
        self.services[service.arn] = service
        operation = service.start("CREATE_SERVICE", "RUNNING")
        return service.describe(self), operation.id

    @_locked
    def describe_service(self, arn: str) -> dict[str, Any]:
        return self._service(arn).describe(self)

    @_locked
    @paginate(pagination_model=PAGINATION_MODEL)
    def list_services(self) -> list[dict[str, Any]]:
        return [s.summary() for s in sorted(self.services.values(), key=lambda s: s.created_at)]

    @_locked
    def update_service(self, params: dict[str, Any]) -> tuple[dict[str, Any], str]:
        service = self._idle_service(params["ServiceArn"], "update")
        if service.settled_status != "RUNNING":
            raise InvalidStateException(
                f"Cannot update service {service.name}: its status is {service.settled_status}, not RUNNING"
            )
        config = self._resolve_service_config(params, service.config)
        self._check_connection(config)
        previous, service.config = service.config, config
        service.previous_config = previous
        try:
            service.next_process = self._launch(service)
        except InvalidRequestException:
            service.config = previous
            raise
        operation = service.start("UPDATE_SERVICE", "RUNNING")
        return service.describe(self), operation.id

    @_locked
    def delete_service(self, arn: str) -> tuple[dict[str, Any], str]:
        service = self._idle_service(arn, "delete")
        service.stop_processes(close=True)
        operation = service.start("DELETE_SERVICE", "DELETED")
        for domain in service.domains.values():
            domain.deleting_until = operation.ends_at
        return service.describe(self), operation.id

    @_locked
    def pause_service(self, arn: str) -> tuple[dict[str, Any], str]:
        service = self._idle_service(arn, "pause", settled="RUNNING")
        service.stop_processes()
        operation = service.start("PAUSE_SERVICE", "PAUSED")
        return service.describe(self), operation.id

    @_locked
    def resume_service(self, arn: str) -> tuple[dict[str, Any], str]:
        service = self._idle_service(arn, "resume", settled="PAUSED")
        service.next_process = self._launch(service)
        operation = service.start("RESUME_SERVICE", "RUNNING")
        return service.describe(self), operation.id

    @_locked
    def start_deployment(self, arn: str) -> str:
        service = self._idle_service(arn, "start a deployment of")
        if service.settled_status != "RUNNING":
            raise InvalidStateException(
                f"Cannot start a deployment of service {service.name}: its status is {service.status}, not RUNNING"
            )
        service.next_process = self._launch(service)
        return service.start("START_DEPLOYMENT", "RUNNING").id

    @_locked
    @paginate(pagination_model=PAGINATION_MODEL)
    def list_operations(self, arn: str) -> list[dict[str, Any]]:
        return [o.summary() for o in self._service(arn).operations]

    # -- custom domains ----------------------------------------------------------------------

    def _domains_response(self, service: Service) -> dict[str, Any]:
        return {"DNSTarget": service.dns_target, "ServiceArn": service.arn, "VpcDNSTargets": []}

    @_locked
    def associate_custom_domain(self, arn: str, domain: str, www: bool) -> dict[str, Any]:
        service = self._service(arn)
        if not service.active:
            raise InvalidStateException(f"Cannot associate a domain with service {service.name}: it is being deleted")
        if domain in service.domains:
            raise InvalidRequestException(f"Domain {domain} is already associated with service {service.name}")
        custom = CustomDomain(domain, www, operation_delay())
        service.domains[domain] = custom
        return {**self._domains_response(service), "CustomDomain": custom.describe(time.time())}

    @_locked
    def describe_custom_domains(
        self, arn: str, max_results: int | None, next_token: str | None
    ) -> tuple[dict[str, Any], str | None]:
        """The service's DNS targets and one page of its custom domains."""
        domains, token = self._custom_domains(arn=arn, max_results=max_results, next_token=next_token)
        return {**self._domains_response(self._service(arn)), "CustomDomains": domains}, token

    @paginate(pagination_model=PAGINATION_MODEL)
    def _custom_domains(self, arn: str) -> list[dict[str, Any]]:
        now = time.time()
        return [d.describe(now) for d in self._service(arn).domains.values()]

    @_locked
    def disassociate_custom_domain(self, arn: str, domain: str) -> dict[str, Any]:
        service = self._service(arn)
        custom = service.domains.get(domain)
        if custom is None:
            raise ResourceNotFoundException(f"Domain {domain} is not associated with service {service.name}")
        if custom.deleting_until is not None:
            raise InvalidStateException(f"Domain {domain} is already being disassociated from {service.name}")
        custom.deleting_until = time.time() + operation_delay()
        return {**self._domains_response(service), "CustomDomain": custom.describe(time.time())}

    # -- auto scaling configurations ---------------------------------------------------------

    @_locked
    def create_auto_scaling_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["AutoScalingConfigurationName"]
        if name == DEFAULT_AUTO_SCALING_NAME:
            raise InvalidRequestException(f"{DEFAULT_AUTO_SCALING_NAME} is reserved for the AWS-managed configuration")
        max_concurrency = params.get("MaxConcurrency", 100)
        min_size, max_size = params.get("MinSize", 1), params.get("MaxSize", 25)
        if max_size > 25:
            raise InvalidRequestException(f"MaxSize {max_size} is out of range: MaxSize must be between 1 and 25")
        if min_size > max_size:
            raise InvalidRequestException(f"MinSize ({min_size}) must be less than or equal to MaxSize ({max_size})")
        active = [c for c in self.auto_scaling_configs.values() if c.status == "ACTIVE"]
        same_name = [c for c in active if c.name == name]
        if len(same_name) >= MAX_AUTO_SCALING_REVISIONS:
            raise ServiceQuotaExceededException(
                f"Auto scaling configuration {name} already has {MAX_AUTO_SCALING_REVISIONS} active revisions "
                "(quota: 5 per name); delete one first"
            )
        names = {c.name for c in active if c.name != DEFAULT_AUTO_SCALING_NAME}
        if not same_name and len(names) >= MAX_AUTO_SCALING_NAMES:
            raise ServiceQuotaExceededException(
                f"Cannot create auto scaling configuration {name}: the account already has "
                f"{MAX_AUTO_SCALING_NAMES} configuration names (quota: 10)"
            )
        revision = self._next_revision(self.auto_scaling_configs, name)
        config = AutoScalingConfiguration(
            self, name, revision, max_concurrency=max_concurrency, min_size=min_size, max_size=max_size
        )
        self._set_tags(config.arn, params.get("Tags"))
        self.auto_scaling_configs[config.arn] = config
        return config.describe(self)

    @_locked
    def describe_auto_scaling_configuration(self, arn: str) -> dict[str, Any]:
        config = self._find_revision(self.auto_scaling_configs, arn, "Auto scaling configuration", active_only=False)
        return config.describe(self)

    @_locked
    @paginate(pagination_model=PAGINATION_MODEL)
    def list_auto_scaling_configurations(self, name: str | None, latest_only: bool) -> list[dict[str, Any]]:
        return [c.summary(self) for c in self._active_revisions(self.auto_scaling_configs, name, latest_only)]

    @_locked
    def delete_auto_scaling_configuration(self, arn: str, delete_all: bool) -> dict[str, Any]:
        config = self._find_revision(self.auto_scaling_configs, arn, "Auto scaling configuration")
        if config.name == DEFAULT_AUTO_SCALING_NAME:
            raise InvalidRequestException(f"The AWS-managed {DEFAULT_AUTO_SCALING_NAME} can't be deleted")
        targets = (
            [c for c in self.auto_scaling_configs.values() if c.name == config.name and c.status == "ACTIVE"]
            if delete_all
            else [config]
        )
        for target in targets:
            users = [s.name for s in self.services.values() if s.active and s.auto_scaling_arn == target.arn]
            if users:
                raise InvalidRequestException(
                    f"Auto scaling configuration {target.arn} is in use by service(s) {', '.join(users)}; "
                    "associate them with another configuration first"
                )
            if target.is_default:
                raise InvalidRequestException(
                    f"Auto scaling configuration {target.arn} is the account default; "
                    "make another configuration the default first"
                )
        deleted_at = utcnow()
        for target in targets:
            target.deleted_at = deleted_at
        return config.describe(self)

    @_locked
    def update_default_auto_scaling_configuration(self, arn: str) -> dict[str, Any]:
        config = self._find_revision(self.auto_scaling_configs, arn, "Auto scaling configuration")
        for other in self.auto_scaling_configs.values():
            other.is_default = other is config
        return config.describe(self)

    @_locked
    @paginate(pagination_model=PAGINATION_MODEL)
    def list_services_for_auto_scaling_configuration(self, arn: str) -> list[str]:
        config = self._find_revision(self.auto_scaling_configs, arn, "Auto scaling configuration")
        return [s.arn for s in self.services.values() if s.active and s.auto_scaling_arn == config.arn]

    # -- VPC connectors ----------------------------------------------------------------------

    @_locked
    def create_vpc_connector(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["VpcConnectorName"]
        if not params["Subnets"]:
            raise InvalidRequestException("Subnets must contain at least one subnet ID")
        revision = self._next_revision(self.vpc_connectors, name)
        connector = VpcConnector(self, name, revision, list(params["Subnets"]), list(params.get("SecurityGroups", [])))
        self._set_tags(connector.arn, params.get("Tags"))
        self.vpc_connectors[connector.arn] = connector
        return connector.describe(self)

    @_locked
    def describe_vpc_connector(self, arn: str) -> dict[str, Any]:
        return self._find_revision(self.vpc_connectors, arn, "VPC connector", active_only=False).describe(self)

    @_locked
    @paginate(pagination_model=PAGINATION_MODEL)
    def list_vpc_connectors(self) -> list[dict[str, Any]]:
        return [c.describe(self) for c in self._active_revisions(self.vpc_connectors, None, False)]

    @_locked
    def delete_vpc_connector(self, arn: str) -> dict[str, Any]:
        connector = self._find_revision(self.vpc_connectors, arn, "VPC connector")
        users = [s.name for s in self.services.values() if s.active and s.vpc_connector_arn == connector.arn]
        if users:
            raise InvalidRequestException(
                f"VPC connector {connector.arn} is in use by service(s) {', '.join(users)}; "
                "change their egress configuration first"
            )
        connector.deleted_at = utcnow()
        return connector.describe(self)

    # -- observability configurations -------------------------------------------------------

    @_locked
    def create_observability_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ObservabilityConfigurationName"]
        revision = self._next_revision(self.observability_configs, name)
        config = ObservabilityConfiguration(self, name, revision, params.get("TraceConfiguration"))
        self._set_tags(config.arn, params.get("Tags"))
        self.observability_configs[config.arn] = config
        return config.describe(self)

    @_locked
    def describe_observability_configuration(self, arn: str) -> dict[str, Any]:
        return self._find_revision(
            self.observability_configs, arn, "Observability configuration", active_only=False
        ).describe(self)

    @_locked
    @paginate(pagination_model=PAGINATION_MODEL)
    def list_observability_configurations(self, name: str | None, latest_only: bool) -> list[dict[str, Any]]:
        return [c.summary() for c in self._active_revisions(self.observability_configs, name, latest_only)]

    @_locked
    def delete_observability_configuration(self, arn: str) -> dict[str, Any]:
        config = self._find_revision(self.observability_configs, arn, "Observability configuration")
        users = [
            s.name
            for s in self.services.values()
            if s.active and s.config["ObservabilityConfiguration"].get("ObservabilityConfigurationArn") == config.arn
        ]
        if users:
            raise InvalidRequestException(
                f"Observability configuration {config.arn} is in use by service(s) {', '.join(users)}"
            )
        config.deleted_at = utcnow()
        return config.describe(self)

    # -- connections -------------------------------------------------------------------------

    @_locked
    def create_connection(self, name: str, provider: str, tags: list[dict[str, str]] | None) -> dict[str, Any]:
        if any(c.name == name for c in self.connections.values()):
            raise InvalidRequestException(f"Connection with the provided name already exists: {name}")
        connection = Connection(self, name, provider)
        self._set_tags(connection.arn, tags)
        self.connections[connection.arn] = connection
        return connection.describe()

    @_locked
    @paginate(pagination_model=PAGINATION_MODEL)
    def list_connections(self, name: str | None) -> list[dict[str, Any]]:
        return [c.describe() for c in self.connections.values() if not name or c.name == name]

    @_locked
    def complete_handshake(self, name: str) -> dict[str, Any]:
        """Local-only: what the console's "Complete handshake" does to a PENDING_HANDSHAKE connection."""
        connection = next((c for c in self.connections.values() if c.name == name), None)
        if connection is None:
            raise ResourceNotFoundException(f"Connection {name!r} doesn't exist")
        connection.status = "AVAILABLE"
        return connection.describe()

    @_locked
    def delete_connection(self, arn: str) -> dict[str, Any]:
        connection = self.connections.pop(arn, None)
        if connection is None:
            raise ResourceNotFoundException(f"Connection {arn!r} doesn't exist")
        self.tagger.delete_all_tags_for_resource(arn)
        return {**connection.describe(), "Status": "DELETED"}

    # -- tags --------------------------------------------------------------------------------

    def _tagged(self, arn: str) -> str:
        if arn not in self._known_arns():
            raise ResourceNotFoundException(f"Resource {arn!r} doesn't exist")
        return arn

    @_locked
    def tag_resource(self, arn: str, tags: list[dict[str, str]]) -> None:
        self._set_tags(self._tagged(arn), tags)

    @_locked
    def untag_resource(self, arn: str, keys: list[str]) -> None:
        self.tagger.untag_resource_using_names(self._tagged(arn), keys)

    @_locked
    def list_tags_for_resource(self, arn: str) -> list[dict[str, str]]:
        return self.tagger.list_tags_for_resource(self._tagged(arn))["Tags"]


apprunner_backends = BackendDict(AppRunnerBackend, "apprunner")
