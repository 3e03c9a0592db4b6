"""Jinja2 filter ``invoice.platform.aws_lookup_args``: the connection options of an amazon.aws look-up."""

from __future__ import annotations

from typing import Any

DOCUMENTATION = r"""
name: aws_lookup_args
short_description: The connection options an amazon.aws look-up needs to reach the account the modules reach
version_added: 1.0.0
description:
  - Look-ups (C(amazon.aws.ssm_parameter), C(amazon.aws.secretsmanager_secret)) run in the
    controller and do not see the playbooks' C(module_defaults), so each role passes them the
    same region, endpoint and keys the modules get.
  - Returns C(region), plus C(endpoint_url) when one is set, plus C(access_key) and
    C(secret_key) when an access key is set; empty options are left out (the look-up then
    uses the environment, as the modules do).
options:
  _input:
    description: The region.
    type: str
    required: true
  endpoint_url:
    description: The endpoint (the local one, C(platform_aws_endpoint_url)); empty - AWS's.
    type: str
    default: ""
  access_key:
    description: An access key id; empty - the environment's credentials.
    type: str
    default: ""
  secret_key:
    description: Its secret key (used only with O(access_key)).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Read a stored parameter
  ansible.builtin.set_fact:
    stored: >-
      {{ lookup('amazon.aws.ssm_parameter', '/invoice/prod/jwt-secret', on_missing='skip',
                **(platform_region | invoice.platform.aws_lookup_args(platform_aws_endpoint_url | default('')))) }}
  no_log: true
"""

RETURN = r"""
_value:
  description: Keyword arguments for the look-up.
  type: dict
"""


def aws_lookup_args(region: str, endpoint_url: str = "", access_key: str = "", secret_key: str = "") -> dict[str, Any]:
    args: dict[str, Any] = {"region": region}
    if endpoint_url:
        args["endpoint_url"] = endpoint_url
    if access_key:
        args["access_key"] = access_key
        args["secret_key"] = secret_key
    return args


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"aws_lookup_args": aws_lookup_args}
