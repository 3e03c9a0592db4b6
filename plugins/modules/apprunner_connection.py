#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apprunner_connection
version_added: 0.1.0
short_description: Manage AWS App Runner connections to source code repository providers
description:
  - Create and delete App Runner connections, which let App Runner read a GitHub or Bitbucket repository
    (a service deployed from source code names one in
    M(invoice.platform.apprunner_service) O(invoice.platform.apprunner_service#module:code.connection_arn)).
  - A new connection is C(PENDING_HANDSHAKE) until its owner completes a one-time handshake with the provider in
    the App Runner console (Connections, select the connection, Complete handshake). The module returns the
    status; it cannot complete the handshake (only the provider's authorisation page can).
  - Connections are immutable. A connection of the same name with another O(provider_type) fails the task
    before any change (delete it first, or choose another name).
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description:
      - Name of the connection (4-32 characters), unique in the account and region.
    type: str
    required: true
  state:
    description:
      - Whether the connection should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  provider_type:
    description:
      - Source code repository provider.
    type: str
    choices: ['GITHUB', 'BITBUCKET']
    default: GITHUB
notes:
  - Supports check mode and diff mode.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Connect App Runner to GitHub
  invoice.platform.apprunner_connection:
    name: invoice-github
    provider_type: GITHUB
  register: connection

- name: Stop until the handshake is done
  ansible.builtin.fail:
    msg: Complete the handshake of {{ connection.connection.connection_arn }} in the App Runner console.
  when: connection.connection.status == 'PENDING_HANDSHAKE'
"""

RETURN = r"""
connection:
  description: The connection (snake_case ListConnections entry) with its tags.
  returned: >-
    when state=present and the connection exists; in check mode, when it would be created, the connection
    planned, with the stand-in C((connection NAME, to be created)) for its ARN and status C(PENDING_HANDSHAKE).
  type: dict
  contains:
    connection_arn:
      description: ARN of the connection.
      type: str
    connection_name:
      description: Name.
      type: str
    provider_type:
      description: C(GITHUB) or C(BITBUCKET).
      type: str
    status:
      description:
        - C(PENDING_HANDSHAKE) (the one-time handshake is still to be done), C(AVAILABLE), C(ERROR) or C(DELETED).
      type: str
    created_at:
      description: When it was created.
      type: str
    tags:
      description: Tags.
      type: dict
"""

try:
    import botocore  # noqa: F401
except ImportError:
    pass  # caught by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.invoice.platform.plugins.module_utils._apprunner import transformations as tf
from ansible_collections.invoice.platform.plugins.module_utils._options import tag_options
from ansible_collections.invoice.platform.plugins.module_utils.apprunner import (
    create_connection,
    delete_connection,
    ensure_tags,
    find_connection,
    get_tags,
    not_yet_created,
    run_module,
    to_ansible,
)


def view(connection, tags=None):
    """What the task manages, for the diff."""
    if not connection:
        return {}
    result = dict(connection_name=connection["ConnectionName"], provider_type=connection["ProviderType"])
    if tags is not None:
        result["tags"] = tags
    return result


def ensure_created(module, client):
    """Create the connection; returns ``(connection, tags)`` (the plan of it in check mode)."""
    params = module.params
    if module.check_mode:
        planned = dict(
            ConnectionName=params["name"],
            ConnectionArn=not_yet_created("connection", params["name"]),
            ProviderType=params["provider_type"],
            Status="PENDING_HANDSHAKE",
        )
        return planned, params["tags"]
    request = dict(ConnectionName=params["name"], ProviderType=params["provider_type"])
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
    created = create_connection(client, request)
    return created, get_tags(client, created["ConnectionArn"]) if params["tags"] is not None else None


def ensure_present(module, client, connection):
    params = module.params
    if connection is None:
        created, tags = ensure_created(module, client)
        return dict(changed=True, connection=created, tags=tags, diff=dict(before={}, after=view(created, tags)))
    if connection["ProviderType"] != params["provider_type"]:
        module.fail_json(
            msg=f"App Runner connection {params['name']} exists for {connection['ProviderType']}, not "
            f"{params['provider_type']}: connections are immutable; delete it or choose another name",
            connection=to_ansible(connection),
        )
    arn = connection["ConnectionArn"]
    tags = get_tags(client, arn) if params["tags"] is not None else None
    after_tags = tf.tags_after(tags, params["tags"], params["purge_tags"]) if tags is not None else None
    result = dict(changed=False, connection=connection, tags=tags)
    result["diff"] = dict(before=view(connection, tags), after=view(connection, after_tags))
    if ensure_tags(client, arn, tags, params["tags"], purge_tags=params["purge_tags"], check_mode=module.check_mode):
        result["changed"] = True
        result["tags"] = after_tags if module.check_mode else get_tags(client, arn)
    return result


def converge(module, client):
    connection = find_connection(client, module.params["name"])
    if module.params["state"] == "absent":
        result = dict(changed=connection is not None)
        if connection:
            result["diff"] = dict(before=view(connection), after={})
            if not module.check_mode:
                delete_connection(client, connection["ConnectionArn"])
        return result
    outcome = ensure_present(module, client, connection)
    return dict(
        changed=outcome["changed"],
        diff=outcome["diff"],
        connection=to_ansible(outcome["connection"], tags=outcome["tags"]),
    )


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        provider_type=dict(type="str", default="GITHUB", choices=["GITHUB", "BITBUCKET"]),
        **tag_options(),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("apprunner", retry_decorator=AWSRetry.jittered_backoff())
    run_module(module, lambda: converge(module, client))


if __name__ == "__main__":
    main()
