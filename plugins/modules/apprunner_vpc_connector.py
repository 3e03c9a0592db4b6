#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apprunner_vpc_connector
version_added: 0.1.0
short_description: Manage AWS App Runner VPC connectors
description:
  - Create and delete App Runner VPC connectors, which give services outbound access to a VPC.
  - VPC connectors are immutable. When O(subnets) or O(security_groups) differ from the connector's,
    the module replaces it (deletes it and creates it again under the same name) - but only when no
    service uses it, so a running service never loses its network. When a service uses it the module
    fails before any change and names the services. To move a running service without interruption,
    create a connector under a new name, point the service at it
    (M(invoice.platform.apprunner_service) O(invoice.platform.apprunner_service#module:vpc_connector)),
    then delete the old one.
  - Subnets and security groups are compared as sets (order does not matter).
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description:
      - Name of the VPC connector (4-40 characters).
    type: str
    required: true
  state:
    description:
      - Whether the connector should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  subnets:
    description:
      - Subnet IDs the connector uses. Required to create a connector.
    type: list
    elements: str
  security_groups:
    description:
      - Security group IDs. When unset, an existing connector's groups are not compared and a new
        connector gets the VPC's default security group.
    type: list
    elements: str
notes:
  - Supports check mode and diff mode.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Let the API reach the database subnets
  invoice.platform.apprunner_vpc_connector:
    name: invoice-db
    subnets: [subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a69788]
    security_groups: [sg-0123456789abcdef0]
    tags:
      project: invoice
"""

RETURN = r"""
vpc_connector:
  description: The connector (snake_case ListVpcConnectors entry) with its tags.
  returned: >-
    when state=present and the connector exists. In check mode, as it is, or when it would be replaced, the
    replacement planned, with the stand-in C((VPC connector NAME revision N, to be created)) for its new ARN.
  type: dict
  contains:
    vpc_connector_arn:
      description: ARN of the connector.
      type: str
    vpc_connector_name:
      description: Name.
      type: str
    vpc_connector_revision:
      description: Revision.
      type: int
    subnets:
      description: Subnet IDs.
      type: list
      elements: str
    security_groups:
      description: Security group IDs.
      type: list
      elements: str
    status:
      description: C(ACTIVE) or C(INACTIVE).
      type: str
    tags:
      description: Tags.
      type: dict
replaced:
  description:
    - Whether the connector was (would be) deleted and created again because its subnets or security groups changed.
  returned: always
  type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.invoice.platform.plugins.module_utils._apprunner import transformations as tf
from ansible_collections.invoice.platform.plugins.module_utils._options import tag_options
from ansible_collections.invoice.platform.plugins.module_utils.apprunner import (
    create_vpc_connector,
    delete_vpc_connector,
    ensure_tags,
    find_vpc_connector,
    get_tags,
    not_yet_created,
    run_module,
    services_using_vpc_connector,
    to_ansible,
)


def network_differences(params, connector):
    """Option names whose set of IDs differs from the connector's."""
    differs = []
    for option, key in (("subnets", "Subnets"), ("security_groups", "SecurityGroups")):
        if params[option] is not None and set(params[option]) != set(connector.get(key) or []):
            differs.append(option)
    return differs


def network_view(params, connector):
    view = {}
    for option, key in (("subnets", "Subnets"), ("security_groups", "SecurityGroups")):
        if params[option] is not None:
            view[option] = sorted(connector.get(key) or []) if connector else []
    return view


def create(client, params):
    request = dict(VpcConnectorName=params["name"], Subnets=params["subnets"])
    if params["security_groups"] is not None:
        request["SecurityGroups"] = params["security_groups"]
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
    return create_vpc_connector(client, request)


def ensure_present(module, client, connector):  # noqa: PLR0912 (one branch per outcome, read top-down)
    params = module.params
    name = params["name"]
    if connector is None:
        if not params["subnets"]:
            module.fail_json(msg=f"VPC connector {name} does not exist: subnets is needed to create it")
        after = dict(network_view(params, {}), subnets=sorted(params["subnets"]))
        if params["security_groups"] is not None:
            after["security_groups"] = sorted(params["security_groups"])
        if params["tags"] is not None:
            after["tags"] = params["tags"]
        result = dict(changed=True, replaced=False, diff=dict(before={}, after=after))
        if not module.check_mode:
            created = create(client, params)
            result["connector"] = created
            result["tags"] = get_tags(client, created["VpcConnectorArn"]) if params["tags"] is not None else None
        return result

    arn = connector["VpcConnectorArn"]
    tags = get_tags(client, arn) if params["tags"] is not None else None
    differs = network_differences(params, connector)
    before = network_view(params, connector)
    after = {o: sorted(params[o]) for o in before}
    if tags is not None:
        before["tags"] = tags
        after["tags"] = tf.tags_after(tags, params["tags"], params["purge_tags"])
    result = dict(changed=False, replaced=False, connector=connector, tags=tags, diff=dict(before=before, after=after))
    if differs:
        users = services_using_vpc_connector(client, arn)
        if users:
            module.fail_json(
                msg=f"VPC connector {name} needs replacing ({' and '.join(differs)} changed; connectors are immutable) "
                f"but App Runner service(s) {', '.join(sorted(users))} use it. Create a connector with another name, "
                "point the service(s) at it, then delete this one",
                services=sorted(users),
            )
        result.update(changed=True, replaced=True)
        if module.check_mode:
            # the replacement planned, with a stand-in for its new ARN: a service task of the same
            # run plans its move to it (M(invoice.platform.apprunner_service) takes the stand-in)
            revision = int(connector.get("VpcConnectorRevision") or 1) + 1
            result["connector"] = dict(
                connector,
                Subnets=params["subnets"] if params["subnets"] is not None else connector.get("Subnets"),
                SecurityGroups=params["security_groups"]
                if params["security_groups"] is not None
                else connector.get("SecurityGroups"),
                VpcConnectorRevision=revision,
                VpcConnectorArn=not_yet_created("VPC connector", f"{name} revision {revision}"),
            )
        else:
            # The replacement keeps the old connector's tags unless the task sets them.
            old_tags = tags if tags is not None else get_tags(client, arn)
            delete_vpc_connector(client, arn)
            merged = dict(params, tags=params["tags"] if params["tags"] is not None else old_tags)
            if merged["security_groups"] is None:
                merged["security_groups"] = connector.get("SecurityGroups") or None
            if merged["subnets"] is None:
                merged["subnets"] = connector.get("Subnets")
            created = create(client, merged)
            result["connector"] = created
            result["tags"] = get_tags(client, created["VpcConnectorArn"])
        return result
    if ensure_tags(client, arn, tags, params["tags"], purge_tags=params["purge_tags"], check_mode=module.check_mode):
        result["changed"] = True
        if not module.check_mode:
            result["tags"] = get_tags(client, arn)
    return result


def converge(module, client):
    connector = find_vpc_connector(client, module.params["name"])
    if module.params["state"] != "absent":
        outcome = ensure_present(module, client, connector)
        result = dict(changed=outcome["changed"], replaced=outcome["replaced"], diff=outcome["diff"])
        if outcome.get("connector"):
            result["vpc_connector"] = to_ansible(outcome["connector"], tags=outcome.get("tags"))
        return result
    result = dict(changed=connector is not None, replaced=False)
    if connector:
        result["diff"] = dict(before=dict(vpc_connector_arn=connector["VpcConnectorArn"]), after={})
        if not module.check_mode:
            delete_vpc_connector(client, connector["VpcConnectorArn"])
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        subnets=dict(type="list", elements="str"),
        security_groups=dict(type="list", elements="str"),
        **tag_options(),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["subnets"] == []:
        module.fail_json(msg="subnets must list at least one subnet ID")
    client = module.client("apprunner", retry_decorator=AWSRetry.jittered_backoff())
    run_module(module, lambda: converge(module, client))


if __name__ == "__main__":
    main()
