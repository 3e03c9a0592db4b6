"""Fetch a viewer request from a distribution's origin, as CloudFront's origin fetch would.

- **S3 origins** are read from moto's S3 backend in-process. With an Origin Access Control the
  request is CloudFront's own: principal the service ``cloudfront.amazonaws.com``, context
  ``AWS:SourceArn`` = the distribution's ARN and ``aws:SecureTransport`` = ``true``. The
  bucket policy decides (an explicit Deny wins, then an Allow; nothing else grants a service
  principal anything): denied is S3's ``403 AccessDenied``; a missing key is ``404 NoSuchKey``
  only when the policy also allows ``s3:ListBucket``, else ``403 AccessDenied``, as on S3.
  Without an OAC the request is anonymous (a public-read policy is needed). ``If-None-Match``
  / ``If-Modified-Since`` answer ``304`` as S3 does.
- **Custom origins** are reached on loopback only: a domain that is an App Runner service's
  URL (``<id>.<region>.awsapprunner.com``, or the ``127.0.0.1:<port>`` URL of a service the
  endpoint serves) goes to that service's stable port; a loopback address (``127.0.0.1``,
  ``localhost``, optionally with ``:port``, else the origin's ``HTTPPort``) is used as is, over
  plain HTTP; an ECS Express service's load balancer name goes to that service's port. A name in
  the endpoint's Route 53 (``api.<domain>``) is resolved there per request (dns.py: weighted
  records by weight, CNAMEs and aliases followed) to one of those. Any other domain is never
  contacted: ``502`` as when CloudFront cannot connect.
"""

from __future__ import annotations

import email.utils
import fnmatch
import http.client
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any

from tools.localaws.cloudfront import dns
from tools.localaws.cloudfront.constants import HOP_BY_HOP
from tools.localaws.extensions.s3_policy_fixes import conditions_hold

S3_DOMAIN = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$")
CLOUDFRONT_PRINCIPAL = "cloudfront.amazonaws.com"
# S3 headers a viewer gets (besides ETag, Last-Modified, Content-Length).
S3_OBJECT_HEADERS = (
    "content-type",
    "cache-control",
    "content-encoding",
    "content-disposition",
    "content-language",
    "expires",
)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), None)

    def set_header(self, name: str, value: str) -> None:
        self.remove_header(name)
        self.headers.append((name, value))

    def remove_header(self, name: str) -> None:
        lower = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lower]


def s3_error(status: int, code: str, message: str, **extra: str) -> Response:
    details = "".join(f"<{k}>{v}</{k}>" for k, v in extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{details}</Error>"
    ).encode()
    return Response(status, [("Content-Type", "application/xml"), ("Server", "AmazonS3")], body)


# ---- bucket policies as S3 evaluates them for CloudFront ----------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _principal_matches(principal: Any, service: str | None) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if "*" in _as_list(principal.get("AWS")):
        return True
    return service is not None and service in _as_list(principal.get("Service"))


def _matches(patterns: Any, value: str, *, case_sensitive: bool) -> bool:
    if case_sensitive:
        return any(fnmatch.fnmatchcase(value, str(p)) for p in _as_list(patterns))
    return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in _as_list(patterns))


def _statement_applies(
    st: dict[str, Any], action: str, resource: str, service: str | None, ctx: dict[str, str]
) -> bool:
    if "NotPrincipal" in st or not _principal_matches(st.get("Principal"), service):
        return False
    if "NotAction" in st:
        if _matches(st["NotAction"], action, case_sensitive=False):
            return False
    elif not _matches(st.get("Action"), action, case_sensitive=False):
        return False
    if "NotResource" in st:
        if _matches(st["NotResource"], resource, case_sensitive=True):
            return False
    elif not _matches(st.get("Resource"), resource, case_sensitive=True):
        return False
    return conditions_hold(st, ctx)


def policy_allows(policy: str | bytes | None, action: str, resource: str, service: str | None, source_arn: str) -> bool:
    """Whether ``policy`` lets ``service`` (``None``: an anonymous caller) do ``action`` on ``resource``."""
    if not policy:
        return False
    statements = _as_list(json.loads(policy).get("Statement"))
    ctx = {"aws:securetransport": "true"}
    if service is not None:
        ctx["aws:sourcearn"] = source_arn
        ctx["aws:sourceaccount"] = source_arn.split(":")[4]
    applying = [st for st in statements if _statement_applies(st, action, resource, service, ctx)]
    if any(st.get("Effect") == "Deny" for st in applying):
        return False
    return any(st.get("Effect") == "Allow" for st in applying)


# ---- S3 --------------------------------------------------------------------------------------


def _not_modified(request_headers: dict[str, str], etag: str, last_modified: Any) -> bool:
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request_headers.get("if-modified-since")
    if since:
        try:
            parsed = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return last_modified.replace(microsecond=0) <= parsed.replace(tzinfo=last_modified.tzinfo)
    return False


def fetch_s3(
    account_id: str,
    bucket_name: str,
    key: str,
    *,
    request_headers: dict[str, str],
    oac: bool,
    distribution_arn: str,
) -> Response:
    from moto.s3.models import s3_backends  # noqa: PLC0415 (the endpoint's own S3, in-process)

    backend = s3_backends[account_id]["aws"]
    bucket = backend.buckets.get(bucket_name)
    if bucket is None:
        return s3_error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket_name)
    service = CLOUDFRONT_PRINCIPAL if oac else None
    if not policy_allows(bucket.policy, "s3:GetObject", f"arn:aws:s3:::{bucket_name}/{key}", service, distribution_arn):
        return s3_error(403, "AccessDenied", "Access Denied")
    obj = backend.get_object(bucket_name, key) if key else None
    if obj is None:
        if policy_allows(bucket.policy, "s3:ListBucket", f"arn:aws:s3:::{bucket_name}", service, distribution_arn):
            return s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
        return s3_error(403, "AccessDenied", "Access Denied")
    headers = [("ETag", obj.etag), ("Last-Modified", obj.last_modified_RFC1123), ("Server", "AmazonS3")]
    metadata = {k.lower(): v for k, v in obj.metadata.items()}
    headers += [(name.title(), metadata[name]) for name in S3_OBJECT_HEADERS if metadata.get(name)]
    if "content-type" not in metadata:
        headers.append(("Content-Type", "binary/octet-stream"))
    headers += [(k, v) for k, v in metadata.items() if k.startswith("x-amz-meta-")]
    if _not_modified(request_headers, obj.etag, obj.last_modified):
        keep = {"etag", "last-modified", "cache-control", "expires", "server"}
        return Response(304, [(k, v) for k, v in headers if k.lower() in keep])
    headers.append(("Accept-Ranges", "bytes"))
    return Response(200, headers, bytes(obj.value))  # a HEAD's body is not sent (edge.py)


# ---- custom origins --------------------------------------------------------------------------


def _apprunner_port(domain: str) -> int | None:
    """The stable loopback port of the App Runner service whose URL is ``domain``."""
    from tools.localaws.apprunner.models import apprunner_backends  # noqa: PLC0415

    for account in list(apprunner_backends.keys()):
        for region in list(apprunner_backends[account].keys()):
            for service in list(apprunner_backends[account][region].services.values()):
                if domain in (service.url, service.dns_target) and service.endpoint is not None:
                    return int(service.endpoint.port)
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _load_balancer_port(domain: str) -> int | None:
    """The loopback port of the ECS Express service whose load balancer's DNS name is ``domain``."""
    from moto.elbv2.models import elbv2_backends  # noqa: PLC0415

    from tools.localaws.ecs_express.models import ecsexpress_backends  # noqa: PLC0415

    for account in list(ecsexpress_backends.keys()):
        for region in list(ecsexpress_backends[account].keys()):
            for service in list(ecsexpress_backends[account][region].services.values()):
                arn = service.resources.get("loadBalancer")
                if arn is None or service.endpoint is None or service.status != "ACTIVE":
                    continue
                balancer = elbv2_backends[account][region].load_balancers.get(arn)
                if balancer is not None and str(balancer.dns_name).lower() == domain:
                    return int(service.endpoint.port)
    return None


def resolve_custom(domain: str, http_port: int | None) -> tuple[str, int] | None:
    """(loopback host, port) serving a custom origin's ``domain``, or ``None``: an App Runner
    service's URL, a loopback address, an ECS Express service's load balancer, or a name of the
    endpoint's Route 53 followed to one of those (dns.py: one weighted record picked per call)."""
    name: str | None = domain.lower()
    for _ in range(dns.MAX_HOPS + 1):
        if name is None:
            return None
        port = _apprunner_port(name)
        if port is not None:
            return "127.0.0.1", port
        host, _, given = name.rpartition(":") if ":" in name else (name, "", "")
        if _loopback(host):
            return host, int(given) if given.isdigit() else int(http_port or 80)
        port = _load_balancer_port(name)
        if port is not None:
            return "127.0.0.1", port
        name = dns.next_name(name)
    return None


def fetch_custom(
    target: tuple[str, int],
    domain: str,
    *,
    method: str,
    path: str,
    request_headers: dict[str, str],
    body: bytes,
    timeout: float,
    via: str,
    client_ip: str,
) -> Response:
    headers = {k: v for k, v in request_headers.items() if k not in HOP_BY_HOP}
    headers["host"] = domain
    headers["via"] = via
    headers["x-forwarded-for"] = ", ".join(filter(None, [request_headers.get("x-forwarded-for"), client_ip]))
    connection = http.client.HTTPConnection(*target, timeout=timeout)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        upstream = connection.getresponse()
        payload = upstream.read()
        out = [(k, v) for k, v in upstream.getheaders() if k.lower() not in HOP_BY_HOP]
        if method == "HEAD" and upstream.getheader("Content-Length"):
            out.append(("Content-Length", str(upstream.getheader("Content-Length"))))
        return Response(upstream.status, out, payload)
    except OSError as exc:
        raise OriginUnreachable(f"{domain} ({target[0]}:{target[1]}): {exc}") from exc
    finally:
        connection.close()


class OriginUnreachable(Exception):
    """CloudFront could not connect to the origin (a 502 for the viewer)."""
