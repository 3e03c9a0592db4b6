#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_autoscaled_service
short_description: An ECS service that runs a task definition and leaves its desired count to Application Auto Scaling
version_added: 0.2.0
description:
  - Creates an ECS service (C(CreateService)) with O(desired_count), or converges an existing one
    (C(UpdateService), C(TagResource), C(UntagResource)) to the task definition, network,
    deployment settings, tag propagation and tags given, B(never sending a desired count) on an
    update, since once the service exists its desired count belongs to Application Auto Scaling
    (M(invoice.platform.ecs_service_scaling)).
  - What this fixes over M(community.aws.ecs_service) - that module needs a desired count on every
    run, compares it and sets it, so a converge undoes a scaling decision; passing the count read
    a moment before is a race (a scale-in between the read and the update is reported as a change
    and reverted). It also cannot change tags or tag propagation of an existing service, and has
    no diff.
  - One C(DescribeServices) reads the current state; a second one after a change returns the
    service as it is then. Check mode makes no mutating call and works when the cluster does not
    exist yet (the service is then planned as created); diff mode shows each setting that differs.
  - Deleting a service is M(community.aws.ecs_service) with O(community.aws.ecs_service#module:state=absent).
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description: Name of the service.
    type: str
    required: true
  cluster:
    description: Name of the ECS cluster.
    type: str
    required: true
  task_definition:
    description: The task definition to run, as C(family:revision) or its ARN.
    type: str
    required: true
  desired_count:
    description:
      - Tasks to start with when the service is created. Not compared and not sent on an update.
    type: int
    default: 0
  launch_type:
    description: Launch type of a new service (it cannot change afterwards; a different one fails).
    type: str
    choices: [FARGATE, EC2]
    default: FARGATE
  network_configuration:
    description: The service's awsvpc network configuration.
    type: dict
    required: true
    suboptions:
      subnets:
        description: Subnet ids (order does not matter).
        type: list
        elements: str
        required: true
      security_groups:
        description: Security group ids (order does not matter).
        type: list
        elements: str
        default: []
      assign_public_ip:
        description: Whether tasks get a public IP address.
        type: bool
        default: false
  deployment_configuration:
    description: How a new task definition is rolled out.
    type: dict
    default: {}
    suboptions:
      minimum_healthy_percent:
        description: Lower limit of running tasks during a deployment, in percent of the desired count.
        type: int
        default: 100
      maximum_percent:
        description: Upper limit of running tasks during a deployment, in percent of the desired count.
        type: int
        default: 200
  propagate_tags:
    description: Where the tasks' tags come from.
    type: str
    choices: [SERVICE, TASK_DEFINITION, NONE]
    default: NONE
  tags:
    description: Tags of the service.
    type: dict
    default: {}
  purge_tags:
    description: Remove tags of the service that are not in O(tags).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run the worker's task definition; its desired count stays with the scaling policies
  invoice.platform.ecs_autoscaled_service:
    name: invoice-prod-worker
    cluster: invoice-prod
    task_definition: invoice-prod-worker:7
    desired_count: 0
    network_configuration:
      subnets: [subnet-0a1, subnet-0b2]
      security_groups: [sg-0c3]
    propagate_tags: SERVICE
    tags:
      Environment: prod
  register: worker_service
"""

RETURN = r"""
service:
  description:
    - The service as C(DescribeServices) answers after the run (boto3's shape, its keys as AWS
      spells them), empty when check mode would create it.
  returned: always
  type: dict
  sample:
    serviceArn: arn:aws:ecs:us-east-1:123456789012:service/invoice-prod/invoice-prod-worker
    desiredCount: 2
created:
  description: Whether the service was created (or check mode would create it).
  returned: always
  type: bool
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils._diff import view_diff
from ansible_collections.invoice.platform.plugins.module_utils._tags import tag_plan

# What CreateService fills in when deploymentConfiguration is left out (AWS's defaults).
DEFAULT_DEPLOYMENT = {"minimumHealthyPercent": 100, "maximumPercent": 200}


def task_definition_name(value):
    """C(family:revision) of a task definition given as that or as its ARN."""
    return (value or "").rsplit("task-definition/", 1)[-1]


def wanted_settings(params):
    """The compared settings, as the diff shows them."""
    network = params["network_configuration"]
    deployment = params["deployment_configuration"]
    return {
        "task_definition": task_definition_name(params["task_definition"]),
        "launch_type": params["launch_type"],
        "network_configuration": {
            "subnets": sorted(network["subnets"]),
            "security_groups": sorted(network["security_groups"]),
            "assign_public_ip": bool(network["assign_public_ip"]),
        },
        "deployment_configuration": {
            "minimum_healthy_percent": deployment["minimum_healthy_percent"],
            "maximum_percent": deployment["maximum_percent"],
        },
        "propagate_tags": params["propagate_tags"],
        "tags": dict(params["tags"]),
    }


def current_settings(service):
    """The same settings of a described service."""
    vpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    deployment = {**DEFAULT_DEPLOYMENT, **(service.get("deploymentConfiguration") or {})}
    return {
        "task_definition": task_definition_name(service.get("taskDefinition")),
        "launch_type": service.get("launchType"),
        "network_configuration": {
            "subnets": sorted(vpc.get("subnets") or []),
            "security_groups": sorted(vpc.get("securityGroups") or []),
            "assign_public_ip": vpc.get("assignPublicIp") == "ENABLED",
        },
        "deployment_configuration": {
            "minimum_healthy_percent": deployment["minimumHealthyPercent"],
            "maximum_percent": deployment["maximumPercent"],
        },
        "propagate_tags": service.get("propagateTags") or "NONE",
        "tags": {t["key"]: t["value"] for t in service.get("tags") or []},
    }


def api_network(settings):
    network = settings["network_configuration"]
    return {
        "awsvpcConfiguration": {
            "subnets": network["subnets"],
            "securityGroups": network["security_groups"],
            "assignPublicIp": "ENABLED" if network["assign_public_ip"] else "DISABLED",
        }
    }


def api_deployment(settings):
    deployment = settings["deployment_configuration"]
    return {
        "minimumHealthyPercent": deployment["minimum_healthy_percent"],
        "maximumPercent": deployment["maximum_percent"],
    }


def read_service(module, client):
    """The ACTIVE or DRAINING service, or None (also when the cluster does not exist)."""
    name, cluster = module.params["name"], module.params["cluster"]
    try:
        services = client.describe_services(aws_retry=True, cluster=cluster, services=[name], include=["TAGS"])[
            "services"
        ]
    except is_boto3_error_code("ClusterNotFoundException"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read the ECS service {name} on {cluster}")
    return next((s for s in services if s.get("status") in ("ACTIVE", "DRAINING")), None)


def create(module, client, wanted):
    try:
        client.create_service(
            aws_retry=True,
            cluster=module.params["cluster"],
            serviceName=module.params["name"],
            taskDefinition=module.params["task_definition"],
            desiredCount=module.params["desired_count"],
            launchType=wanted["launch_type"],
            networkConfiguration=api_network(wanted),
            deploymentConfiguration=api_deployment(wanted),
            propagateTags=wanted["propagate_tags"],
            **({"tags": [{"key": k, "value": v} for k, v in wanted["tags"].items()]} if wanted["tags"] else {}),
        )
    except is_boto3_error_code("ClusterNotFoundException") as e:
        module.fail_json_aws(e, msg=f"The ECS cluster {module.params['cluster']} does not exist: create it first")
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to create the ECS service {module.params['name']}")


def update(module, client, current, wanted):
    """UpdateService with what differs (no desiredCount, ever)."""
    changes = {}
    if current["task_definition"] != wanted["task_definition"]:
        changes["taskDefinition"] = module.params["task_definition"]
    if current["network_configuration"] != wanted["network_configuration"]:
        changes["networkConfiguration"] = api_network(wanted)
    if current["deployment_configuration"] != wanted["deployment_configuration"]:
        changes["deploymentConfiguration"] = api_deployment(wanted)
    if current["propagate_tags"] != wanted["propagate_tags"]:
        changes["propagateTags"] = wanted["propagate_tags"]
    if not changes or module.check_mode:
        return bool(changes)
    try:
        client.update_service(
            aws_retry=True, cluster=module.params["cluster"], service=module.params["name"], **changes
        )
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to update the ECS service {module.params['name']}")
    return True


def ensure_tags(module, client, arn, current, wanted):
    """(changed, the tags the service has afterwards: aws:* ones are never purged)."""
    to_set, to_remove, after = tag_plan(current["tags"], wanted["tags"], module.params["purge_tags"])
    if not (to_set or to_remove) or module.check_mode:
        return bool(to_set or to_remove), after
    try:
        if to_remove:
            client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=to_remove)
        if to_set:
            client.tag_resource(
                aws_retry=True, resourceArn=arn, tags=[{"key": k, "value": v} for k, v in to_set.items()]
            )
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to tag the ECS service {module.params['name']}")
    return True, after


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        cluster=dict(type="str", required=True),
        task_definition=dict(type="str", required=True),
        desired_count=dict(type="int", default=0),
        launch_type=dict(type="str", default="FARGATE", choices=["FARGATE", "EC2"]),
        network_configuration=dict(
            type="dict",
            required=True,
            options=dict(
                subnets=dict(type="list", elements="str", required=True),
                security_groups=dict(type="list", elements="str", default=[]),
                assign_public_ip=dict(type="bool", default=False),
            ),
        ),
        deployment_configuration=dict(
            type="dict",
            default={},
            options=dict(
                minimum_healthy_percent=dict(type="int", default=100),
                maximum_percent=dict(type="int", default=200),
            ),
        ),
        propagate_tags=dict(type="str", default="NONE", choices=["SERVICE", "TASK_DEFINITION", "NONE"]),
        tags=dict(type="dict", default={}),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["desired_count"] < 0:
        module.fail_json(msg=f"desired_count must be 0 or more, not {module.params['desired_count']}")
    if not module.params["network_configuration"]["subnets"] and not module.check_mode:
        # (a plan may come before the network tier has made any: nothing is created then)
        module.fail_json(msg="network_configuration.subnets must name at least one subnet")
    client = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
    wanted = wanted_settings(module.params)
    service = read_service(module, client)

    if service is None:
        if not module.check_mode:
            create(module, client, wanted)
        module.exit_json(
            changed=True,
            created=True,
            service={} if module.check_mode else read_service(module, client),
            diff={"before": {}, "after": {**wanted, "desired_count": module.params["desired_count"]}},
        )

    current = current_settings(service)
    if current["launch_type"] and current["launch_type"] != wanted["launch_type"]:
        module.fail_json(
            msg=f"The ECS service {module.params['name']} runs on {current['launch_type']}; "
            f"launch_type {wanted['launch_type']} needs a new service (delete it first)"
        )
    changed = update(module, client, current, wanted)
    tagged, tags_after = ensure_tags(module, client, service["serviceArn"], current, wanted)
    changed |= tagged
    if changed and not module.check_mode:
        service = read_service(module, client)
    expected = {**wanted, "tags": tags_after}
    if current["launch_type"] is None:  # a capacity provider strategy: not compared
        expected["launch_type"] = None
    module.exit_json(changed=changed, created=False, service=service, diff=view_diff(current, expected))


if __name__ == "__main__":
    main()
