"""ACM behaviour moto lacks: DNS validation that depends on DNS, and the requested key algorithm.

moto marks every requested certificate ISSUED 60 s after the request whether or not anyone
created its validation records, and always reports an RSA-2048 key. Here a certificate
requested with DNS validation moves from PENDING_VALIDATION to ISSUED only once every
validation CNAME it asks for exists (with the right value) in a Route 53 hosted zone of the
same account, and no sooner than ``LOCALAWS_ACM_DELAY`` seconds (default 1) after the
request. ``KeyAlgorithm`` given to RequestCertificate is validated and reported back.
"""

from __future__ import annotations

import os
from typing import Any

from moto.acm import models as acm_models
from moto.acm import responses as acm_responses
from moto.acm.exceptions import AWSValidationException
from moto.core.utils import utcnow

# Key algorithms RequestCertificate accepts (the other KeyAlgorithm values are import-only).
REQUESTABLE_KEY_ALGORITHMS = ("RSA_2048", "EC_prime256v1", "EC_secp384r1")


def _delay() -> float:
    return float(os.environ.get("LOCALAWS_ACM_DELAY", "1"))


def _normalise_name(name: str) -> str:
    return name.rstrip(".").lower()


def _dns_has(arn: str, name: str, value: str) -> bool:
    """Whether a CNAME ``name`` -> ``value`` exists in any hosted zone of the certificate's account."""
    from moto.route53.models import route53_backends  # noqa: PLC0415 (route53 is optional for ACM)

    _, partition, _, _, account_id, _ = arn.split(":", 5)
    backend = route53_backends[account_id][partition]
    for zone in backend.zones.values():
        for rrset in zone.rrsets:
            if rrset.type != "CNAME" or _normalise_name(rrset.name) != _normalise_name(name):
                continue
            if any(_normalise_name(v) == _normalise_name(value) for v in rrset.records):
                return True
    return False


def _check(self: Any) -> None:
    if self._not_valid_after(self._cert) <= utcnow():
        self.status = "EXPIRED"
        return
    if self.type != "AMAZON_ISSUED" or self.status != "PENDING_VALIDATION":
        return
    if (utcnow() - self.created_at).total_seconds() < _delay():
        return
    options = _original_describe(self)["Certificate"].get("DomainValidationOptions", [])
    records = [o["ResourceRecord"] for o in options]
    if records and all(_dns_has(self.arn, r["Name"], r["Value"]) for r in records):
        self.status = "ISSUED"


def _describe(self: Any) -> dict[str, Any]:
    result = _original_describe(self)
    algorithm = getattr(self, "localaws_key_algorithm", None)
    if algorithm:
        result["Certificate"]["KeyAlgorithm"] = algorithm
    return result


def _request_certificate(self: Any) -> Any:
    algorithm = self._get_param("KeyAlgorithm")
    if algorithm is not None and algorithm not in REQUESTABLE_KEY_ALGORITHMS:
        raise AWSValidationException(
            f"Value '{algorithm}' at 'keyAlgorithm' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(REQUESTABLE_KEY_ALGORITHMS)}]"
        )
    result = _original_request(self)
    cert = self.acm_backend.get_certificate(result.result["CertificateArn"])
    if not getattr(cert, "localaws_key_algorithm", None):
        cert.localaws_key_algorithm = algorithm or "RSA_2048"
    return result


_original_describe = acm_models.CertBundle.describe
_original_request = acm_responses.AWSCertificateManagerResponse.request_certificate


def register() -> None:
    acm_models.CertBundle.check = _check
    acm_models.CertBundle.describe = _describe
    acm_responses.AWSCertificateManagerResponse.request_certificate = _request_certificate
