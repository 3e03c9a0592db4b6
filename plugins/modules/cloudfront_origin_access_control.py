#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudfront_origin_access_control
short_description: Manage a CloudFront Origin Access Control
version_added: 0.1.0
description:
  - Creates, updates and deletes a CloudFront Origin Access Control (OAC), the way a
    distribution signs its requests to a private S3 bucket.
  - Neither amazon.aws nor community.aws has a module for Origin Access Controls (only for the
    legacy Origin Access Identities).
  - "Identity rule: the OAC is the one with this O(name) (CloudFront refuses two OACs with the
    same name in an account)."
  - Origin Access Controls have no tags.
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description: Name of the Origin Access Control.
    type: str
    required: true
  description:
    description: Description of the Origin Access Control.
    type: str
    default: ""
  origin_type:
    description: Type of origin the OAC is for.
    type: str
    choices: [s3, mediastore, lambda, mediapackagev2]
    default: s3
  signing_behavior:
    description: Which requests CloudFront signs.
    type: str
    choices: [always, never, no-override]
    default: always
  state:
    description: Whether the OAC should exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - A run with nothing to change makes one read call, ListOriginAccessControls.
  - Deleting an OAC that a distribution still uses fails with the AWS message.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Origin Access Control for the web bucket
  invoice.platform.cloudfront_origin_access_control:
    name: invoice-prod-web
    description: CloudFront to the invoice-prod-web bucket
"""

RETURN = r"""
origin_access_control:
  description: The Origin Access Control.
  returned: when it exists (not in check mode before it is created)
  type: dict
  contains:
    id:
      description: ID, referenced by distributions' origins.
      type: str
      sample: E1ABCDEFGHIJKL
    name:
      description: Name.
      type: str
    description:
      description: Description.
      type: str
    signing_protocol:
      description: Always C(sigv4).
      type: str
    signing_behavior:
      description: Which requests CloudFront signs.
      type: str
    origin_access_control_origin_type:
      description: Type of origin.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict
from ansible_collections.invoice.platform.plugins.module_utils.cloudfront import ORIGIN_ACCESS_CONTROLS

MANAGED = ("Name", "Description", "SigningProtocol", "SigningBehavior", "OriginAccessControlOriginType")


def desired_config(params):
    return dict(
        Name=params["name"],
        Description=params["description"] or "",
        SigningProtocol="sigv4",
        SigningBehavior=params["signing_behavior"],
        OriginAccessControlOriginType=params["origin_type"],
    )


def view(config):
    return camel_dict_to_snake_dict({k: config.get(k) or "" for k in MANAGED})


def returned(oac_id, config):
    return dict(origin_access_control=camel_dict_to_snake_dict(dict(Id=oac_id, **config)))


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        origin_type=dict(type="str", choices=["s3", "mediastore", "lambda", "mediapackagev2"], default="s3"),
        signing_behavior=dict(type="str", choices=["always", "never", "no-override"], default="always"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not module.params["name"].strip():
        module.fail_json(msg="name: must not be empty")
    ORIGIN_ACCESS_CONTROLS.run(module, desired_config, view, returned)


if __name__ == "__main__":
    main()
