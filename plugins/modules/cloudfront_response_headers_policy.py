#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudfront_response_headers_policy
short_description: Idempotent CloudFront response headers policy (security and custom headers)
version_added: 0.1.0
description:
  - Creates, updates and deletes a CloudFront response headers policy with security headers
    (HSTS, X-Content-Type-Options, X-Frame-Options, Referrer-Policy, X-XSS-Protection,
    Content-Security-Policy) and custom headers. Attach it to a behaviour with the
    C(response_headers_policy_id) option of M(invoice.platform.cloudfront_distribution).
  - "Why this module: C(community.aws.cloudfront_response_headers_policy) 11.2 is not idempotent.
    It calls UpdateResponseHeadersPolicy on every run when the policy exists (a write each time,
    C(changed) then guessed from the returned timestamp) and in check mode always reports
    C(changed=true) without comparing. This module compares a normalised view of the policy
    (header order and letter case of header names do not count) and writes only on a difference."
  - "Identity rule: the policy is the custom policy with this O(name) (names are unique in an account)."
  - CORS settings are not managed (a policy that has them keeps them only if this module does not update it).
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description: Name of the policy.
    type: str
    required: true
  comment:
    description: Comment of the policy.
    type: str
    default: ""
  state:
    description: Whether the policy should exist. Deleting a policy a distribution uses fails with the AWS message.
    type: str
    choices: [present, absent]
    default: present
  security_headers:
    description: Security headers to add. A header not given here is not added.
    type: dict
    default: {}
    suboptions:
      strict_transport_security:
        description: Strict-Transport-Security.
        type: dict
        suboptions:
          max_age:
            description: C(max-age) in seconds.
            type: int
            required: true
          include_subdomains:
            description: Add C(includeSubDomains).
            type: bool
            default: false
          preload:
            description: Add C(preload).
            type: bool
            default: false
          override: &override
            description: Replace the header the origin sends.
            type: bool
            default: true
      content_type_options:
        description: X-Content-Type-Options C(nosniff).
        type: dict
        suboptions:
          override: *override
      frame_options:
        description: X-Frame-Options.
        type: dict
        suboptions:
          frame_option:
            description: Value of the header.
            type: str
            choices: [DENY, SAMEORIGIN]
            required: true
          override: *override
      referrer_policy:
        description: Referrer-Policy.
        type: dict
        suboptions:
          referrer_policy:
            description: Value of the header.
            type: str
            required: true
            choices:
              - no-referrer
              - no-referrer-when-downgrade
              - origin
              - origin-when-cross-origin
              - same-origin
              - strict-origin
              - strict-origin-when-cross-origin
              - unsafe-url
          override: *override
      xss_protection:
        description: X-XSS-Protection.
        type: dict
        suboptions:
          protection:
            description: C(1) when true, C(0) when false.
            type: bool
            required: true
          mode_block:
            description: Add C(mode=block).
            type: bool
            default: false
          override: *override
      content_security_policy:
        description: Content-Security-Policy.
        type: dict
        suboptions:
          policy:
            description: Value of the header.
            type: str
            required: true
          override: *override
  custom_headers:
    description: Further headers to add. The list replaces the policy's custom headers.
    type: list
    elements: dict
    default: []
    suboptions:
      header:
        description: Header name.
        type: str
        required: true
      value:
        description: Header value.
        type: str
        required: true
      override:
        description: Replace the header the origin sends.
        type: bool
        default: false
notes:
  - A run with nothing to change makes one read call, ListResponseHeadersPolicies.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Security headers for the web UI
  invoice.platform.cloudfront_response_headers_policy:
    name: invoice-prod-web-security
    security_headers:
      strict_transport_security:
        max_age: 63072000
        include_subdomains: true
      content_type_options: {}
      frame_options:
        frame_option: DENY
      referrer_policy:
        referrer_policy: strict-origin-when-cross-origin
      content_security_policy:
        policy: "default-src 'self'; connect-src 'self'"
  register: security_policy
"""

RETURN = r"""
response_headers_policy:
  description: The policy.
  returned: when it exists (not in check mode before it is created)
  type: dict
  contains:
    id:
      description: Policy ID, for a behaviour's C(response_headers_policy_id).
      type: str
    name:
      description: Policy name.
      type: str
    config:
      description: The managed settings, normalised as the module compares them.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.invoice.platform.plugins.module_utils._options import dict_list
from ansible_collections.invoice.platform.plugins.module_utils.cloudfront import (
    RESPONSE_HEADERS_POLICIES,
    response_headers_config,
    response_headers_view,
)

OVERRIDE = dict(type="bool", default=True)


def result_of(policy_id, config):
    return dict(response_headers_policy=dict(id=policy_id, name=config["Name"], config=response_headers_view(config)))


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        comment=dict(type="str", default=""),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        security_headers=dict(
            type="dict",
            default={},
            options=dict(
                strict_transport_security=dict(
                    type="dict",
                    options=dict(
                        max_age=dict(type="int", required=True),
                        include_subdomains=dict(type="bool", default=False),
                        preload=dict(type="bool", default=False),
                        override=OVERRIDE,
                    ),
                ),
                content_type_options=dict(type="dict", options=dict(override=OVERRIDE)),
                frame_options=dict(
                    type="dict",
                    options=dict(
                        frame_option=dict(type="str", choices=["DENY", "SAMEORIGIN"], required=True),
                        override=OVERRIDE,
                    ),
                ),
                referrer_policy=dict(
                    type="dict",
                    options=dict(
                        referrer_policy=dict(
                            type="str",
                            required=True,
                            choices=[
                                "no-referrer",
                                "no-referrer-when-downgrade",
                                "origin",
                                "origin-when-cross-origin",
                                "same-origin",
                                "strict-origin",
                                "strict-origin-when-cross-origin",
                                "unsafe-url",
                            ],
                        ),
                        override=OVERRIDE,
                    ),
                ),
                xss_protection=dict(
                    type="dict",
                    options=dict(
                        protection=dict(type="bool", required=True),
                        mode_block=dict(type="bool", default=False),
                        override=OVERRIDE,
                    ),
                ),
                content_security_policy=dict(
                    type="dict",
                    options=dict(policy=dict(type="str", required=True), override=OVERRIDE),
                ),
            ),
        ),
        custom_headers=dict_list(
            header=dict(type="str", required=True),
            value=dict(type="str", required=True),
            override=dict(type="bool", default=False),
        ),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    headers = [h["header"].lower() for h in module.params["custom_headers"]]
    if len(set(headers)) != len(headers):
        module.fail_json(msg=f"custom_headers: header names must be unique (case-insensitive), got {headers}")
    RESPONSE_HEADERS_POLICIES.run(module, response_headers_config, response_headers_view, result_of)


if __name__ == "__main__":
    main()
