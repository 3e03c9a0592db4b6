# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared code of invoice.platform's CloudFront modules (distribution, origin access control,
invalidation): building a DistributionConfig from task options, the normalised view of a
config that idempotence and diffs compare, and the API calls.

Clients passed in are made with ``retry_decorator=AWSRetry.jittered_backoff()``; every call
here passes ``aws_retry=True``. AWS errors are raised as :class:`AnsibleCloudFrontError`
whose message names the action; modules end with ``module.fail_json_aws_error(e)``.
"""

import copy

try:
    import botocore  # noqa: F401 (the error handlers catch botocore exceptions)
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.waiter import custom_waiter_config
from ansible_collections.invoice.platform.plugins.module_utils._cloudfront.waiters import CloudFrontWaiterFactory
from ansible_collections.invoice.platform.plugins.module_utils._diff import view_diff
from ansible_collections.invoice.platform.plugins.module_utils._pagination import marker_pages

# The tag that names a distribution this collection manages (its identity).
NAME_TAG = "invoice:name"

# AWS managed cache policy "CachingOptimized".
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"

# Keys of a cache behaviour that a cache policy replaces (AWS refuses both together).
LEGACY_CACHE_KEYS = ("ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL")


class AnsibleCloudFrontError(AnsibleAWSError):
    pass


class CloudFrontErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCloudFrontError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            ["NoSuchDistribution", "NoSuchOriginAccessControl", "NoSuchInvalidation", "NoSuchResponseHeadersPolicy"]
        )


def run_module(module, ensure_present, ensure_absent):
    """Call ``ensure_absent`` (state=absent) or ``ensure_present`` with a CloudFront client.

    Both end the module (``exit_json``); CloudFront errors fail the task with the AWS error.
    """
    client = module.client("cloudfront", retry_decorator=AWSRetry.jittered_backoff())
    try:
        if module.params["state"] == "absent":
            ensure_absent(module, client)
        ensure_present(module, client)
    except AnsibleCloudFrontError as e:
        module.fail_json_aws_error(e)


# ---- building and normalising configurations (unit tested) ---------------------------------


def _items(values):
    values = list(values or [])
    result = dict(Quantity=len(values))
    if values:
        result["Items"] = values
    return result


def _plain(value):
    """Items of a {Quantity, Items} structure (or [] when absent)."""
    return list((value or {}).get("Items") or [])


def build_behavior(behavior, path_pattern=None):
    """API CacheBehavior (or DefaultCacheBehavior without ``path_pattern``) from task options."""
    result = dict(
        TargetOriginId=behavior["target_origin"],
        ViewerProtocolPolicy=behavior["viewer_protocol_policy"],
        AllowedMethods=dict(
            **_items(behavior["allowed_methods"]),
            CachedMethods=_items(behavior["cached_methods"]),
        ),
        Compress=behavior["compress"],
        CachePolicyId=behavior["cache_policy_id"],
    )
    if behavior.get("origin_request_policy_id"):
        result["OriginRequestPolicyId"] = behavior["origin_request_policy_id"]
    if behavior.get("response_headers_policy_id"):
        result["ResponseHeadersPolicyId"] = behavior["response_headers_policy_id"]
    if path_pattern is not None:
        result = dict(PathPattern=path_pattern, **result)
    return result


def build_origins(s3_origin, s3_oac_id, api_origin):
    origins = []
    if s3_origin:
        origins.append(
            dict(
                Id=s3_origin["id"],
                DomainName=s3_origin["domain_name"],
                OriginPath=s3_origin.get("origin_path") or "",
                S3OriginConfig=dict(OriginAccessIdentity=""),
                OriginAccessControlId=s3_oac_id or "",
            )
        )
    if api_origin:
        origins.append(
            dict(
                Id=api_origin["id"],
                DomainName=api_origin["domain_name"],
                OriginPath=api_origin.get("origin_path") or "",
                CustomOriginConfig=dict(
                    HTTPPort=80,
                    HTTPSPort=api_origin["https_port"],
                    OriginProtocolPolicy="https-only",
                    OriginSslProtocols=_items(["TLSv1.2"]),
                    OriginReadTimeout=api_origin["read_timeout"],
                    OriginKeepaliveTimeout=api_origin["keepalive_timeout"],
                ),
            )
        )
    return origins


def build_error_responses(error_responses):
    return [
        dict(
            ErrorCode=int(r["error_code"]),
            ResponsePagePath=r.get("response_page_path") or "",
            ResponseCode=str(r["response_code"]) if r.get("response_code") else "",
            ErrorCachingMinTTL=int(r.get("caching_min_ttl", 10)),
        )
        for r in error_responses
    ]


def build_config(params, caller_reference, s3_oac_id):
    """The DistributionConfig fields a task manages, in API shape."""
    if params["certificate_arn"]:
        viewer_certificate = dict(
            ACMCertificateArn=params["certificate_arn"],
            SSLSupportMethod="sni-only",
            MinimumProtocolVersion=params["minimum_protocol_version"],
            CloudFrontDefaultCertificate=False,
        )
    else:
        viewer_certificate = dict(CloudFrontDefaultCertificate=True, MinimumProtocolVersion="TLSv1")
    logging = params["logging"]
    return dict(
        CallerReference=caller_reference,
        Comment=params["comment"] if params["comment"] is not None else params["name"],
        Enabled=params["enabled"],
        Aliases=_items(params["aliases"]),
        DefaultRootObject=params["default_root_object"] or "",
        Origins=_items(build_origins(params["s3_origin"], s3_oac_id, params["api_origin"])),
        DefaultCacheBehavior=build_behavior(params["default_behavior"]),
        CacheBehaviors=_items([build_behavior(b, b["path_pattern"]) for b in params["behaviors"]]),
        CustomErrorResponses=_items(build_error_responses(params["error_responses"])),
        PriceClass=params["price_class"],
        HttpVersion=params["http_version"],
        IsIPV6Enabled=params["ipv6_enabled"],
        ViewerCertificate=viewer_certificate,
        Logging=dict(
            Enabled=bool(logging),
            IncludeCookies=bool(logging and logging["include_cookies"]),
            Bucket=logging["bucket"] if logging else "",
            Prefix=(logging["prefix"] or "") if logging else "",
        ),
    )


def _behavior_view(behavior):
    methods = behavior.get("AllowedMethods") or {}
    return dict(
        target_origin=behavior.get("TargetOriginId"),
        viewer_protocol_policy=behavior.get("ViewerProtocolPolicy"),
        allowed_methods=sorted(_plain(methods)),
        cached_methods=sorted(_plain(methods.get("CachedMethods"))),
        compress=bool(behavior.get("Compress")),
        cache_policy_id=behavior.get("CachePolicyId") or "",
        origin_request_policy_id=behavior.get("OriginRequestPolicyId") or "",
        response_headers_policy_id=behavior.get("ResponseHeadersPolicyId") or "",
    )


def _origin_view(origin):
    view = dict(domain_name=origin.get("DomainName"), origin_path=origin.get("OriginPath") or "")
    custom = origin.get("CustomOriginConfig")
    if custom:
        view.update(
            type="custom",
            https_port=custom.get("HTTPSPort"),
            protocol_policy=custom.get("OriginProtocolPolicy"),
            ssl_protocols=sorted(_plain(custom.get("OriginSslProtocols"))),
            read_timeout=custom.get("OriginReadTimeout"),
            keepalive_timeout=custom.get("OriginKeepaliveTimeout"),
        )
    else:
        view.update(type="s3", origin_access_control_id=origin.get("OriginAccessControlId") or "")
    return view


def config_view(config):
    """The managed fields of a DistributionConfig as plain, order-insensitive data.

    Desired and current configurations both pass through here, so whatever AWS adds or
    reorders (Quantity fields, defaults, alias order) never shows up as a difference.
    Cache behaviours keep their order: CloudFront matches them in that order.
    """
    viewer = config.get("ViewerCertificate") or {}
    if viewer.get("ACMCertificateArn"):
        certificate = dict(
            acm_certificate_arn=viewer["ACMCertificateArn"],
            minimum_protocol_version=viewer.get("MinimumProtocolVersion"),
            ssl_support_method=viewer.get("SSLSupportMethod"),
        )
    else:
        certificate = "cloudfront-default"
    logging = config.get("Logging") or {}
    return dict(
        comment=config.get("Comment") or "",
        enabled=bool(config.get("Enabled")),
        aliases=sorted(a.lower() for a in _plain(config.get("Aliases"))),
        default_root_object=config.get("DefaultRootObject") or "",
        origins={o["Id"]: _origin_view(o) for o in _plain(config.get("Origins"))},
        default_behavior=_behavior_view(config.get("DefaultCacheBehavior") or {}),
        behaviors=[
            dict(path_pattern=b.get("PathPattern"), **_behavior_view(b)) for b in _plain(config.get("CacheBehaviors"))
        ],
        error_responses=sorted(
            (
                dict(
                    error_code=int(r["ErrorCode"]),
                    response_code=str(r.get("ResponseCode") or ""),
                    response_page_path=r.get("ResponsePagePath") or "",
                    caching_min_ttl=int(r.get("ErrorCachingMinTTL", 10)),
                )
                for r in _plain(config.get("CustomErrorResponses"))
            ),
            key=lambda r: r["error_code"],
        ),
        price_class=config.get("PriceClass"),
        http_version=config.get("HttpVersion"),
        ipv6_enabled=bool(config.get("IsIPV6Enabled")),
        certificate=certificate,
        logging=dict(
            enabled=bool(logging.get("Enabled")),
            bucket=logging.get("Bucket") or "",
            prefix=logging.get("Prefix") or "",
            include_cookies=bool(logging.get("IncludeCookies")),
        )
        if logging.get("Enabled")
        else dict(enabled=False),
    )


def _merge_by(current_items, desired_items, key, drop=()):
    """Desired items overlaid on the current item with the same key (keeps fields the task does not manage)."""
    current = {item.get(key): item for item in current_items}
    merged = []
    for item in desired_items:
        base = {k: v for k, v in copy.deepcopy(current.get(item.get(key), {})).items() if k not in drop}
        if "CustomOriginConfig" in item:
            base.pop("S3OriginConfig", None)
        if "S3OriginConfig" in item:
            base.pop("CustomOriginConfig", None)
        base.update(item)
        merged.append(base)
    return merged


def merge_config(current, desired):
    """The DistributionConfig to send to UpdateDistribution: the current one with the managed
    fields replaced. Fields the task does not manage (restrictions, WAF, origin groups, function
    associations of a behaviour that stays) are kept."""
    merged = copy.deepcopy(current)
    for key, value in desired.items():
        if key in ("Origins", "CacheBehaviors", "DefaultCacheBehavior", "ViewerCertificate", "CallerReference"):
            continue
        merged[key] = value
    merged["Origins"] = _items(_merge_by(_plain(current.get("Origins")), _plain(desired["Origins"]), "Id"))
    merged["CacheBehaviors"] = _items(
        _merge_by(
            _plain(current.get("CacheBehaviors")), _plain(desired["CacheBehaviors"]), "PathPattern", LEGACY_CACHE_KEYS
        )
    )
    default = {k: v for k, v in (current.get("DefaultCacheBehavior") or {}).items() if k not in LEGACY_CACHE_KEYS}
    default.update(desired["DefaultCacheBehavior"])
    merged["DefaultCacheBehavior"] = default
    viewer = desired["ViewerCertificate"]
    if not viewer.get("CloudFrontDefaultCertificate"):
        viewer = dict(viewer)
        viewer.pop("CloudFrontDefaultCertificate", None)
    merged["ViewerCertificate"] = viewer
    for key in ("CertificateSource", "Certificate", "IAMCertificateId"):
        merged["ViewerCertificate"].pop(key, None)
    return merged


# ---- configurations found by name and changed under their ETag ---------------------------


class NamedConfig:
    """One kind of CloudFront configuration that a module finds by its name and changes under its
    ETag (``IfMatch``): ORIGIN_ACCESS_CONTROLS, RESPONSE_HEADERS_POLICIES below.

    ``kind`` names its calls (``get_<kind>``, ``create_<kind>``, ``update_<kind>``,
    ``delete_<kind>``), whose configuration goes in ``<Kind>Config`` and whose resource comes back
    as ``<Kind>``; ``find(client, name)`` returns the resource as CloudFront lists it (or None) and
    ``config_of(resource)`` its configuration. The module gives ``view(config)``, what is compared
    and shown in the diff, and ``returned(id, config)``, the keys it returns. Both ``ensure_*`` end
    the module.
    """

    def __init__(self, kind, *, find, config_of):
        self.kind, self.find, self.config_of = kind, find, config_of
        self.label = kind.replace("_", " ")
        self.key = kind.title().replace("_", "")

    @CloudFrontErrorHandler.common_error_handler("read the ETag of CloudFront {self.label} {res_id}")
    def get_etag(self, client, res_id):
        return getattr(client, f"get_{self.kind}")(aws_retry=True, Id=res_id)["ETag"]

    @CloudFrontErrorHandler.common_error_handler("create CloudFront {self.label} {config[Name]}")
    def create(self, client, config):
        return getattr(client, f"create_{self.kind}")(aws_retry=True, **{f"{self.key}Config": config})[self.key]

    @CloudFrontErrorHandler.common_error_handler("update CloudFront {self.label} {res_id}")
    def update(self, client, res_id, config, etag):
        getattr(client, f"update_{self.kind}")(aws_retry=True, Id=res_id, IfMatch=etag, **{f"{self.key}Config": config})

    @CloudFrontErrorHandler.deletion_error_handler("delete CloudFront {self.label} {res_id}")
    def delete(self, client, res_id, etag):
        getattr(client, f"delete_{self.kind}")(aws_retry=True, Id=res_id, IfMatch=etag)
        return True

    def run(self, module, build, view, returned):
        """State absent deletes the configuration, else ``build(module.params)`` is converged."""

        def ensure_present(module, client):
            self.ensure_present(module, client, build(module.params), view, returned)

        run_module(module, ensure_present, lambda module, client: self.ensure_absent(module, client, view))

    def ensure_present(self, module, client, desired, view, returned):
        current = self.find(client, module.params["name"])
        if current is None:
            diff = dict(before={}, after=view(desired))
            if module.check_mode:
                module.exit_json(changed=True, diff=diff)
            created = self.create(client, desired)
            module.exit_json(changed=True, diff=diff, **returned(created["Id"], desired))
        config = self.config_of(current)
        before, after = view(config), view(desired)
        changed = before != after
        if changed and not module.check_mode:
            self.update(client, current["Id"], desired, self.get_etag(client, current["Id"]))
        module.exit_json(
            changed=changed, diff=view_diff(before, after), **returned(current["Id"], desired if changed else config)
        )

    def ensure_absent(self, module, client, view):
        current = self.find(client, module.params["name"])
        if current is None:
            module.exit_json(changed=False, diff=dict(before={}, after={}))
        if not module.check_mode:
            self.delete(client, current["Id"], self.get_etag(client, current["Id"]))
        module.exit_json(changed=True, diff=dict(before=view(self.config_of(current)), after={}))


# ---- distributions ----------------------------------------------------------------------


@CloudFrontErrorHandler.common_error_handler("list CloudFront distributions")
def list_distributions(client):
    return [
        item for page in marker_pages(client.list_distributions, "DistributionList") for item in page.get("Items") or []
    ]


@CloudFrontErrorHandler.common_error_handler("list tags of CloudFront resource {arn}")
def get_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(aws_retry=True, Resource=arn)["Tags"]["Items"])


def find_distribution(client, name, aliases=(), comment=None):
    """The distribution tagged ``invoice:name=<name>`` and its tags, or (None, None).

    Distributions holding one of ``aliases`` are looked at first, then those whose comment is
    ``comment``, then the rest, so a run usually reads one distribution's tags.
    """
    wanted = {a.lower() for a in aliases}

    def priority(summary):
        held = {a.lower() for a in _plain(summary.get("Aliases"))}
        return (not (held & wanted), summary.get("Comment") != comment)

    for summary in sorted(list_distributions(client), key=priority):
        tags = get_tags(client, summary["ARN"])
        if tags.get(NAME_TAG) == name:
            return summary, tags
    return None, None


def alias_holders(summaries_tags, aliases):
    """Aliases of the task already held by a distribution that is not this one: {alias: id}."""
    wanted = {a.lower() for a in aliases}
    return {a: s["Id"] for s in summaries_tags for a in _plain(s.get("Aliases")) if a.lower() in wanted}


@CloudFrontErrorHandler.common_error_handler("read the config of CloudFront distribution {dist_id}")
def get_distribution_config(client, dist_id):
    response = client.get_distribution_config(aws_retry=True, Id=dist_id)
    return response["DistributionConfig"], response["ETag"]


@CloudFrontErrorHandler.common_error_handler("create CloudFront distribution {config[CallerReference]}")
def create_distribution(client, config, tags):
    response = client.create_distribution_with_tags(
        aws_retry=True,
        DistributionConfigWithTags=dict(
            DistributionConfig=config, Tags=dict(Items=[dict(Key=k, Value=v) for k, v in tags.items()])
        ),
    )
    return response["Distribution"], response["ETag"]


@CloudFrontErrorHandler.common_error_handler("update CloudFront distribution {dist_id}")
def update_distribution(client, dist_id, config, etag):
    response = client.update_distribution(aws_retry=True, Id=dist_id, IfMatch=etag, DistributionConfig=config)
    return response["Distribution"], response["ETag"]


@CloudFrontErrorHandler.deletion_error_handler("delete CloudFront distribution {dist_id}")
def delete_distribution(client, dist_id, etag):
    client.delete_distribution(aws_retry=True, Id=dist_id, IfMatch=etag)
    return True


@CloudFrontErrorHandler.common_error_handler("tag CloudFront resource {arn}")
def tag_resource(client, arn, tags):
    client.tag_resource(aws_retry=True, Resource=arn, Tags=dict(Items=[dict(Key=k, Value=v) for k, v in tags.items()]))


@CloudFrontErrorHandler.common_error_handler("untag CloudFront resource {arn}")
def untag_resource(client, arn, keys):
    client.untag_resource(aws_retry=True, Resource=arn, TagKeys=dict(Items=list(keys)))


@CloudFrontErrorHandler.common_error_handler("wait for CloudFront distribution {dist_id} to be deployed")
def wait_deployed(client, dist_id, timeout):
    waiter = CloudFrontWaiterFactory().get_waiter(client, "distribution_deployed")
    waiter.wait(Id=dist_id, WaiterConfig=custom_waiter_config(timeout, default_pause=10))


# ---- origin access controls -------------------------------------------------------------


@CloudFrontErrorHandler.common_error_handler("list CloudFront origin access controls")
def list_origin_access_controls(client):
    pages = marker_pages(client.list_origin_access_controls, "OriginAccessControlList")
    return [item for page in pages for item in page.get("Items") or []]


def find_origin_access_control(client, name_or_id):
    for item in list_origin_access_controls(client):
        if name_or_id in (item["Id"], item["Name"]):
            return item
    return None


ORIGIN_ACCESS_CONTROLS = NamedConfig(
    "origin_access_control",
    find=lambda client, name: next((i for i in list_origin_access_controls(client) if i["Name"] == name), None),
    config_of=lambda item: {k: v for k, v in item.items() if k != "Id"},
)


# ---- invalidations ----------------------------------------------------------------------


@CloudFrontErrorHandler.common_error_handler("find the invalidation {caller_reference} of distribution {dist_id}")
def find_invalidation(client, dist_id, caller_reference):
    """The invalidation created with ``caller_reference`` (ListInvalidations has no caller
    reference, so each invalidation is read until it is found; AWS lists newest first)."""
    for page in marker_pages(client.list_invalidations, "InvalidationList", DistributionId=dist_id):
        for summary in page.get("Items") or []:
            invalidation = client.get_invalidation(aws_retry=True, DistributionId=dist_id, Id=summary["Id"])
            if invalidation["Invalidation"]["InvalidationBatch"]["CallerReference"] == caller_reference:
                return invalidation["Invalidation"]
    return None


@CloudFrontErrorHandler.common_error_handler("create invalidation {caller_reference} of distribution {dist_id}")
def create_invalidation(client, dist_id, caller_reference, paths):
    return client.create_invalidation(
        aws_retry=True,
        DistributionId=dist_id,
        InvalidationBatch=dict(Paths=_items(paths), CallerReference=caller_reference),
    )["Invalidation"]


@CloudFrontErrorHandler.common_error_handler("wait for invalidation {inv_id} of distribution {dist_id}")
def wait_invalidation(client, dist_id, inv_id, timeout):
    waiter = CloudFrontWaiterFactory().get_waiter(client, "invalidation_completed")
    waiter.wait(DistributionId=dist_id, Id=inv_id, WaiterConfig=custom_waiter_config(timeout, default_pause=10))
    return client.get_invalidation(aws_retry=True, DistributionId=dist_id, Id=inv_id)["Invalidation"]


# ---- response headers policies ----------------------------------------------------------

_SECURITY_HEADERS = dict(
    strict_transport_security=(
        "StrictTransportSecurity",
        dict(max_age="AccessControlMaxAgeSec", include_subdomains="IncludeSubdomains", preload="Preload"),
    ),
    content_type_options=("ContentTypeOptions", {}),
    frame_options=("FrameOptions", dict(frame_option="FrameOption")),
    referrer_policy=("ReferrerPolicy", dict(referrer_policy="ReferrerPolicy")),
    xss_protection=("XSSProtection", dict(protection="Protection", mode_block="ModeBlock")),
    content_security_policy=("ContentSecurityPolicy", dict(policy="ContentSecurityPolicy")),
)


# Booleans AWS may leave out when false.
_FLAGS = ("include_subdomains", "preload", "mode_block")


def response_headers_config(params):
    """ResponseHeadersPolicyConfig (API shape) from the module's options."""
    security = {}
    for option, (api_key, fields) in _SECURITY_HEADERS.items():
        value = (params.get("security_headers") or {}).get(option)
        if value is None:
            continue
        header = {api: value[opt] for opt, api in fields.items()}
        header["Override"] = value["override"]
        security[api_key] = header
    config = dict(Name=params["name"], Comment=params.get("comment") or "")
    if security:
        config["SecurityHeadersConfig"] = security
    custom = [
        dict(Header=h["header"], Value=h["value"], Override=h["override"]) for h in params.get("custom_headers") or []
    ]
    if custom:
        config["CustomHeadersConfig"] = _items(custom)
    return config


def response_headers_view(config):
    """The managed part of a ResponseHeadersPolicyConfig, for comparison and diffs."""
    security = {}
    for option, (api_key, fields) in _SECURITY_HEADERS.items():
        header = (config.get("SecurityHeadersConfig") or {}).get(api_key)
        if header is None:
            continue
        view = {opt: bool(header.get(api)) if opt in _FLAGS else header.get(api) for opt, api in fields.items()}
        view["override"] = bool(header.get("Override"))
        security[option] = view
    custom = sorted(
        (
            dict(header=h["Header"].lower(), value=h["Value"], override=bool(h.get("Override")))
            for h in _plain(config.get("CustomHeadersConfig"))
        ),
        key=lambda h: h["header"],
    )
    return dict(comment=config.get("Comment") or "", security_headers=security, custom_headers=custom)


@CloudFrontErrorHandler.common_error_handler("list CloudFront response headers policies")
def find_response_headers_policy(client, name):
    for page in marker_pages(client.list_response_headers_policies, "ResponseHeadersPolicyList", Type="custom"):
        for item in page.get("Items") or []:
            policy = item["ResponseHeadersPolicy"]
            if policy["ResponseHeadersPolicyConfig"]["Name"] == name:
                return policy
    return None


RESPONSE_HEADERS_POLICIES = NamedConfig(
    "response_headers_policy",
    find=find_response_headers_policy,
    config_of=lambda policy: policy["ResponseHeadersPolicyConfig"],
)
