#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apprunner_service_info
version_added: 0.1.0
short_description: Gather information about AWS App Runner services
description:
  - Describe one App Runner service by name or ARN, or every service of the account and region.
  - Deleted services are not listed.
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description:
      - Name or ARN of the service. When unset, all services are described.
    type: str
    aliases: ['service_name', 'arn']
  operations:
    description:
      - Also return the newest operations of each service (up to 20).
    type: bool
    default: false
  custom_domains:
    description:
      - Also return each service's custom domains and DNS target.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe the API service
  invoice.platform.apprunner_service_info:
    name: invoice-api
    operations: true
  register: api

- name: Print its URL
  ansible.builtin.debug:
    msg: "https://{{ api.services[0].service_url }}"
"""

RETURN = r"""
services:
  description: The services (snake_case DescribeService output; environment maps keep their keys), with tags.
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
    service_url:
      description: Host name App Runner serves the service on.
      type: str
    status:
      description: Status.
      type: str
    tags:
      description: Tags.
      type: dict
    operations:
      description: Newest operations first (id, type, status, started_at, ended_at).
      returned: when O(operations=true)
      type: list
      elements: dict
    custom_domains:
      description: Custom domains (domain_name, status, certificate_validation_records).
      returned: when O(custom_domains=true)
      type: list
      elements: dict
    dns_target:
      description: The target custom domains must point to.
      returned: when O(custom_domains=true)
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict
from ansible_collections.invoice.platform.plugins.module_utils.apprunner import (
    AnsibleAppRunnerError,
    describe_custom_domains,
    describe_service,
    find_service,
    get_tags,
    list_operations,
    list_services,
    to_ansible,
)


def describe(module, client, service):
    arn = service["ServiceArn"]
    result = to_ansible(service, tags=get_tags(client, arn))
    if module.params["operations"]:
        result["operations"] = [camel_dict_to_snake_dict(o) for o in list_operations(client, arn)]
    if module.params["custom_domains"]:
        target, domains = describe_custom_domains(client, arn)
        result["dns_target"] = target
        result["custom_domains"] = [camel_dict_to_snake_dict(d) for d in domains]
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", aliases=["service_name", "arn"]),
        operations=dict(type="bool", default=False),
        custom_domains=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("apprunner", retry_decorator=AWSRetry.jittered_backoff())
    name = module.params["name"]
    try:
        if name and name.startswith("arn:"):
            found = [describe_service(client, name)]
        elif name:
            found = [find_service(client, name)]
        else:
            found = [
                describe_service(client, s["ServiceArn"]) for s in list_services(client) if s.get("Status") != "DELETED"
            ]
        services = [describe(module, client, s) for s in found if s and s.get("Status") != "DELETED"]
    except AnsibleAppRunnerError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, services=services)


if __name__ == "__main__":
    main()
