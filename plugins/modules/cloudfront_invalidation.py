#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudfront_invalidation
short_description: Create a CloudFront invalidation once per caller reference
version_added: 0.1.0
description:
  - Creates an invalidation of a CloudFront distribution's cache for a set of paths, once per
    O(caller_reference), and optionally waits until it has completed.
  - Written because C(community.aws.cloudfront_invalidation) creates a new invalidation on
    every run unless the caller passes the very same caller reference and paths, and then it
    still calls CreateInvalidation (a write, and a charge once past the free tier) and cannot
    tell in check mode whether anything would happen.
  - "Idempotence rule: if the distribution already has an invalidation with this
    O(caller_reference) and the same paths, nothing is done (the module waits for it with
    O(wait=true)). The same caller reference with other paths fails, naming both path lists.
    Use a caller reference that changes with what you deploy, for example the release id."
author:
  - Invoice platform team (@invoice-platform)
options:
  distribution_id:
    description: ID of the distribution.
    type: str
  distribution_name:
    description:
      - Name of a distribution managed by M(invoice.platform.cloudfront_distribution) (its
        C(invoice:name) tag).
    type: str
  caller_reference:
    description: Unique reference of this invalidation, for example the release being deployed.
    type: str
    required: true
  paths:
    description: Paths to invalidate, each starting with C(/); C(*) is allowed at the end.
    type: list
    elements: str
    required: true
  wait:
    description: Wait until the invalidation has completed.
    type: bool
    default: false
  wait_timeout:
    description: How long to wait, in seconds.
    type: int
    default: 900
notes:
  - A run with nothing to change makes only read calls - ListInvalidations and one
    GetInvalidation per invalidation newer than the one looked for (plus ListDistributions and
    ListTagsForResource with O(distribution_name)).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Invalidate the web UI after uploading release 2026.11.3
  invoice.platform.cloudfront_invalidation:
    distribution_name: invoice-prod-web
    caller_reference: web-2026.11.3
    paths: ["/index.html", "/assets/*"]
    wait: true
"""

RETURN = r"""
invalidation:
  description: The invalidation.
  returned: when it exists (not in check mode before it is created)
  type: dict
  contains:
    id:
      description: Invalidation ID.
      type: str
    status:
      description: C(InProgress) or C(Completed).
      type: str
    create_time:
      description: When it was created.
      type: str
    invalidation_batch:
      description: Paths and caller reference.
      type: dict
distribution_id:
  description: ID of the distribution.
  returned: always
  type: str
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict
from ansible_collections.invoice.platform.plugins.module_utils._options import wait_options
from ansible_collections.invoice.platform.plugins.module_utils.cloudfront import (
    AnsibleCloudFrontError,
    create_invalidation,
    find_distribution,
    find_invalidation,
    wait_invalidation,
)

CALLER_REFERENCE_RE = re.compile(r"^[\w.:/=+@-]{1,128}$")


def validate_params(module):
    params = module.params
    if not CALLER_REFERENCE_RE.match(params["caller_reference"]):
        module.fail_json(
            msg=f"caller_reference: {params['caller_reference']!r} must be 1-128 characters of [A-Za-z0-9_.:/=+@-]"
        )
    if not params["paths"]:
        module.fail_json(msg="paths: give at least one path")
    for path in params["paths"]:
        if not path.startswith("/") or "*" in path[:-1]:
            module.fail_json(msg=f"paths: {path!r} must start with '/' and may have '*' only at the end")
    if params["wait_timeout"] <= 0:
        module.fail_json(msg=f"wait_timeout must be a positive number of seconds, got {params['wait_timeout']}")


def planned_diff(params):
    return dict(before={}, after=dict(caller_reference=params["caller_reference"], paths=sorted(params["paths"])))


def resolve_distribution(module, client):
    if module.params["distribution_id"]:
        return module.params["distribution_id"]
    summary, _ = find_distribution(client, module.params["distribution_name"])
    if summary is None:
        module.fail_json(
            msg=f"distribution_name: no distribution tagged invoice:name={module.params['distribution_name']}"
        )
    return summary["Id"]


def main():
    argument_spec = dict(
        distribution_id=dict(type="str"),
        distribution_name=dict(type="str"),
        caller_reference=dict(type="str", required=True),
        paths=dict(type="list", elements="str", required=True),
        **wait_options(900, wait=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["distribution_id", "distribution_name"]],
        required_one_of=[["distribution_id", "distribution_name"]],
        supports_check_mode=True,
    )
    validate_params(module)
    params = module.params
    client = module.client("cloudfront", retry_decorator=AWSRetry.jittered_backoff())
    try:
        dist_id = resolve_distribution(module, client)
        existing = find_invalidation(client, dist_id, params["caller_reference"])
        changed = existing is None
        if existing is not None:
            have = sorted(existing["InvalidationBatch"]["Paths"].get("Items") or [])
            if have != sorted(params["paths"]):
                module.fail_json(
                    msg=f"caller_reference: {params['caller_reference']!r} was already used for paths {have}, "
                    f"not {sorted(params['paths'])}; use a new caller reference"
                )
            invalidation = existing
        elif module.check_mode:
            diff = dict(
                before={}, after=dict(caller_reference=params["caller_reference"], paths=sorted(params["paths"]))
            )
            module.exit_json(changed=True, diff=diff, distribution_id=dist_id)
        else:
            invalidation = create_invalidation(client, dist_id, params["caller_reference"], params["paths"])
        if params["wait"] and invalidation["Status"] != "Completed" and not module.check_mode:
            invalidation = wait_invalidation(client, dist_id, invalidation["Id"], params["wait_timeout"])
    except AnsibleCloudFrontError as e:
        module.fail_json_aws_error(e)
    module.exit_json(
        changed=changed,
        diff=planned_diff(params) if changed else dict(before={}, after={}),
        distribution_id=dist_id,
        invalidation=camel_dict_to_snake_dict(invalidation),
    )


if __name__ == "__main__":
    main()
