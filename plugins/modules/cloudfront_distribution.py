#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudfront_distribution
short_description: Idempotent CloudFront distribution for a static site in S3 and an optional API origin
version_added: 0.1.0
description:
  - Creates, updates and deletes a CloudFront distribution that serves an S3 bucket through an
    Origin Access Control, optionally with a second (API) origin and cache behaviours for it,
    aliases with an ACM certificate, a default root object, error responses for single-page
    applications, a price class and access logging.
  - Written because C(community.aws.cloudfront_distribution) is not idempotent (it calls
    UpdateDistribution on every run) and has no check mode. This module compares a normalised
    view of the managed fields (order of aliases, Quantity fields and AWS defaults do not
    count) and calls UpdateDistribution only when that view differs.
  - "Identity rule: the distribution is the one tagged C(invoice:name) = O(name). The tag is set
    at creation and never removed. Distributions that hold one of O(aliases), then those whose
    comment is the desired comment, are looked at first. An alias held by another distribution
    fails the task before any change, naming the distribution."
  - The module owns the fields it exposes; fields it does not expose (geo restrictions, WAF web
    ACL, origin groups, function associations of a behaviour that stays) are left as they are.
  - Behaviours use cache policies (the legacy C(ForwardedValues) settings are dropped on update).
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description:
      - Name of the distribution, stored in the C(invoice:name) tag and used as caller reference.
    type: str
    required: true
  state:
    description:
      - V(absent) disables the distribution, waits until it is deployed and deletes it (CloudFront
        deletes only disabled, deployed distributions), whatever O(wait) says.
    type: str
    choices: [present, absent]
    default: present
  comment:
    description: Comment of the distribution. Defaults to O(name).
    type: str
  enabled:
    description: Whether the distribution serves requests.
    type: bool
    default: true
  aliases:
    description: Alternate domain names (CNAMEs). Need O(certificate_arn).
    type: list
    elements: str
    default: []
  certificate_arn:
    description:
      - ARN of an ACM certificate in C(us-east-1) covering O(aliases). Without it the distribution
        uses the C(*.cloudfront.net) certificate.
    type: str
  minimum_protocol_version:
    description: Minimum TLS version for viewers when O(certificate_arn) is set.
    type: str
    default: TLSv1.2_2021
  default_root_object:
    description: Object returned for a request to the root URL.
    type: str
    default: index.html
  s3_origin:
    description:
      - The S3 bucket origin, reached through an Origin Access Control. Required with O(state=present).
    type: dict
    suboptions:
      id:
        description: Origin ID, referenced by behaviours.
        type: str
        default: s3
      domain_name:
        description: Regional domain name of the bucket, for example C(my-bucket.s3.us-east-1.amazonaws.com).
        type: str
        required: true
      origin_path:
        description: Path prefix inside the bucket.
        type: str
        default: ""
      origin_access_control:
        description:
          - Name or ID of the Origin Access Control (see M(invoice.platform.cloudfront_origin_access_control)).
          - In check mode an OAC that does not exist yet (created by an earlier task in check mode)
            is reported as a change, not as an error.
        type: str
        required: true
  api_origin:
    description: An HTTPS custom origin, for example the App Runner service of the API.
    type: dict
    suboptions:
      id:
        description: Origin ID, referenced by behaviours.
        type: str
        default: api
      domain_name:
        description: Host name of the origin.
        type: str
        required: true
      origin_path:
        description: Path prefix added to requests.
        type: str
        default: ""
      https_port:
        description: HTTPS port of the origin.
        type: int
        default: 443
      read_timeout:
        description: Seconds CloudFront waits for a response.
        type: int
        default: 30
      keepalive_timeout:
        description: Seconds CloudFront keeps an idle connection to the origin.
        type: int
        default: 5
  default_behavior:
    description: The default cache behaviour.
    type: dict
    default: {}
    # The behaviours in behaviors take the same settings (a YAML anchor) and a path pattern.
    suboptions: &behavior
      target_origin:
        description: Origin ID the behaviour sends requests to. Defaults to the S3 origin.
        type: str
      viewer_protocol_policy:
        description: How viewers may use HTTP.
        type: str
        choices: [allow-all, https-only, redirect-to-https]
        default: redirect-to-https
      allowed_methods:
        description: HTTP methods CloudFront forwards.
        type: list
        elements: str
        default: [GET, HEAD]
      cached_methods:
        description: HTTP methods whose responses are cached.
        type: list
        elements: str
        default: [GET, HEAD]
      compress:
        description: Compress objects automatically.
        type: bool
        default: true
      cache_policy_id:
        description: Cache policy. Defaults to the AWS managed C(CachingOptimized) policy.
        type: str
        default: 658327ea-f89d-4fab-a63d-7e88639e58f6
      origin_request_policy_id:
        description: Origin request policy.
        type: str
      response_headers_policy_id:
        description: Response headers policy (for example security headers).
        type: str
  behaviors:
    description:
      - Ordered cache behaviours for path patterns (CloudFront matches them in this order).
        The list replaces the distribution's behaviours.
      - Each takes the settings of O(default_behavior) and its O(behaviors[].path_pattern).
    type: list
    elements: dict
    default: []
    suboptions:
      <<: *behavior
      path_pattern:
        description: Path pattern, for example C(/api/*).
        type: str
        required: true
  spa_fallback:
    description:
      - Path of the single-page application's entry point, for example C(/index.html). Answers
        403 and 404 from the S3 origin with that page and status 200. Mutually exclusive with
        O(error_responses).
    type: str
  error_responses:
    description: Custom error responses. The list replaces the distribution's error responses.
    type: list
    elements: dict
    default: []
    suboptions:
      error_code:
        description: HTTP status from the origin.
        type: int
        required: true
      response_code:
        description: HTTP status returned to the viewer.
        type: int
      response_page_path:
        description: Page returned to the viewer.
        type: str
      caching_min_ttl:
        description: Seconds the error response is cached.
        type: int
        default: 10
  price_class:
    description: Price class.
    type: str
    choices: [PriceClass_100, PriceClass_200, PriceClass_All]
    default: PriceClass_100
  http_version:
    description: Highest HTTP version viewers may use.
    type: str
    choices: [http1.1, http2, http2and3, http3]
    default: http2and3
  ipv6_enabled:
    description: Serve over IPv6 too.
    type: bool
    default: true
  logging:
    description: Standard access logging to an S3 bucket. Omit to disable logging.
    type: dict
    suboptions:
      bucket:
        description: Domain name of the log bucket, for example C(logs.s3.amazonaws.com).
        type: str
        required: true
      prefix:
        description: Key prefix of the log files.
        type: str
        default: ""
      include_cookies:
        description: Log cookies.
        type: bool
        default: false
  wait:
    description: Wait until the distribution is deployed after a change.
    type: bool
    default: false
  wait_timeout:
    description: How long to wait, in seconds.
    type: int
    default: 1800
notes:
  - A run with nothing to change makes only read calls - ListDistributions,
    ListTagsForResource (usually once), GetDistributionConfig and ListOriginAccessControls.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Serve the web UI from S3 and the API from App Runner under one name
  invoice.platform.cloudfront_distribution:
    name: invoice-prod-web
    aliases: [app.example.com]
    certificate_arn: "{{ web_certificate.certificate_arn }}"
    s3_origin:
      domain_name: invoice-prod-web.s3.us-east-1.amazonaws.com
      origin_access_control: invoice-prod-web
    api_origin:
      domain_name: abcdefgh.us-east-1.awsapprunner.com
    behaviors:
      - path_pattern: /api/*
        target_origin: api
        viewer_protocol_policy: https-only
        allowed_methods: [GET, HEAD, OPTIONS, PUT, PATCH, POST, DELETE]
        cache_policy_id: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad  # CachingDisabled
        origin_request_policy_id: b689b0a8-53d0-40ab-baf2-68738e2966ac  # AllViewerExceptHostHeader
    spa_fallback: /index.html
    logging:
      bucket: invoice-prod-logs.s3.amazonaws.com
      prefix: cloudfront/
    tags:
      invoice:env: prod
    wait: true

- name: Delete the distribution (disables it, waits, deletes)
  invoice.platform.cloudfront_distribution:
    name: invoice-prod-web
    s3_origin:
      domain_name: invoice-prod-web.s3.us-east-1.amazonaws.com
      origin_access_control: invoice-prod-web
    state: absent
"""

RETURN = r"""
distribution:
  description: The distribution.
  returned: when it exists (not in check mode before it is created)
  type: dict
  contains:
    id:
      description: Distribution ID.
      type: str
      sample: E2QWRUHAPOMQZL
    arn:
      description: Distribution ARN.
      type: str
    domain_name:
      description: The C(*.cloudfront.net) domain name, the target of alias records.
      type: str
      sample: d111111abcdef8.cloudfront.net
    status:
      description: C(InProgress) or C(Deployed).
      type: str
    etag:
      description: Current ETag of the configuration.
      type: str
    config:
      description: The managed fields, normalised as the module compares them.
      type: dict
tags:
  description: Tags of the distribution.
  returned: when it exists
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.invoice.platform.plugins.module_utils._diff import view_diff
from ansible_collections.invoice.platform.plugins.module_utils._options import dict_list, tag_options, wait_options
from ansible_collections.invoice.platform.plugins.module_utils.cloudfront import (
    CACHING_OPTIMIZED,
    NAME_TAG,
    alias_holders,
    build_config,
    config_view,
    create_distribution,
    delete_distribution,
    find_distribution,
    find_origin_access_control,
    get_distribution_config,
    list_distributions,
    merge_config,
    run_module,
    tag_resource,
    untag_resource,
    update_distribution,
    wait_deployed,
)

BEHAVIOR_OPTIONS = dict(
    target_origin=dict(type="str"),
    viewer_protocol_policy=dict(
        type="str", choices=["allow-all", "https-only", "redirect-to-https"], default="redirect-to-https"
    ),
    allowed_methods=dict(type="list", elements="str", default=["GET", "HEAD"]),
    cached_methods=dict(type="list", elements="str", default=["GET", "HEAD"]),
    compress=dict(type="bool", default=True),
    cache_policy_id=dict(type="str", default=CACHING_OPTIMIZED),
    origin_request_policy_id=dict(type="str"),
    response_headers_policy_id=dict(type="str"),
)
from ansible_collections.invoice.platform.plugins.module_utils._tags import tag_plan

PENDING_OAC = "(origin access control {} - not created yet)"


def validate_params(module):
    """Fail before any AWS call on combinations CloudFront would refuse, naming the option."""
    params = module.params
    origin_ids = [params["s3_origin"]["id"]]
    if params["api_origin"]:
        origin_ids.append(params["api_origin"]["id"])
    if len(set(origin_ids)) != len(origin_ids):
        module.fail_json(msg=f"api_origin.id: {origin_ids[1]!r} is also the id of s3_origin; origin ids must differ")
    behaviors = [("default_behavior", params["default_behavior"])]
    behaviors += [(f"behaviors[{i}]", b) for i, b in enumerate(params["behaviors"])]
    for where, behavior in behaviors:
        behavior["target_origin"] = behavior["target_origin"] or params["s3_origin"]["id"]
        target = behavior["target_origin"]
        if target not in origin_ids:
            module.fail_json(msg=f"{where}.target_origin: {target!r} is not an origin id ({', '.join(origin_ids)})")
        extra = set(behavior["cached_methods"]) - set(behavior["allowed_methods"])
        if extra:
            module.fail_json(msg=f"{where}.cached_methods: {sorted(extra)} are not in allowed_methods")
    patterns = [b["path_pattern"] for b in params["behaviors"]]
    if len(set(patterns)) != len(patterns):
        module.fail_json(msg=f"behaviors: path patterns must be unique, got {patterns}")
    if params["aliases"] and not params["certificate_arn"]:
        module.fail_json(msg="aliases: a distribution with aliases needs certificate_arn (an ACM certificate)")
    if params["certificate_arn"] and ":acm:us-east-1:" not in params["certificate_arn"]:
        module.fail_json(
            msg=f"certificate_arn: CloudFront needs an ACM certificate in us-east-1, got {params['certificate_arn']}"
        )
    if params["spa_fallback"]:
        if not params["spa_fallback"].startswith("/"):
            module.fail_json(msg=f"spa_fallback: {params['spa_fallback']!r} must start with '/'")
        params["error_responses"] = [
            dict(error_code=code, response_code=200, response_page_path=params["spa_fallback"], caching_min_ttl=10)
            for code in (403, 404)
        ]
    if params["wait_timeout"] <= 0:
        module.fail_json(msg=f"wait_timeout must be a positive number of seconds, got {params['wait_timeout']}")


def resolve_oac(module, client):
    wanted = module.params["s3_origin"]["origin_access_control"]
    found = find_origin_access_control(client, wanted)
    if found:
        return found["Id"]
    if module.check_mode:
        return PENDING_OAC.format(wanted)
    module.fail_json(msg=f"s3_origin.origin_access_control: no origin access control named or with id {wanted!r}")


def ensure_config(module, client, summary, desired, diff):
    current, etag = get_distribution_config(client, summary["Id"])
    before, after = config_view(current), config_view(desired)
    if before == after:
        return False, etag
    changes = view_diff(before, after)
    diff["before"].update(changes["before"])
    diff["after"].update(changes["after"])
    if "aliases" in changes["after"]:
        check_aliases(module, client, summary["Id"])
    if module.check_mode:
        return True, etag
    _, etag = update_distribution(client, summary["Id"], merge_config(current, desired), etag)
    return True, etag


def ensure_tags(module, client, arn, current, diff):
    desired = module.params["tags"]
    if desired is None:
        return False, current
    desired = dict(desired, **{NAME_TAG: module.params["name"]})
    to_set, to_unset, after = tag_plan(current, desired, module.params["purge_tags"])
    if not to_set and not to_unset:
        return False, current
    diff["before"]["tags"], diff["after"]["tags"] = current, after
    if not module.check_mode:
        if to_unset:
            untag_resource(client, arn, to_unset)
        if to_set:
            tag_resource(client, arn, to_set)
    return True, after


def check_aliases(module, client, own_id):
    """Fail, naming the holder, if another distribution already has one of the aliases."""
    if not module.params["aliases"]:
        return
    others = [s for s in list_distributions(client) if s["Id"] != own_id]
    held = alias_holders(others, module.params["aliases"])
    if held:
        alias, dist_id = sorted(held.items())[0]
        module.fail_json(
            msg=f"aliases: {alias!r} is already an alias of distribution {dist_id}, which this task does not manage"
        )


def ensure_present(module, client):
    params = module.params
    summary, tags = find_distribution(client, params["name"], params["aliases"], params["comment"] or params["name"])
    desired = build_config(params, params["name"], resolve_oac(module, client))
    diff = dict(before={}, after={})

    if summary is None:
        check_aliases(module, client, None)
        diff["after"] = dict(config_view(desired), tags=dict(params["tags"] or {}, **{NAME_TAG: params["name"]}))
        if module.check_mode:
            module.exit_json(changed=True, diff=diff)
        created, etag = create_distribution(client, desired, diff["after"]["tags"])
        summary = dict(Id=created["Id"], ARN=created["ARN"], DomainName=created["DomainName"], Status=created["Status"])
        tags = diff["after"]["tags"]
        changed = True
    else:
        config_changed, etag = ensure_config(module, client, summary, desired, diff)
        tags_changed, tags = ensure_tags(module, client, summary["ARN"], tags, diff)
        changed = config_changed or tags_changed

    status = summary["Status"]
    if changed and params["wait"] and not module.check_mode:
        wait_deployed(client, summary["Id"], params["wait_timeout"])
        status = "Deployed"
    distribution = dict(
        id=summary["Id"],
        arn=summary["ARN"],
        domain_name=summary["DomainName"],
        status=status,
        etag=etag,
        config=config_view(desired),
    )
    module.exit_json(changed=changed, diff=diff, distribution=distribution, tags=tags)


def ensure_absent(module, client):
    params = module.params
    summary, _ = find_distribution(client, params["name"], params["aliases"], params["comment"] or params["name"])
    if summary is None:
        module.exit_json(changed=False, diff=dict(before={}, after={}))
    diff = dict(before=dict(id=summary["Id"], domain_name=summary["DomainName"]), after={})
    if module.check_mode:
        module.exit_json(changed=True, diff=diff)
    current, etag = get_distribution_config(client, summary["Id"])
    if current.get("Enabled"):
        disabled = dict(current, Enabled=False)
        _, etag = update_distribution(client, summary["Id"], disabled, etag)
    wait_deployed(client, summary["Id"], params["wait_timeout"])
    delete_distribution(client, summary["Id"], etag)
    module.exit_json(changed=True, diff=diff)


def origin_options(origin_id, **options):
    """The options of an origin: ``id`` (default ``origin_id``), ``domain_name`` and ``origin_path``,
    which every CloudFront origin has, then ``options``, the kind's own."""
    return dict(
        id=dict(type="str", default=origin_id),
        domain_name=dict(type="str", required=True),
        origin_path=dict(type="str", default=""),
        **options,
    )


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        comment=dict(type="str"),
        enabled=dict(type="bool", default=True),
        aliases=dict(type="list", elements="str", default=[]),
        certificate_arn=dict(type="str"),
        minimum_protocol_version=dict(type="str", default="TLSv1.2_2021"),
        default_root_object=dict(type="str", default="index.html"),
        s3_origin=dict(
            type="dict",
            options=origin_options("s3", origin_access_control=dict(type="str", required=True)),
        ),
        api_origin=dict(
            type="dict",
            options=origin_options(
                "api",
                https_port=dict(type="int", default=443),
                read_timeout=dict(type="int", default=30),
                keepalive_timeout=dict(type="int", default=5),
            ),
        ),
        default_behavior=dict(type="dict", default={}, options=BEHAVIOR_OPTIONS),
        behaviors=dict_list(path_pattern=dict(type="str", required=True), **BEHAVIOR_OPTIONS),
        spa_fallback=dict(type="str"),
        error_responses=dict_list(
            error_code=dict(type="int", required=True),
            response_code=dict(type="int"),
            response_page_path=dict(type="str"),
            caching_min_ttl=dict(type="int", default=10),
        ),
        price_class=dict(
            type="str", choices=["PriceClass_100", "PriceClass_200", "PriceClass_All"], default="PriceClass_100"
        ),
        http_version=dict(type="str", choices=["http1.1", "http2", "http2and3", "http3"], default="http2and3"),
        ipv6_enabled=dict(type="bool", default=True),
        logging=dict(
            type="dict",
            options=dict(
                bucket=dict(type="str", required=True),
                prefix=dict(type="str", default=""),
                include_cookies=dict(type="bool", default=False),
            ),
        ),
        **tag_options(),
        **wait_options(1800, wait=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["spa_fallback", "error_responses"]],
        required_if=[["state", "present", ["s3_origin"]]],
        supports_check_mode=True,
    )
    if module.params["state"] == "present":
        validate_params(module)
    run_module(module, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
