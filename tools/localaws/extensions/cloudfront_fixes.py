"""CloudFront behaviour moto lacks, as far as invoice.platform's CloudFront modules rely on it.

- Origins keep ``OriginAccessControlId`` and ``S3OriginConfig`` (moto drops both).
- A viewer certificate from ACM or IAM is reported as such (moto always says
  ``CloudFrontDefaultCertificate: true``).
- ETags: every UpdateDistribution gives a new ETag, and UpdateDistribution/DeleteDistribution
  with a stale ``IfMatch`` fail with ``PreconditionFailed``; deleting an enabled distribution
  fails with ``DistributionNotDisabled``, as on AWS.
- Invalidations are ``InProgress`` for ``LOCALAWS_CLOUDFRONT_INVALIDATION_DELAY`` seconds
  (default 1), then ``Completed`` (AWS's spelling, which botocore's waiter expects; moto says
  ``COMPLETED`` at once). A second CreateInvalidation with the same caller reference returns
  the first invalidation when the paths are the same and fails with
  ``InvalidationBatchAlreadyExists`` when they differ.
- Response headers policies (moto has none): Create/Get/GetConfig/List/Update/Delete with
  ETags, ``IfMatch`` checks and unique names (``ResponseHeadersPolicyAlreadyExists``).
"""

from __future__ import annotations

import os
from typing import Any

from moto.cloudfront import models as cf_models
from moto.cloudfront import responses as cf_responses
from moto.cloudfront import urls as cf_urls
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random

from tools.localaws.exceptions import ErrorShape


class PreconditionFailed(ErrorShape):
    message = "The If-Match version does not match the current version of the resource."


class DistributionNotDisabled(ErrorShape):
    message = "The distribution you are trying to delete has not been disabled."


class InvalidationBatchAlreadyExists(ErrorShape):
    message = "The caller reference {caller_reference} is already used by an invalidation with other paths."


class NoSuchResponseHeadersPolicy(ErrorShape):
    message = "The response headers policy does not exist."


class ResponseHeadersPolicyAlreadyExists(ErrorShape):
    message = "A response headers policy with the name {name} already exists."


def _new_etag() -> str:
    return mock_random.get_random_string(length=14, include_digits=True, lower_case=False)


_origin_init = cf_models.Origin.__init__
_viewer_init = cf_models.ViewerCertificate.__init__
_update = cf_models.CloudFrontBackend.update_distribution
_delete = cf_models.CloudFrontBackend.delete_distribution
_create_invalidation = cf_models.CloudFrontBackend.create_invalidation


def _origin(self: Any, origin: dict[str, Any]) -> None:
    _origin_init(self, origin)
    self.origin_access_control_id = origin.get("OriginAccessControlId") or ""
    if "S3OriginConfig" in origin:
        self.s3_origin_config = {"OriginAccessIdentity": origin["S3OriginConfig"].get("OriginAccessIdentity") or ""}


def _viewer(self: Any, config: dict[str, Any]) -> None:
    _viewer_init(self, config)
    if config.get("ACMCertificateArn") or config.get("IAMCertificateId"):
        self.cloud_front_default_certificate = False
        self.certificate_source = "acm" if config.get("ACMCertificateArn") else "iam"


def _check_if_match(dist: Any, if_match: Any) -> None:
    if if_match and if_match != dist.etag:
        raise PreconditionFailed()


def _update_distribution(self: Any, dist_config: dict[str, Any], _id: str, if_match: Any) -> Any:
    if _id in self.distributions:
        _check_if_match(self.distributions[_id], if_match)
    dist, location, _ = _update(self, dist_config, _id, if_match)
    dist.etag = _new_etag()
    return dist, location, dist.etag


def _delete_distribution(self: Any, distribution_id: str, if_match: Any) -> None:
    dist = self.distributions.get(distribution_id)
    if dist is not None and if_match:
        _check_if_match(dist, if_match)
        if dist.distribution_config.Enabled:
            raise DistributionNotDisabled()
    _delete(self, distribution_id, if_match)


def _invalidation_status(self: Any) -> str:
    delay = float(os.environ.get("LOCALAWS_CLOUDFRONT_INVALIDATION_DELAY", "1"))
    return "Completed" if (utcnow() - self.create_time).total_seconds() >= delay else "InProgress"


def _create(self: Any, dist_id: str, paths: list[str], caller_ref: str) -> Any:
    for existing in self.invalidations.get(dist_id, []):
        if existing.caller_ref == caller_ref:
            if sorted(existing.paths) != sorted(paths):
                raise InvalidationBatchAlreadyExists(caller_reference=caller_ref)
            return existing
    return _create_invalidation(self, dist_id, paths, caller_ref)


# ---- response headers policies ----------------------------------------------------------

_RHP_PATH = "{0}/2020-05-31/response-headers-policy"
_RHP_PATHS = {
    _RHP_PATH + "$": cf_responses.CloudFrontResponse.dispatch,
    _RHP_PATH + "/(?P<policy_id>[^/]+)$": cf_responses.CloudFrontResponse.dispatch,
    _RHP_PATH + "/(?P<policy_id>[^/]+)/config$": cf_responses.CloudFrontResponse.dispatch,
}


def _policies(backend: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, "localaws_response_headers_policies"):
        backend.localaws_response_headers_policies = {}
    return backend.localaws_response_headers_policies


def _get_policy(backend: Any, policy_id: str, if_match: Any = None) -> dict[str, Any]:
    policy = _policies(backend).get(policy_id)
    if policy is None:
        raise NoSuchResponseHeadersPolicy()
    if if_match is not None and if_match != policy["ETag"]:
        raise PreconditionFailed()
    return policy


def _check_name(backend: Any, name: str, own_id: str | None = None) -> None:
    for policy_id, policy in _policies(backend).items():
        if policy_id != own_id and policy["ResponseHeadersPolicyConfig"]["Name"] == name:
            raise ResponseHeadersPolicyAlreadyExists(name=name)


def _policy_result(policy: dict[str, Any]) -> ActionResult:
    body = {k: policy[k] for k in ("Id", "LastModifiedTime", "ResponseHeadersPolicyConfig")}
    return ActionResult({"ResponseHeadersPolicy": body, "ETag": policy["ETag"]})


def create_response_headers_policy(self: Any) -> ActionResult:
    config = self._get_param("ResponseHeadersPolicyConfig", {})
    _check_name(self.backend, config["Name"])
    policy_id = str(mock_random.uuid4())
    policy = {"Id": policy_id, "LastModifiedTime": utcnow(), "ResponseHeadersPolicyConfig": config, "ETag": _new_etag()}
    _policies(self.backend)[policy_id] = policy
    return _policy_result(policy)


def get_response_headers_policy(self: Any) -> ActionResult:
    return _policy_result(_get_policy(self.backend, self._get_param("Id")))


def get_response_headers_policy_config(self: Any) -> ActionResult:
    policy = _get_policy(self.backend, self._get_param("Id"))
    return ActionResult({"ResponseHeadersPolicyConfig": policy["ResponseHeadersPolicyConfig"], "ETag": policy["ETag"]})


def list_response_headers_policies(self: Any) -> ActionResult:
    items = [
        {"Type": "custom", "ResponseHeadersPolicy": _policy_result(p).result["ResponseHeadersPolicy"]}  # type: ignore[index]
        for p in _policies(self.backend).values()
    ]
    return ActionResult({"ResponseHeadersPolicyList": {"MaxItems": 100, "Quantity": len(items), "Items": items}})


def update_response_headers_policy(self: Any) -> ActionResult:
    policy = _get_policy(self.backend, self._get_param("Id"), self._get_param("IfMatch"))
    config = self._get_param("ResponseHeadersPolicyConfig", {})
    _check_name(self.backend, config["Name"], own_id=policy["Id"])
    policy.update(ResponseHeadersPolicyConfig=config, LastModifiedTime=utcnow(), ETag=_new_etag())
    return _policy_result(policy)


def delete_response_headers_policy(self: Any) -> EmptyResult:
    policy = _get_policy(self.backend, self._get_param("Id"), self._get_param("IfMatch"))
    del _policies(self.backend)[policy["Id"]]
    return EmptyResult()


_RHP_HANDLERS = (
    create_response_headers_policy,
    get_response_headers_policy,
    get_response_headers_policy_config,
    list_response_headers_policies,
    update_response_headers_policy,
    delete_response_headers_policy,
)


def register() -> None:
    if cf_models.Origin.__init__ is _origin:
        return
    cf_models.Origin.__init__ = _origin
    cf_models.ViewerCertificate.__init__ = _viewer
    # moto's __init__ assigns "COMPLETED"; the property ignores that and answers by age.
    cf_models.Invalidation.status = property(_invalidation_status, lambda self, value: None)
    cf_models.CloudFrontBackend.update_distribution = _update_distribution
    cf_models.CloudFrontBackend.delete_distribution = _delete_distribution
    cf_models.CloudFrontBackend.create_invalidation = _create
    cf_urls.url_paths.update(_RHP_PATHS)
    for handler in _RHP_HANDLERS:
        setattr(cf_responses.CloudFrontResponse, handler.__name__, handler)
