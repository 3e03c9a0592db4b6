"""Serve every CloudFront distribution on a loopback URL (``tools/localaws/cloudfront``).

CreateDistribution (with or without tags) opens the distribution's listener, DeleteDistribution
closes it, ``/moto-api/reset`` closes every listener of the reset account, ``LocalAWS.stop()``
all of them. The listener reads the distribution's configuration on every request, so
UpdateDistribution (disabling it, new behaviours) needs no hook. Registered after
``cloudfront_fixes`` (name order), so its checks (ETag, ``DistributionNotDisabled``) run first.
"""

from __future__ import annotations

from typing import Any

from moto.cloudfront import models as cf_models

from tools.localaws.cloudfront import edge


def register() -> None:
    backend_class = cf_models.CloudFrontBackend
    if getattr(backend_class, "_localaws_serving", False):
        return
    create = backend_class.create_distribution_with_tags
    delete = backend_class.delete_distribution
    reset = backend_class.reset

    def create_distribution_with_tags(self: Any, distribution_config: dict[str, Any], tags: Any) -> Any:
        dist, location, etag = create(self, distribution_config, tags)
        edge.open_listener(self.account_id, dist.distribution_id)
        return dist, location, etag

    def delete_distribution(self: Any, distribution_id: str, if_match: Any) -> None:
        delete(self, distribution_id, if_match)
        edge.close_listener(self.account_id, distribution_id)

    def reset_backend(self: Any) -> None:
        edge.close_all(self.account_id)
        reset(self)

    backend_class.create_distribution_with_tags = create_distribution_with_tags  # type: ignore[method-assign]
    backend_class.delete_distribution = delete_distribution  # type: ignore[method-assign]
    backend_class.reset = reset_backend  # type: ignore[method-assign]
    backend_class._localaws_serving = True  # type: ignore[attr-defined]
