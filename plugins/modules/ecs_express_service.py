#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_express_service
version_added: 0.3.0
short_description: Manage Amazon ECS Express Mode services
description:
  - Create, update and delete Amazon ECS Express Mode services (C(CreateExpressGatewayService) and friends).
    ECS creates and manages what the service needs (the Application Load Balancer with its HTTPS listener, rule
    and target group, security groups, the Application Auto Scaling target and policy, the log group).
  - The service is identified by O(name) in O(cluster).
  - Only the settings the task sets are compared and changed; settings ECS fills in with defaults never cause a
    change by themselves. Lists of subnets and security groups are compared as sets; O(environment) and
    O(secrets) as maps.
  - An update is deployed by ECS as a canary (a share of the traffic first, then all of it). With O(wait=true)
    the module follows the deployment on the ECS service and fails when it was rolled back (the service then
    runs its previous configuration).
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description:
      - Name of the service (letters, digits, hyphens and underscores, at most 255).
    type: str
    required: true
    aliases: ['service_name']
  cluster:
    description:
      - Name or ARN of the cluster. ECS uses (and creates when missing) the cluster C(default) when unset.
    type: str
    default: default
  state:
    description:
      - V(present) makes sure the service exists with the given settings; V(absent) deletes it (ECS drains its
        tasks, then removes the service and the infrastructure it created).
    type: str
    choices: ['present', 'absent']
    default: present
  image:
    description:
      - Image of the primary container, for example C(123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2).
      - Needed to create the service.
    type: str
  port:
    description:
      - Port the application listens on (ECS's default is C(80)).
    type: int
  command:
    description:
      - Command of the primary container, overriding the image's.
    type: list
    elements: str
  environment:
    description:
      - Environment variables (plain values). Replaces the whole set; V({}) removes them all.
    type: dict
  secrets:
    description:
      - Environment variables whose values ECS reads at task start from Secrets Manager secrets or SSM
        parameters (C(valueFrom)). Values are ARNs (or SSM parameter names), never the secrets themselves.
        Replaces the whole set.
      - A value C(secretsmanager:<secret name>) or C(secretsmanager:<secret name>:<json key>) names a
        Secrets Manager secret; the module resolves it with C(DescribeSecret) (never C(GetSecretValue)) to the
        secret's full ARN, or to C(<full ARN>:<json key>::) to pass one key of a JSON secret, before comparing
        with the service (the resolution of M(invoice.platform.apprunner_service)). A named secret that does
        not exist fails the task (see O(missing_secrets)); in check mode, when the service does not exist yet,
        it is planned with a placeholder value naming the secret.
    type: dict
  missing_secrets:
    description:
      - A C(secretsmanager:<secret name>) reference in O(secrets) names a secret that does not exist (or is
        scheduled for deletion) - V(fail) fails the task naming the variable and the secret, V(omit) leaves the
        variable out with a warning naming both.
    type: str
    choices: ['fail', 'omit']
    default: fail
  keep_deployed_image:
    description:
      - When the service exists, keep the image it runs instead of O(image) (O(image) is then only the image a
        new service starts from). For a role that creates the service while deploys move it to new builds.
    type: bool
    default: false
  log_group:
    description:
      - CloudWatch Logs group of the container's output (ECS creates one when unset). Set with O(log_stream_prefix).
    type: str
  log_stream_prefix:
    description:
      - Prefix of the log streams. Set with O(log_group).
    type: str
  execution_role_arn:
    description:
      - Task execution role (pulls the image, reads the secrets, writes the logs). Needed to create the service.
    type: str
  infrastructure_role_arn:
    description:
      - Role ECS uses to manage the load balancer, security groups and scaling. Needed to create the service;
        set at creation only (a different value on an existing service fails).
    type: str
  task_role_arn:
    description:
      - Role the application runs as.
    type: str
  health_check_path:
    description:
      - Path the load balancer checks (HTTP 200 is healthy); starts with C(/). ECS's default is C(/ping).
    type: str
  cpu:
    description:
      - CPU units of each task (ECS's default is C(256)).
    type: str
    choices: ['256', '512', '1024', '2048', '4096', '8192', '16384']
  memory:
    description:
      - Memory of each task in MiB (ECS's default is C(512)); must be a Fargate size for O(cpu).
    type: str
  cpu_architecture:
    description:
      - CPU architecture of the tasks.
    type: str
    choices: ['X86_64', 'ARM64']
  subnets:
    description:
      - Subnets of the tasks and the load balancer (ECS uses the default VPC's when unset). Compared as a set.
    type: list
    elements: str
  security_groups:
    description:
      - Security groups of the tasks (ECS creates one when unset). Compared as a set.
    type: list
    elements: str
  min_tasks:
    description:
      - Fewest tasks auto scaling keeps (ECS's default is C(1)).
    type: int
  max_tasks:
    description:
      - Most tasks auto scaling starts (ECS's default is C(20)).
    type: int
  scaling_metric:
    description:
      - Metric the target-tracking policy follows.
    type: str
    choices: ['AVERAGE_CPU', 'AVERAGE_MEMORY', 'REQUEST_COUNT_PER_TARGET']
  scaling_target_value:
    description:
      - Value of O(scaling_metric) the policy keeps (ECS's default is C(60)).
    type: int
  wait:
    description:
      - Wait for the module's deployment (or deletion) to finish, and fail if the deployment was rolled back.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait. The poll interval is one sixtieth of it, between 1 and 15 seconds.
    type: int
    default: 1200
notes:
  - Support for check mode and diff mode; the diff shows the options the task sets, before and after.
  - Tags are the ECS service's tags (C(TagResource) on the service ARN).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run the API on ECS Express Mode
  invoice.platform.ecs_express_service:
    name: invoice-api
    image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/invoice-api:1.4.2"
    port: 8000
    health_check_path: /health
    environment:
      LOG_LEVEL: info
    secrets:
      DB_PASSWORD: "arn:aws:secretsmanager:us-east-1:123456789012:secret:invoice-db-AbCdEf:password::"
    execution_role_arn: "arn:aws:iam::123456789012:role/invoice-ecs-execution"
    infrastructure_role_arn: "arn:aws:iam::123456789012:role/invoice-ecs-infrastructure"
    cpu: "1024"
    memory: "2048"
    min_tasks: 2
    max_tasks: 10
    scaling_metric: REQUEST_COUNT_PER_TARGET
    scaling_target_value: 200
    tags:
      project: invoice
  register: api

- name: Print its URL
  ansible.builtin.debug:
    msg: "https://{{ api.service.service_url }}"

- name: Deploy a new image (a canary deployment; fails if ECS rolls it back)
  invoice.platform.ecs_express_service:
    name: invoice-api
    image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/invoice-api:1.4.3"

- name: Delete the service
  invoice.platform.ecs_express_service:
    name: invoice-api
    state: absent
"""

RETURN = r"""
service:
  description: The service as DescribeExpressGatewayService returns it (snake_case keys), with its tags and URL.
  returned: when the service exists (in check mode, as it was before)
  type: dict
  contains:
    service_arn:
      description: ARN of the service (the ECS service's).
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:service/default/invoice-api
    service_name:
      description: Name.
      type: str
    cluster:
      description: ARN of the cluster.
      type: str
    status:
      description: C(status_code) (C(ACTIVE), C(DRAINING), C(INACTIVE)) and C(status_reason).
      type: dict
    current_deployment:
      description: ARN of the service's latest deployment.
      type: str
    active_configurations:
      description:
        - The configurations serving traffic; two while a deployment rolls out.
        - Each has C(service_revision_arn), C(task_definition_arn), C(primary_container), C(cpu), C(memory),
          C(health_check_path), C(network_configuration), C(scaling_target) and C(ingress_paths).
      type: list
      elements: dict
    service_url:
      description: Endpoint of the newest configuration (C(127.0.0.1:<port>) on the local endpoint).
      type: str
      sample: invoice-api-8f3e2a1b.ecs.us-east-1.on.aws
    tags:
      description: Tags of the service.
      type: dict
changes:
  description: The options whose values the module changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: ["image", "environment"]
deployment:
  description: ARN of the deployment the module started.
  returned: when the module created or updated the service (not in check mode)
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)
from ansible_collections.invoice.platform.plugins.module_utils._options import tag_options, wait_options
from ansible_collections.invoice.platform.plugins.module_utils.apprunner import resolve_secret_map
from ansible_collections.invoice.platform.plugins.module_utils.ecs_express import (
    apply_tag_changes,
    create_express_service,
    current_configuration,
    delete_express_service,
    describe_express_service,
    find_express_service,
    run_module,
    to_ansible,
    update_express_service,
    wait_for_deletion,
    wait_for_deployment,
)

# option -> (section of the configuration, member path inside it); None: a top-level member.
CONTAINER = "primaryContainer"
FIELDS = {
    "image": (CONTAINER, "image"),
    "port": (CONTAINER, "containerPort"),
    "command": (CONTAINER, "command"),
    "environment": (CONTAINER, "environment"),
    "secrets": (CONTAINER, "secrets"),
    "log_group": (CONTAINER, "awsLogsConfiguration.logGroup"),
    "log_stream_prefix": (CONTAINER, "awsLogsConfiguration.logStreamPrefix"),
    "execution_role_arn": (None, "executionRoleArn"),
    "task_role_arn": (None, "taskRoleArn"),
    "health_check_path": (None, "healthCheckPath"),
    "cpu": (None, "cpu"),
    "memory": (None, "memory"),
    "cpu_architecture": (None, "cpuArchitecture"),
    "subnets": ("networkConfiguration", "subnets"),
    "security_groups": ("networkConfiguration", "securityGroups"),
    "min_tasks": ("scalingTarget", "minTaskCount"),
    "max_tasks": ("scalingTarget", "maxTaskCount"),
    "scaling_metric": ("scalingTarget", "autoScalingMetric"),
    "scaling_target_value": ("scalingTarget", "autoScalingTargetValue"),
}
SETS = ("subnets", "security_groups")
MAPS = {"environment": "value", "secrets": "valueFrom"}
REQUIRED_TO_CREATE = ("image", "execution_role_arn", "infrastructure_role_arn")


def _get(data, path):
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _set(data, path, value):
    keys = path.split(".")
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = value


def to_api(option, value):
    """An option's value in the API's form."""
    if option in MAPS:
        return [{"name": k, MAPS[option]: str(v)} for k, v in sorted(value.items())]
    if option in SETS:
        return sorted(value)
    return value


def current_value(option, configuration):
    """An option's value in ``configuration`` (an ExpressGatewayServiceConfiguration), as the option is given."""
    section, path = FIELDS[option]
    value = _get(configuration.get(section) if section else configuration, path)
    if option in MAPS:
        return {item["name"]: item.get(MAPS[option], "") for item in value or []}
    if option in SETS:
        return sorted(value or [])
    if option == "command":
        return list(value or [])
    return value


def wanted(params):
    """The options the task sets, normalised for comparison."""
    out = {}
    for option in FIELDS:
        value = params.get(option)
        if value is None:
            continue
        if option in MAPS:
            value = {k: str(v) for k, v in value.items()}
        elif option in SETS:
            value = sorted(value)
        out[option] = value
    return out


def differences(desired, configuration):
    """Options of ``desired`` whose value differs from the configuration's, in option order."""
    return [o for o, v in desired.items() if current_value(o, configuration) != v]


def update_request(changes, desired, configuration):
    """The UpdateExpressGatewayService members for ``changes``: whole sections, the current values under the new."""
    request = {}
    for option in changes:
        section, path = FIELDS[option]
        if section is None:
            request[path] = desired[option]
            continue
        if section not in request:
            request[section] = {k: v for k, v in (configuration.get(section) or {}).items() if v is not None}
        _set(request[section], path, to_api(option, desired[option]))
    return request


def create_request(params, desired):
    request = dict(serviceName=params["name"], infrastructureRoleArn=params["infrastructure_role_arn"])
    if params["cluster"]:
        request["cluster"] = params["cluster"]
    for option, value in desired.items():
        section, path = FIELDS[option]
        _set(request.setdefault(section, {}) if section else request, path, to_api(option, value))
    if params["tags"]:
        request["tags"] = [dict(key=k, value=v) for k, v in sorted(params["tags"].items())]
    return request


class ServiceManager:
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.check_mode = module.check_mode
        self.changed = False
        self.changes = []
        self.before, self.after = {}, {}
        self.deployment = None
        self.revision = None

    def create(self, desired):
        missing = [o for o in REQUIRED_TO_CREATE if self.params[o] is None]
        if missing:
            self.module.fail_json(
                msg=f"ECS Express service {self.params['name']} does not exist: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} needed to create it"
            )
        self.changed = True
        self.changes = list(desired)
        self.before, self.after = {}, dict(desired)
        if self.params["tags"]:
            self.after["tags"] = dict(self.params["tags"])
        if self.check_mode:
            return None
        service = create_express_service(self.client, create_request(self.params, desired))
        self.deployment = service.get("currentDeployment")
        self.revision = current_configuration(service).get("serviceRevisionArn")
        return service["serviceArn"]

    def ensure_configuration(self, service, desired):
        configuration = current_configuration(service)
        role = self.params["infrastructure_role_arn"]
        if role is not None and role != service.get("infrastructureRoleArn"):
            self.module.fail_json(
                msg=f"infrastructure_role_arn differs from the role of ECS Express service {self.params['name']} "
                f"({service.get('infrastructureRoleArn')}); ECS sets it at creation only: delete and recreate the "
                "service to change it"
            )
        changes = differences(desired, configuration)
        self.before.update({o: current_value(o, configuration) for o in desired})
        self.after.update(desired)
        if not changes:
            return False
        self.changes.extend(changes)
        if not self.check_mode:
            updated = update_express_service(
                self.client, service["serviceArn"], update_request(changes, desired, configuration)
            )
            self.revision = updated.get("targetConfiguration", {}).get("serviceRevisionArn")
            self.deployment = (describe_express_service(self.client, service["serviceArn"]) or {}).get(
                "currentDeployment"
            )
        return True

    def ensure_tags(self, service):
        tags = self.params["tags"]
        if tags is None:
            return False
        current = boto3_tag_list_to_ansible_dict(service.get("tags") or [], "key", "value")
        to_add, to_remove = compare_aws_tags(current, tags, purge_tags=self.params["purge_tags"])
        self.before["tags"] = current
        self.after["tags"] = {k: v for k, v in {**current, **to_add}.items() if k not in to_remove}
        if not (to_add or to_remove):
            return False
        self.changes.append("tags")
        if not self.check_mode:
            apply_tag_changes(self.client, service["serviceArn"], to_add, to_remove)
        return True

    def converge(self, service, desired):
        changed = self.ensure_configuration(service, desired)
        changed |= self.ensure_tags(service)
        self.changed = changed

    def wait(self, arn):
        if self.params["wait"] and self.revision and not self.check_mode:
            cluster = arn.split(":service/", 1)[1].split("/")[0]
            wait_for_deployment(self.client, cluster, arn, self.revision, self.params["wait_timeout"])

    def delete(self, service):
        self.before = dict(service_name=service["serviceName"], status=service["status"]["statusCode"])
        self.after = {}
        self.changed = True
        self.changes = ["state"]
        if self.check_mode:
            return
        delete_express_service(self.client, service["serviceArn"])
        if self.params["wait"]:
            wait_for_deletion(self.client, service["serviceArn"], self.params["wait_timeout"])


def validate(module):
    """Rules the argument spec cannot say, checked before any AWS call."""
    params = module.params
    path = params["health_check_path"]
    if path is not None and not path.startswith("/"):
        module.fail_json(msg=f"health_check_path must start with '/', got {path!r}")
    port = params["port"]
    if port is not None and not 1 <= port <= 65535:
        module.fail_json(msg=f"port must be between 1 and 65535, got {port}")
    low, high = params["min_tasks"], params["max_tasks"]
    if low is not None and low < 0:
        module.fail_json(msg=f"min_tasks must be 0 or more, got {low}")
    if high is not None and high < 1:
        module.fail_json(msg=f"max_tasks must be 1 or more, got {high}")
    if low is not None and high is not None and low > high:
        module.fail_json(msg=f"min_tasks ({low}) must not be greater than max_tasks ({high})")
    value = params["scaling_target_value"]
    if value is not None and value <= 0:
        module.fail_json(msg=f"scaling_target_value must be greater than 0, got {value}")


def with_resolved_secrets(module, params, service):
    """``params`` with the ``secretsmanager:<name>`` references of ``secrets`` resolved to ARNs."""
    if not params.get("secrets"):
        return params
    secrets, _versions, omitted = resolve_secret_map(
        lambda: module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff()),
        params["secrets"],
        "secrets",
        check_mode=module.check_mode,
        service_exists=service is not None,
        missing=params["missing_secrets"],
    )
    for variable, name in omitted:
        # AnsibleModule.warn: AnsibleAWSModule.warn also passes warnings= to exit_json (deprecated in 2.21).
        module._module.warn(f"secrets: {variable} left out: Secrets Manager secret {name!r} does not exist")
    return dict(params, secrets=secrets)


def keep_image(params, service):
    """``params`` with ``image`` set to the image ``service`` runs (keep_deployed_image)."""
    if service is None or not params["keep_deployed_image"] or params.get("image") is None:
        return params
    running = current_value("image", current_configuration(service))
    return dict(params, image=running) if running else params


def converge(module, client):
    params = module.params
    manager = ServiceManager(module, client)
    service = find_express_service(client, params["cluster"], params["name"])
    if params["state"] == "present":
        manager.params = params = keep_image(with_resolved_secrets(module, params, service), service)
    if params["state"] == "absent":
        if service:
            manager.delete(service)
        service = None
    else:
        desired = wanted(params)
        if service is None:
            arn = manager.create(desired)
        else:
            manager.converge(service, desired)
            arn = service["serviceArn"] if manager.changed else None
        if arn and not module.check_mode:
            manager.wait(arn)
            service = describe_express_service(client, arn)
    result = dict(changed=manager.changed, changes=manager.changes)
    if manager.deployment:
        result["deployment"] = manager.deployment
    if service:
        result["service"] = to_ansible(service)
    result["diff"] = dict(before=manager.before, after=manager.after)
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["service_name"]),
        cluster=dict(type="str", default="default"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        image=dict(type="str"),
        port=dict(type="int"),
        command=dict(type="list", elements="str"),
        environment=dict(type="dict"),
        secrets=dict(type="dict", no_log=False),
        missing_secrets=dict(type="str", default="fail", choices=["fail", "omit"], no_log=False),
        keep_deployed_image=dict(type="bool", default=False),
        log_group=dict(type="str"),
        log_stream_prefix=dict(type="str"),
        execution_role_arn=dict(type="str"),
        infrastructure_role_arn=dict(type="str"),
        task_role_arn=dict(type="str"),
        health_check_path=dict(type="str"),
        cpu=dict(type="str", choices=["256", "512", "1024", "2048", "4096", "8192", "16384"]),
        memory=dict(type="str"),
        cpu_architecture=dict(type="str", choices=["X86_64", "ARM64"]),
        subnets=dict(type="list", elements="str"),
        security_groups=dict(type="list", elements="str"),
        min_tasks=dict(type="int"),
        max_tasks=dict(type="int"),
        scaling_metric=dict(type="str", choices=["AVERAGE_CPU", "AVERAGE_MEMORY", "REQUEST_COUNT_PER_TARGET"]),
        scaling_target_value=dict(type="int"),
        **tag_options(),
        **wait_options(1200),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_together=[("log_group", "log_stream_prefix")],
        supports_check_mode=True,
    )
    validate(module)
    client = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
    run_module(module, lambda: converge(module, client))


if __name__ == "__main__":
    main()
