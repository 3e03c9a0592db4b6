#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apprunner_service
version_added: 0.1.0
short_description: Manage AWS App Runner services
description:
  - Create, update, pause, resume, redeploy and delete AWS App Runner services.
  - The service is identified by O(name) (App Runner service names are unique per account and region
    among services that are not deleted).
  - Only the settings the task sets are compared and changed. Values are compared after
    normalising the forms AWS accepts to the form it returns (for example O(cpu=1 vCPU) is
    C(1024)), so settings AWS fills in with defaults never cause a change by themselves.
  - Before any change the module waits out an operation already in progress on the service
    (App Runner refuses changes while one runs). With O(wait=true) it waits for its own
    operations and fails if one failed or was rolled back, naming the operation id.
  - "What triggers a deployment: creating the service; an update of any setting the task manages
    (App Runner deploys on every UpdateService, so a new O(image.identifier) - for example a new
    tag - is deployed this way); O(force_deployment=true); and a change of the versions of the secrets
    the service references (see O(track_secret_versions)). A tag whose image digest changed in
    the registry is not detected: deploy with a new tag or O(force_deployment=true)."
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description:
      - Name of the service.
    type: str
    required: true
    aliases: ['service_name']
  state:
    description:
      - V(present) makes sure the service exists with the given settings and leaves a paused service paused.
      - V(running) also resumes a paused service; V(paused) also pauses a running one.
      - V(absent) deletes the service.
    type: str
    choices: ['present', 'absent', 'running', 'paused']
    default: present
  image:
    description:
      - Deploy from a container image. Mutually exclusive with O(code).
      - Needed to create a service (or O(code)); on an existing service only what is set here is compared.
    type: dict
    suboptions:
      identifier:
        description:
          - Image URI, for example C(123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2).
        type: str
        required: true
      repository_type:
        description:
          - Registry type. Defaults to V(ECR_PUBLIC) for C(public.ecr.aws/) images and V(ECR) otherwise.
        type: str
        choices: ['ECR', 'ECR_PUBLIC']
      port:
        description:
          - Port the application listens on. AWS defaults to C(8080).
        type: str
      start_command:
        description:
          - Command that starts the application, overriding the image's.
        type: str
      environment:
        description:
          - Environment variables (plain values). Replaces the whole set; V({}) removes them all.
        type: dict
      secrets:
        description:
          - Environment variables whose values App Runner reads at deployment from Secrets Manager secrets or
            SSM parameters (C(RuntimeEnvironmentSecrets)). Values are ARNs (or SSM parameter names), never the
            secrets themselves. Replaces the whole set.
          - A value C(secretsmanager:<secret name>) or C(secretsmanager:<secret name>:<json key>) names a
            Secrets Manager secret; the module resolves it with C(DescribeSecret) (never C(GetSecretValue))
            to the secret's full ARN, or to C(<full ARN>:<json key>::) to pass one key of a JSON secret,
            before comparing with the service. A named secret that does not exist fails the task (see
            O(missing_secrets)); in check mode, when the service does not exist yet, it is planned with a
            placeholder value naming the secret.
        type: dict
  code:
    description:
      - Build and deploy from a source code repository. Mutually exclusive with O(image).
    type: dict
    suboptions:
      repository_url:
        description: URL of the repository.
        type: str
        required: true
      branch:
        description: Branch to deploy.
        type: str
        required: true
      connection_arn:
        description: ARN of the App Runner connection to the repository provider.
        type: str
      source_directory:
        description: Directory of the repository to build from.
        type: str
      configuration_source:
        description:
          - V(API) takes the build settings from this task; V(REPOSITORY) from C(apprunner.yaml) in the repository.
        type: str
        choices: ['API', 'REPOSITORY']
        default: API
      runtime:
        description: Runtime of the build (required with O(code.configuration_source=API) on creation).
        type: str
        choices: ['PYTHON_3', 'PYTHON_311', 'NODEJS_12', 'NODEJS_14', 'NODEJS_16', 'NODEJS_18', 'NODEJS_22',
                  'CORRETTO_8', 'CORRETTO_11', 'GO_1', 'DOTNET_6', 'PHP_81', 'RUBY_31']
      build_command:
        description: Build command.
        type: str
      start_command:
        description: Start command.
        type: str
      port:
        description: Port the application listens on.
        type: str
      environment:
        description: Environment variables (plain values). Replaces the whole set.
        type: dict
      secrets:
        description: Like O(image.secrets).
        type: dict
  access_role_arn:
    description:
      - IAM role App Runner uses to pull a private ECR image.
    type: str
  auto_deployments_enabled:
    description:
      - Whether App Runner deploys automatically when the image or branch changes.
    type: bool
  cpu:
    description:
      - vCPUs of each instance as V(0.25), V(0.5), V(1), V(2), V(4), V(1 vCPU) or CPU units V(1024).
      - Returned as CPU units.
    type: str
  memory:
    description:
      - Memory of each instance in GB (V(2), V(2 GB)) or MB (V(2048)). Returned in MB.
    type: str
  instance_role_arn:
    description:
      - IAM role the application runs as.
    type: str
  health_check:
    description:
      - Health check settings; unset suboptions keep their current (or default) value.
    type: dict
    suboptions:
      protocol:
        description: V(TCP) or V(HTTP).
        type: str
        choices: ['TCP', 'HTTP']
      path:
        description: HTTP path checked (with O(health_check.protocol=HTTP)).
        type: str
      interval:
        description: Seconds between checks (1-20).
        type: int
      timeout:
        description: Seconds to wait for an answer (1-20).
        type: int
      healthy_threshold:
        description: Successes before an instance is healthy (1-20).
        type: int
      unhealthy_threshold:
        description: Failures before an instance is unhealthy (1-20).
        type: int
  auto_scaling_configuration:
    description:
      - Auto scaling configuration as a name (its latest active revision is used) or a revision ARN.
    type: str
  egress_type:
    description:
      - V(VPC) sends outbound traffic through O(vpc_connector); V(DEFAULT) through the internet.
      - Defaults to V(VPC) when O(vpc_connector) is set.
    type: str
    choices: ['DEFAULT', 'VPC']
  vpc_connector:
    description:
      - VPC connector for outbound traffic, as a name (its newest active revision) or an ARN.
    type: str
  publicly_accessible:
    description:
      - V(true) for public ingress, V(false) for private ingress (through a VPC interface endpoint).
    type: bool
  ip_address_type:
    description:
      - IP address type of the public endpoint.
    type: str
    choices: ['IPV4', 'DUAL_STACK']
  observability:
    description:
      - Tracing.
    type: dict
    suboptions:
      enabled:
        description: Whether observability is enabled.
        type: bool
        required: true
      configuration_arn:
        description: ARN of the observability configuration (required when O(observability.enabled=true)).
        type: str
  kms_key:
    description:
      - ARN of the KMS key that encrypts the service's stored copies of the source. Set at creation only;
        a different value on an existing service fails (App Runner cannot change it).
    type: str
  keep_deployed_image:
    description:
      - When the service exists, keep the image it runs and ignore O(image.identifier); O(image.identifier) is then
        only the image a new service is created from.
      - For a task that owns the service's configuration while another one (a deploy playbook, CI) moves its
        image, without a separate look-up of the current image first.
      - Has no effect on a service deployed from source code (O(code)).
    type: bool
    default: false
    version_added: 0.2.0
  force_deployment:
    description:
      - Start a new deployment even when nothing changed (when nothing else already deploys in this run).
        Always reports a change.
    type: bool
    default: false
  track_secret_versions:
    description:
      - Redeploy when a secret or parameter in O(image.secrets) / O(code.secrets) has a new version since the
        last deployment. App Runner reads secrets only at deployment, so a rotated secret reaches the
        application only by a new deployment.
      - The versions are read with Secrets Manager C(DescribeSecret) and SSM C(DescribeParameters) (read-only calls
        that never return a value) and recorded as a fingerprint in the service tag C(invoice:secrets-version).
        That tag is never purged by O(purge_tags).
    type: bool
    default: true
  missing_secrets:
    description:
      - What to do when a C(secretsmanager:<secret name>) reference in O(image.secrets) / O(code.secrets)
        names a secret that does not exist (or is scheduled for deletion).
      - V(fail) fails the task, naming the variable and the secret.
      - V(omit) leaves the variable out of the service's secrets and warns, naming both.
    type: str
    choices: ['fail', 'omit']
    default: fail
  secrets_fingerprint:
    description:
      - Use this value as the secrets fingerprint instead of reading versions (for example a version number kept
        by the caller). Ignored when O(track_secret_versions=false).
    type: str
  wait:
    description:
      - Wait for the module's operations to finish (and fail if one failed or was rolled back).
      - Operations already in progress are always waited out before a change, whatever this says.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for each operation. The poll interval is one sixtieth of it, between 1 and 15 seconds.
    type: int
    default: 1200
notes:
  - App Runner stopped accepting new customers on 2026-04-30; existing accounts keep working.
  - Support for check mode and diff mode; the diff shows the settings the task manages, before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run the API from an ECR image
  invoice.platform.apprunner_service:
    name: invoice-api
    image:
      identifier: "123456789012.dkr.ecr.us-east-1.amazonaws.com/invoice-api:1.4.2"
      port: "8000"
      environment:
        LOG_LEVEL: info
      secrets:
        DATABASE_URL: "arn:aws:secretsmanager:us-east-1:123456789012:secret:invoice/db-AbCdEf"
        ANTHROPIC_API_KEY: "arn:aws:ssm:us-east-1:123456789012:parameter/invoice/anthropic-key"
        # Resolved to arn:aws:secretsmanager:...:secret:invoice-prod-database-master-AbCdEf:password::
        DB_PASSWORD: "secretsmanager:invoice-prod-database-master:password"
    access_role_arn: "arn:aws:iam::123456789012:role/invoice-apprunner-ecr"
    instance_role_arn: "arn:aws:iam::123456789012:role/invoice-api"
    cpu: 1 vCPU
    memory: 2 GB
    health_check:
      protocol: HTTP
      path: /health
    auto_scaling_configuration: invoice-api
    vpc_connector: invoice-db
    tags:
      project: invoice

- name: Redeploy the same image
  invoice.platform.apprunner_service:
    name: invoice-api
    force_deployment: true

- name: Pause the staging API at night
  invoice.platform.apprunner_service:
    name: invoice-api-staging
    state: paused

- name: Delete the service
  invoice.platform.apprunner_service:
    name: invoice-api-staging
    state: absent
"""

RETURN = r"""
service:
  description: The service as DescribeService returns it (snake_case keys; environment maps keep their keys).
  returned: when the service exists (in check mode, as it was before)
  type: dict
  contains:
    service_arn:
      description: ARN of the service.
      type: str
      sample: arn:aws:apprunner:us-east-1:123456789012:service/invoice-api/8fe1e10304f84fd2b0df550fe98a71fa
    service_name:
      description: Name.
      type: str
    service_url:
      description: Host name App Runner serves the service on.
      type: str
      sample: abcdefgh.us-east-1.awsapprunner.com
    status:
      description: Status, for example C(RUNNING), C(PAUSED), C(OPERATION_IN_PROGRESS).
      type: str
    source_configuration:
      description: Image or code source.
      type: dict
    instance_configuration:
      description: C(cpu) (CPU units), C(memory) (MB), C(instance_role_arn).
      type: dict
    health_check_configuration:
      description: Health check settings.
      type: dict
    auto_scaling_configuration_summary:
      description: The auto scaling configuration revision in use.
      type: dict
    network_configuration:
      description: Egress and ingress settings.
      type: dict
    tags:
      description: Tags of the service.
      returned: when O(tags) is set or secrets versions are tracked
      type: dict
operation_id:
  description: Id of the last operation the module started.
  returned: when an operation was started
  type: str
deployment_reasons:
  description: Why the module deployed (empty when it did not).
  returned: always
  type: list
  elements: str
  sample: ["update of SourceConfiguration.ImageRepository.ImageIdentifier"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils._apprunner import transformations as tf
from ansible_collections.invoice.platform.plugins.module_utils._options import tag_options, wait_options
from ansible_collections.invoice.platform.plugins.module_utils.apprunner import (
    apply_tag_changes,
    check_operation,
    create_service,
    delete_service,
    describe_service,
    find_service,
    get_tags,
    pause_service,
    resolve_auto_scaling_configuration,
    resolve_secret_names,
    resolve_vpc_connector,
    resume_service,
    run_module,
    secret_versions_fingerprint,
    snake_keep_user_keys,
    start_deployment,
    tag_changes,
    to_ansible,
    update_service,
    wait_for_service,
)

_KEEP_TAGS = (tf.SECRETS_VERSION_TAG,)

UPDATABLE_SECTIONS = (
    "SourceConfiguration",
    "InstanceConfiguration",
    "HealthCheckConfiguration",
    "NetworkConfiguration",
    "ObservabilityConfiguration",
)

# Runtimes of App Runner's managed builds (CodeConfigurationValues.Runtime).
CODE_RUNTIMES = [
    "PYTHON_3",
    "PYTHON_311",
    "NODEJS_12",
    "NODEJS_14",
    "NODEJS_16",
    "NODEJS_18",
    "NODEJS_22",
    "CORRETTO_8",
    "CORRETTO_11",
    "GO_1",
    "DOTNET_6",
    "PHP_81",
    "RUBY_31",
]

# Settings of the code build that apprunner.yaml supplies with configuration_source=REPOSITORY.
CODE_BUILD_SETTINGS = ("runtime", "build_command", "start_command", "port", "environment", "secrets")


def snake(data):
    return snake_keep_user_keys(data)


def validate_options(module):
    """Checks the argument spec cannot express, before any API call. Returns the normalised options."""
    params = dict(module.params)
    try:
        params["cpu"] = tf.normalize_cpu(params["cpu"])
        params["memory"] = tf.normalize_memory(params["memory"])
        for ref in tf.secret_references(params):
            tf.parse_secret_reference(ref)
    except tf.OptionError as e:
        module.fail_json(msg=str(e))
    if params["egress_type"] == "DEFAULT" and params["vpc_connector"]:
        module.fail_json(msg="vpc_connector is set but egress_type=DEFAULT; drop one of them")
    code = params["code"]
    if code and code["configuration_source"] == "REPOSITORY":
        set_values = [k for k in CODE_BUILD_SETTINGS if code.get(k) is not None]
        if set_values:
            module.fail_json(
                msg=f"code.{set_values[0]} is set but code.configuration_source=REPOSITORY takes the build "
                "settings from apprunner.yaml; use configuration_source=API or drop it"
            )
    return params


class ServiceManager:
    """Converges one service; collects the diff and the result.

    An existing service is converged in two steps. ``ensure_*`` each compare one concern,
    add it to the one diff and say whether it changes; then, outside check mode, ``_apply``
    starts the operations in the order App Runner allows (one at a time: resume, update or
    deployment, pause) and sets the tags last.
    """

    def __init__(self, module, client, params):
        self.module = module
        self.client = client
        self.params = params
        self.check_mode = module.check_mode
        self.changed = False
        self.operation_id = None
        self.reasons = []
        self.before = {}
        self.after = {}
        self.waited = False
        self.pending = None
        self.known_versions = {}
        self.updates = {}
        self.tag_changes = ({}, [])

    # -- helpers --

    def _wait(self, arn, deleted=False):
        wait_for_service(self.client, arn, self.params["wait_timeout"], deleted=deleted)

    def _settle(self, arn):
        """Wait for the operation the module started last, and fail if it failed or rolled back."""
        if self.pending:
            self._wait(arn)
            check_operation(self.client, arn, self.pending)
            self.pending = None

    def _start(self, arn, operation):
        """Start an operation once the previous one has finished (App Runner runs one at a time)."""
        self._settle(arn)
        self.operation_id = self.pending = operation()

    def _done(self, arn):
        if self.params["wait"]:
            self._settle(arn)

    def desired_tags(self, fingerprint):
        tags = self.params["tags"]
        if fingerprint is None:
            return tags
        tags = dict(self.params["tags"] or {}) if tags is not None else {}
        tags[tf.SECRETS_VERSION_TAG] = fingerprint
        return tags

    def fingerprint(self):
        if not self.params["track_secret_versions"]:
            return None
        if self.params["secrets_fingerprint"]:
            return self.params["secrets_fingerprint"]
        refs = tf.secret_references(self.params)
        if not refs:
            return None
        retry = AWSRetry.jittered_backoff()
        return secret_versions_fingerprint(
            self.module.client("ssm", retry_decorator=retry),
            self.module.client("secretsmanager", retry_decorator=retry),
            refs,
            known=self.known_versions,
        )

    def _state_moves(self, status):
        """(resume, pause) needed to reach the requested state from ``status``."""
        state = self.params["state"]
        return state == "running" and status == "PAUSED", state == "paused" and status != "PAUSED"

    # -- a new service --

    def create(self, desired, fingerprint):
        name = self.params["name"]
        if "SourceConfiguration" not in desired or not (
            "ImageRepository" in desired["SourceConfiguration"] or "CodeRepository" in desired["SourceConfiguration"]
        ):
            self.module.fail_json(msg=f"Service {name} does not exist: image or code is needed to create it")
        self.before, self.after = {}, snake(desired)
        self.reasons.append("creation")
        self.changed = True
        if self.check_mode:
            return None
        request = dict(desired, ServiceName=name)
        tags = self.desired_tags(fingerprint)
        if tags:
            request["Tags"] = [dict(Key=k, Value=v) for k, v in tags.items()]
        response = create_service(self.client, request)
        arn = response["Service"]["ServiceArn"]
        self.operation_id = self.pending = response["OperationId"]
        if self.params["state"] == "paused":
            self._start(arn, lambda: pause_service(self.client, arn)["OperationId"])
        self._done(arn)
        return arn

    # -- an existing service --

    def converge(self, service, desired, fingerprint, tags):
        """Compare each concern of an existing service, then act on what differs."""
        comparable = tf.service_comparable(service)
        changed = self.ensure_configuration(service, desired, comparable)
        changed |= self.ensure_deployment(fingerprint, tags)
        changed |= self.ensure_tags(tags, fingerprint)
        changed |= self.ensure_run_state(service["Status"])
        self.changed = changed
        if not self.check_mode:
            self._apply(service)

    def ensure_configuration(self, service, desired, comparable):
        """The settings the task sets: the sections that differ go into one UpdateService."""
        paths = tf.differing_paths(desired, comparable)
        self._check_updatable(service, paths, comparable)
        self.before.update(snake(tf.subset(desired, comparable)))
        self.after.update(snake(desired))
        for section in {p.split(".")[0] for p in paths}:
            if section in UPDATABLE_SECTIONS:
                self.updates[section] = tf.merge(comparable.get(section), desired[section])
            else:  # AutoScalingConfigurationArn, the only other updatable field
                self.updates[section] = desired[section]
        if not paths:
            return False
        self.reasons.append("update of " + ", ".join(sorted(paths)))
        return True

    def ensure_deployment(self, fingerprint, tags):
        """A deployment of an unchanged configuration: forced, or for a new version of a secret."""
        if self.updates:
            return False  # App Runner deploys on every UpdateService
        if self.params["force_deployment"]:
            self.reasons.append("force_deployment")
        elif fingerprint is not None and tags.get(tf.SECRETS_VERSION_TAG) != fingerprint:
            self.reasons.append("new version of a referenced secret")
        return bool(self.reasons)

    def ensure_tags(self, tags, fingerprint):
        """The task's tags and the secrets fingerprint tag (without tags in the task, nothing is purged)."""
        target = self.desired_tags(fingerprint)
        if target is None:
            return False
        purge = self.params["purge_tags"] and self.params["tags"] is not None
        self.before["tags"] = dict(tags)
        self.after["tags"] = tf.tags_after(tags, target, purge_tags=purge, keep=_KEEP_TAGS)
        self.tag_changes = tag_changes(tags, target, purge_tags=purge, keep=_KEEP_TAGS)
        return any(self.tag_changes)

    def ensure_run_state(self, status):
        """state=running resumes a paused service, state=paused pauses a running one."""
        resume, pause = self._state_moves(status)
        if not (resume or pause):
            return False
        self.before["status"] = status
        self.after["status"] = "PAUSED" if pause else "RUNNING"
        return True

    def _check_updatable(self, service, paths, comparable):
        if any(p.startswith("EncryptionConfiguration") for p in paths):
            current_key = comparable.get("EncryptionConfiguration", {}).get("KmsKey", "an AWS owned key")
            self.module.fail_json(
                msg=f"kms_key differs from the key of service {self.params['name']} ({current_key}); App Runner sets "
                "the encryption key at creation only: delete and recreate the service to change it"
            )
        if service["Status"] in ("CREATE_FAILED", "DELETE_FAILED"):
            self.module.fail_json(
                msg=f"Service {self.params['name']} is in status {service['Status']}; delete it (state=absent) and "
                "create it again"
            )

    def _apply(self, service):
        """Start the operations the ensure_* steps found, one at a time; tags last."""
        arn, status = service["ServiceArn"], service["Status"]
        must_act = bool(self.reasons) or any(self._state_moves(status))
        if status == "OPERATION_IN_PROGRESS" and (must_act or self.params["wait"]):
            # App Runner refuses changes while an operation runs: wait it out, then look again.
            self._wait(arn)
            self.waited = True
            status = describe_service(self.client, arn)["Status"]
        resume, pause = self._state_moves(status)
        if resume:
            self._start(arn, lambda: resume_service(self.client, arn)["OperationId"])
        if self.updates:
            self._start(arn, lambda: update_service(self.client, arn, self.updates)["OperationId"])
        elif self.reasons:
            self._start(arn, lambda: start_deployment(self.client, arn))
        if pause:
            self._start(arn, lambda: pause_service(self.client, arn)["OperationId"])
        self._done(arn)
        # Tags last: the secrets fingerprint is recorded once its deployment has succeeded.
        apply_tag_changes(self.client, arn, *self.tag_changes)

    # -- deletion --

    def delete(self, service):
        arn = service["ServiceArn"]
        self.before = dict(service_name=service["ServiceName"], status=service["Status"])
        self.after = {}
        self.changed = True
        if self.check_mode:
            return
        if service["Status"] == "OPERATION_IN_PROGRESS":
            self._wait(arn)
        response = delete_service(self.client, arn)
        if response:
            self.operation_id = response.get("OperationId")
        if self.params["wait"]:
            self._wait(arn, deleted=True)


def service_manager(module, client, params, service):
    """The manager of the service, with the ``secretsmanager:<name>`` references resolved to ARNs."""
    if params["state"] == "absent":
        return ServiceManager(module, client, params)
    params, versions, omitted = resolve_secret_names(
        lambda: module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff()),
        params,
        check_mode=module.check_mode,
        service_exists=service is not None,
        missing=params["missing_secrets"],
    )
    for variable, name in omitted:
        # AnsibleAWSModule.warn (amazon.aws 11.4) also passes warnings= to exit_json, which
        # ansible-core 2.21 reports as deprecated; AnsibleModule.warn alone reaches the result.
        module._module.warn(f"secrets: {variable} left out: Secrets Manager secret {name!r} does not exist")
    manager = ServiceManager(module, client, params)
    manager.known_versions = versions
    return manager


def keep_image(params, service):
    """``params`` with ``image.identifier`` set to the image ``service`` runs (keep_deployed_image)."""
    if service is None:
        return params
    running = service.get("SourceConfiguration", {}).get("ImageRepository", {}).get("ImageIdentifier")
    if not (params["keep_deployed_image"] and params.get("image") and running):
        return params
    return dict(params, image=dict(params["image"], identifier=running))


def ensure_present(module, client, manager, service):
    """Create or converge the service: (ARN it acted on or None, whether tags are managed, tags read)."""
    params = manager.params
    asc_arn = resolve_auto_scaling_configuration(
        client, params["auto_scaling_configuration"], check_mode=module.check_mode
    )
    vpc_arn = resolve_vpc_connector(client, params["vpc_connector"], check_mode=module.check_mode)
    desired = tf.desired_service(params, auto_scaling_arn=asc_arn, vpc_connector_arn=vpc_arn)
    # A plan (check mode) of a new service records no versions: the secrets it names may be
    # created by an earlier task of the same run, which check mode did not run either.
    fingerprint = None if service is None and module.check_mode else manager.fingerprint()
    tagged = params["tags"] is not None or fingerprint is not None
    if service is None:
        return manager.create(desired, fingerprint), tagged, None
    tags = get_tags(client, service["ServiceArn"]) if tagged else None
    manager.converge(service, desired, fingerprint, tags or {})
    acted_on = service["ServiceArn"] if manager.changed or manager.waited else None
    return acted_on, tagged, tags


def converge(module, client, params):
    service = find_service(client, params["name"])
    params = keep_image(params, service)
    manager = service_manager(module, client, params, service)
    tags = None
    if params["state"] == "absent":
        if service:
            manager.delete(service)
        service = None
    else:
        acted_on, tagged, tags = ensure_present(module, client, manager, service)
        if acted_on and not module.check_mode:
            # Read back what the module changed; a run that changed nothing returns what it read.
            service = describe_service(client, acted_on)
            tags = get_tags(client, acted_on) if tagged else tags
    result = dict(changed=manager.changed, deployment_reasons=manager.reasons)
    if manager.operation_id:
        result["operation_id"] = manager.operation_id
    if service:
        result["service"] = to_ansible(service, tags=tags)
    result["diff"] = dict(before=manager.before, after=manager.after)
    return result


def main():
    runtime_values = dict(
        port=dict(type="str"),
        start_command=dict(type="str"),
        environment=dict(type="dict"),
        secrets=dict(type="dict", no_log=False),
    )
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["service_name"]),
        state=dict(type="str", default="present", choices=["present", "absent", "running", "paused"]),
        image=dict(
            type="dict",
            options=dict(
                identifier=dict(type="str", required=True),
                repository_type=dict(type="str", choices=["ECR", "ECR_PUBLIC"]),
                **runtime_values,
            ),
        ),
        code=dict(
            type="dict",
            options=dict(
                repository_url=dict(type="str", required=True),
                branch=dict(type="str", required=True),
                connection_arn=dict(type="str"),
                source_directory=dict(type="str"),
                configuration_source=dict(type="str", default="API", choices=["API", "REPOSITORY"]),
                runtime=dict(type="str", choices=CODE_RUNTIMES),
                build_command=dict(type="str"),
                **runtime_values,
            ),
        ),
        access_role_arn=dict(type="str"),
        auto_deployments_enabled=dict(type="bool"),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        instance_role_arn=dict(type="str"),
        health_check=dict(
            type="dict",
            options=dict(
                protocol=dict(type="str", choices=["TCP", "HTTP"]),
                path=dict(type="str"),
                interval=dict(type="int"),
                timeout=dict(type="int"),
                healthy_threshold=dict(type="int"),
                unhealthy_threshold=dict(type="int"),
            ),
        ),
        auto_scaling_configuration=dict(type="str"),
        egress_type=dict(type="str", choices=["DEFAULT", "VPC"]),
        vpc_connector=dict(type="str"),
        publicly_accessible=dict(type="bool"),
        ip_address_type=dict(type="str", choices=["IPV4", "DUAL_STACK"]),
        observability=dict(
            type="dict",
            options=dict(enabled=dict(type="bool", required=True), configuration_arn=dict(type="str")),
            required_if=[("enabled", True, ["configuration_arn"])],
        ),
        kms_key=dict(type="str", no_log=False),
        force_deployment=dict(type="bool", default=False),
        keep_deployed_image=dict(type="bool", default=False),
        track_secret_versions=dict(type="bool", default=True, no_log=False),
        secrets_fingerprint=dict(type="str", no_log=False),
        missing_secrets=dict(type="str", default="fail", choices=["fail", "omit"], no_log=False),
        **tag_options(),
        **wait_options(1200),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("image", "code")],
        required_if=[("egress_type", "VPC", ["vpc_connector"])],
        supports_check_mode=True,
    )
    params = validate_options(module)
    client = module.client("apprunner", retry_decorator=AWSRetry.jittered_backoff())
    run_module(module, lambda: converge(module, client, params))


if __name__ == "__main__":
    main()
