#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_express_service_info
version_added: 0.3.0
short_description: Gather information about Amazon ECS Express Mode services
description:
  - Describe one ECS Express Mode service by name, or every Express service of a cluster.
  - Services that are C(INACTIVE) (deleted) are not returned; ECS services that are not Express services are
    left out.
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description:
      - Name of the service. When unset, every Express service of O(cluster) is described.
    type: str
    aliases: ['service_name']
  cluster:
    description:
      - Name or ARN of the cluster.
    type: str
    default: default
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe the API service
  invoice.platform.ecs_express_service_info:
    name: invoice-api
  register: api

- name: Print its URL
  ansible.builtin.debug:
    msg: "https://{{ api.services[0].service_url }}"
"""

RETURN = r"""
services:
  description: The services (snake_case DescribeExpressGatewayService output), with tags and URL.
  returned: always
  type: list
  elements: dict
  contains:
    service_arn:
      description: ARN.
      type: str
    service_name:
      description: Name.
      type: str
    status:
      description: C(status_code) (C(ACTIVE), C(DRAINING)) and C(status_reason).
      type: dict
    current_deployment:
      description: ARN of the latest deployment.
      type: str
    active_configurations:
      description: The configurations serving traffic (two while a deployment rolls out).
      type: list
      elements: dict
    service_url:
      description: Endpoint of the newest configuration.
      type: str
    tags:
      description: Tags.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils.ecs_express import (
    describe_express_service,
    find_express_service,
    list_service_arns,
    run_module,
    to_ansible,
)


def gather(client, params):
    if params["name"]:
        found = [find_express_service(client, params["cluster"], params["name"])]
    else:
        found = [describe_express_service(client, arn) for arn in list_service_arns(client, params["cluster"])]
    live = [s for s in found if s and s.get("status", {}).get("statusCode") != "INACTIVE"]
    return dict(changed=False, services=[to_ansible(s) for s in live])


def main():
    argument_spec = dict(
        name=dict(type="str", aliases=["service_name"]),
        cluster=dict(type="str", default="default"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
    run_module(module, lambda: gather(client, module.params))


if __name__ == "__main__":
    main()
