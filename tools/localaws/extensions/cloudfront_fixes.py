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
"""

from __future__ import annotations

import os
from typing import Any

from moto.cloudfront import models as cf_models
from moto.cloudfront.exceptions import CloudFrontException
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random


class PreconditionFailed(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "PreconditionFailed", "The If-Match version does not match the current version of the resource."
        )


class DistributionNotDisabled(CloudFrontException):
    def __init__(self) -> None:
        super().__init__("DistributionNotDisabled", "The distribution you are trying to delete has not been disabled.")


class InvalidationBatchAlreadyExists(CloudFrontException):
    def __init__(self, caller_reference: str) -> None:
        super().__init__(
            "InvalidationBatchAlreadyExists",
            f"The caller reference {caller_reference} is already used by an invalidation with other paths.",
        )


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
                raise InvalidationBatchAlreadyExists(caller_ref)
            return existing
    return _create_invalidation(self, dist_id, paths, caller_ref)


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
