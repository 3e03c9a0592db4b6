"""Each CloudFront distribution answers on a loopback URL as CloudFront would (tools/localaws/cloudfront).

Set up as roles/storage + roles/cdn do it (bucket policy for the CloudFront service principal,
OAC, DefaultRootObject, SPA fallback, /api/* to a custom origin, SecurityHeadersPolicy), with
boto3 on the in-process endpoint, then read through the distribution's URL with urllib.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.route53.models import FakeZone

from tests.helpers import QuietHandler, http_server
from tests.localaws.conftest import PRIVATE_IMAGE, wait_until_settled
from tests.localaws.test_apprunner_serving import serve_with

BUCKET = "invoice-test-frontend"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CORS_WITH_PREFLIGHT = "5cc3b908-e619-4b99-88e5-2cf7f45965bd"
APP_JS = "const app = 1;\n" * 200  # 3 kB: CloudFront compresses 1 kB - 10 MB
ASSET = "assets/app.0123abcd.js"


class _Api(QuietHandler):
    """A tiny API origin: /api/health, /api/echo (method, path, Host), a 404 for the rest."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length).decode() if length else ""
        if self.path.startswith("/api/health"):
            status, body = 200, {"status": "ok"}
        elif self.path.startswith("/api/echo"):
            status, body = 200, {"method": self.command, "path": self.path, "host": self.headers["Host"], "body": sent}
        else:
            status, body = 404, {"detail": "Not Found"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer


@pytest.fixture
def api_origin() -> Iterator[str]:
    with http_server(_Api) as port:
        yield f"127.0.0.1:{port}"


def get(url: str, method: str = "GET", headers: dict[str, str] | None = None, data: bytes | None = None) -> Any:
    """(status, headers, body) of a request; error statuses are returned, not raised."""
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def local_url(endpoint: str, distribution_id: str) -> str:
    with urllib.request.urlopen(f"{endpoint}/_localaws/cloudfront/{distribution_id}", timeout=10) as response:
        return str(json.loads(response.read())["LocalUrl"])


def make_site(api_domain: str, *, source_arn: str | None = None, http_port: int = 80) -> dict[str, Any]:
    """Bucket + objects + OAC + distribution + bucket policy, as roles/storage and roles/cdn make them."""
    s3 = boto3.client("s3")
    cloudfront = boto3.client("cloudfront")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(
        Bucket=BUCKET, Key="index.html", Body=b"<html>index</html>", ContentType="text/html", CacheControl="no-cache"
    )
    s3.put_object(
        Bucket=BUCKET,
        Key=ASSET,
        Body=APP_JS.encode(),
        ContentType="text/javascript",
        CacheControl="public, max-age=31536000, immutable",
    )
    oac = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": "invoice-test-web",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    methods = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
    config = {
        "CallerReference": "invoice-test-web",
        "Comment": "Web UI",
        "Enabled": True,
        "DefaultRootObject": "index.html",
        "Origins": {
            "Quantity": 2,
            "Items": [
                {
                    "Id": "s3",
                    "DomainName": f"{BUCKET}.s3.us-east-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": oac,
                },
                {
                    "Id": "api",
                    "DomainName": api_domain,
                    "CustomOriginConfig": {
                        "HTTPPort": http_port,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                },
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "s3",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": CACHING_OPTIMIZED,
            "Compress": True,
            "ResponseHeadersPolicyId": SECURITY_HEADERS,
        },
        "CacheBehaviors": {
            "Quantity": 1,
            "Items": [
                {
                    "PathPattern": "/api/*",
                    "TargetOriginId": "api",
                    "ViewerProtocolPolicy": "https-only",
                    "AllowedMethods": {
                        "Quantity": len(methods),
                        "Items": methods,
                        "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
                    },
                    "CachePolicyId": CACHING_DISABLED,
                    "Compress": True,
                    "ResponseHeadersPolicyId": CORS_WITH_PREFLIGHT,
                }
            ],
        },
        "CustomErrorResponses": {
            "Quantity": 2,
            "Items": [
                {"ErrorCode": code, "ResponsePagePath": "/index.html", "ResponseCode": "200", "ErrorCachingMinTTL": 10}
                for code in (403, 404)
            ],
        },
    }
    dist = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    reader = {
        "Sid": "AllowCloudFrontOriginAccessControl",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": source_arn or dist["ARN"]}},
    }
    # beside it the storage role's TLS-only Deny (CloudFront reaches S3 over TLS)
    tls_only = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    policy = {"Version": "2012-10-17", "Statement": [tls_only, reader]}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    return dist


def test_site_through_oac_with_spa_fallback_api_and_headers(localaws: str, api_origin: str) -> None:
    dist = make_site(api_origin)
    url = local_url(localaws, dist["Id"])
    assert url.startswith("http://127.0.0.1:")

    status, headers, body = get(f"{url}/")
    assert (status, body) == (200, b"<html>index</html>")
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Type"] == "text/html"
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Cache"] == "Miss from cloudfront"
    assert headers["Via"].endswith(".cloudfront.net (CloudFront)")

    # a hashed asset: its own Cache-Control, gzip for viewers that accept it, ETag and 304
    status, headers, body = get(f"{url}/{ASSET}")
    assert (status, body.decode()) == (200, APP_JS)
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Encoding"] is None
    etag = headers["ETag"]
    status, headers, body = get(f"{url}/{ASSET}", headers={"Accept-Encoding": "gzip, br"})
    assert (status, headers["Content-Encoding"], headers["Vary"]) == (200, "gzip", "Accept-Encoding")
    assert gzip.decompress(body).decode() == APP_JS and len(body) < len(APP_JS)
    assert headers["ETag"] == f"W/{etag}"  # CloudFront weakens the ETag of what it compressed
    assert get(f"{url}/{ASSET}", headers={"If-None-Match": f"W/{etag}", "Accept-Encoding": "gzip"})[0] == 304
    status, headers, body = get(f"{url}/{ASSET}", headers={"If-None-Match": etag})
    assert (status, body, headers["ETag"]) == (304, b"", etag)

    # a deep SPA route: S3 says 403 (no s3:ListBucket), the error response serves /index.html as 200
    status, headers, body = get(f"{url}/invoices/42/review")
    assert (status, body) == (200, b"<html>index</html>")

    # /api/* goes to the API origin, with every method the behaviour allows, Host = origin domain
    status, headers, body = get(f"{url}/api/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Encoding"] is None  # CachingDisabled does not let CloudFront compress
    status, _, body = get(f"{url}/api/echo?page=2", method="POST", data=b"x=1")
    assert json.loads(body) == {"method": "POST", "path": "/api/echo?page=2", "host": api_origin, "body": "x=1"}
    status, headers, _ = get(f"{url}/api/health", headers={"Origin": "http://localhost:5173"})
    assert headers["Access-Control-Allow-Origin"] == "*"
    preflight = {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "PUT"}
    status, headers, _ = get(f"{url}/api/echo", method="OPTIONS", headers=preflight)
    assert headers["Access-Control-Allow-Methods"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    assert (headers["Access-Control-Allow-Headers"], headers["Access-Control-Max-Age"]) == ("*", "600")
    assert headers["Strict-Transport-Security"] is None  # the /api/* behaviour has the CORS policy only
    # CloudFront's error responses are the distribution's, not the S3 origin's: an API 404 becomes the page
    status, _, body = get(f"{url}/api/nothing-here")
    assert (status, body) == (200, b"<html>index</html>")

    # the default behaviour allows GET and HEAD only
    status, headers, _ = get(f"{url}/index.html", method="POST", data=b"")
    assert (status, headers["Server"]) == (403, "CloudFront")
    status, headers, body = get(f"{url}/{ASSET}", method="HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", str(len(APP_JS)))


def test_a_distribution_the_policy_does_not_name_gets_access_denied(localaws: str, api_origin: str) -> None:
    other = "arn:aws:cloudfront::123456789012:distribution/EOTHERDISTRIBUTION"
    dist = make_site(api_origin, source_arn=other)
    url = local_url(localaws, dist["Id"])
    status, headers, body = get(f"{url}/index.html")
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body
    assert headers["Content-Type"] == "application/xml"
    assert get(f"{url}/api/health")[0] == 200  # the API origin is not the bucket's to refuse


def test_disabled_distribution_does_not_serve_and_deleted_one_stops(localaws: str, api_origin: str) -> None:
    cloudfront = boto3.client("cloudfront")
    dist = make_site(api_origin)
    url = local_url(localaws, dist["Id"])
    assert get(f"{url}/")[0] == 200
    current = cloudfront.get_distribution_config(Id=dist["Id"])
    config = {**current["DistributionConfig"], "Enabled": False}
    etag = cloudfront.update_distribution(Id=dist["Id"], IfMatch=current["ETag"], DistributionConfig=config)["ETag"]
    status, headers, _ = get(f"{url}/")
    assert (status, headers["Server"]) == (403, "CloudFront")
    assert local_url(localaws, dist["Id"]) == url  # the same URL while it exists

    cloudfront.delete_distribution(Id=dist["Id"], IfMatch=etag)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/", timeout=5)
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{localaws}/_localaws/cloudfront/{dist['Id']}", timeout=5)
    missing.value.close()
    assert missing.value.code == 404


def test_api_origin_is_the_app_runner_service_and_survives_a_redeploy(
    localaws: str, apprunner: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    serve_with(monkeypatch, tmp_path, str(Path(__file__).with_name("echo_env_app.py")), "$PORT", "RELEASE")
    image = PRIVATE_IMAGE["ImageRepository"]

    def source(release: str) -> dict[str, Any]:
        return {
            **PRIVATE_IMAGE,
            "ImageRepository": {
                **image,
                "ImageConfiguration": {"Port": "8000", "RuntimeEnvironmentVariables": {"RELEASE": release}},
            },
        }

    service = apprunner.create_service(ServiceName="cdn-api", SourceConfiguration=source("1"))["Service"]
    arn = service["ServiceArn"]
    wait_until_settled(apprunner, arn)
    # the cdn role strips https:// from the service URL; either form of the service's name works
    dist = make_site(service["ServiceUrl"])
    url = local_url(localaws, dist["Id"])
    assert json.loads(get(f"{url}/api/health")[2]) == {"RELEASE": "1"}

    apprunner.update_service(ServiceArn=arn, SourceConfiguration=source("2"))
    wait_until_settled(apprunner, arn)
    assert local_url(localaws, dist["Id"]) == url
    assert json.loads(get(f"{url}/api/health")[2]) == {"RELEASE": "2"}

    # the origin may also name the service by its AWS-style domain (a custom domain's DNS target)
    target = apprunner.associate_custom_domain(ServiceArn=arn, DomainName="api.invoice.test")["DNSTarget"]
    assert target.endswith(".us-east-1.awsapprunner.com")
    cloudfront = boto3.client("cloudfront")
    current = cloudfront.get_distribution_config(Id=dist["Id"])
    config = current["DistributionConfig"]
    config["Origins"]["Items"][1]["DomainName"] = target
    cloudfront.update_distribution(Id=dist["Id"], IfMatch=current["ETag"], DistributionConfig=config)
    assert json.loads(get(f"{url}/api/health")[2]) == {"RELEASE": "2"}


def set_default_headers_policy(distribution_id: str, policy_id: str) -> None:
    cloudfront = boto3.client("cloudfront")
    current = cloudfront.get_distribution_config(Id=distribution_id)
    config = current["DistributionConfig"]
    config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] = policy_id
    cloudfront.update_distribution(Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=config)


def test_a_response_headers_policy_of_the_endpoint_and_an_unknown_one(localaws: str, api_origin: str) -> None:
    dist = make_site(api_origin)
    url = local_url(localaws, dist["Id"])
    policy = boto3.client("cloudfront").create_response_headers_policy(
        ResponseHeadersPolicyConfig={
            "Name": "invoice-test-headers",
            "CustomHeadersConfig": {
                "Quantity": 2,
                "Items": [
                    {"Header": "X-Served-By", "Value": "local-cdn", "Override": True},
                    {"Header": "Cache-Control", "Value": "no-store", "Override": False},  # the object's stays
                ],
            },
            "RemoveHeadersConfig": {"Quantity": 1, "Items": [{"Header": "Server"}]},
            "SecurityHeadersConfig": {"FrameOptions": {"FrameOption": "DENY", "Override": True}},
        }
    )["ResponseHeadersPolicy"]["Id"]
    set_default_headers_policy(dist["Id"], policy)
    status, headers, _ = get(f"{url}/{ASSET}")
    assert status == 200
    assert headers["X-Served-By"] == "local-cdn"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Server"] is None
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"] is None  # not in this policy

    set_default_headers_policy(dist["Id"], "00000000-0000-0000-0000-000000000000")
    status, headers, body = get(f"{url}/{ASSET}")
    assert status == 502
    assert b"response headers policy 00000000-0000-0000-0000-000000000000 does not exist" in body


class _Named(QuietHandler):
    """An origin that says which address it listens on (and the Host it was asked for)."""

    def do_GET(self) -> None:
        data = json.dumps({"server": self.server.server_address[0], "host": self.headers["Host"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def two_origins() -> Iterator[int]:
    """Two origins on one port: 127.0.0.1 and 127.0.0.2 (both loopback)."""
    first = ThreadingHTTPServer(("127.0.0.1", 0), _Named)
    port = first.server_address[1]
    second = ThreadingHTTPServer(("127.0.0.2", port), _Named)
    for server in (first, second):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield port
    finally:
        for server in (first, second):
            server.shutdown()
            server.server_close()


def _records(zone: str, changes: list[tuple[str, dict[str, Any]]]) -> None:
    batch = [{"Action": action, "ResourceRecordSet": rrset} for action, rrset in changes]
    boto3.client("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": batch})


def _weighted(identifier: str, weight: int, target: str) -> dict[str, Any]:
    return {
        "Name": "api.weights.test",
        "Type": "CNAME",
        "SetIdentifier": identifier,
        "Weight": weight,
        "TTL": 60,
        "ResourceRecords": [{"Value": target}],
    }


def test_api_origin_by_name_follows_weighted_route53_records_per_request(
    localaws: str, two_origins: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The origin api.weights.test is resolved in the endpoint's Route 53 for each request: a weighted
    pair of CNAMEs, each to a name with an A record (loopback addresses), picked by weight; a batch
    that swaps the records is atomic for requests running meanwhile (no 502)."""
    route53 = boto3.client("route53")
    zone = route53.create_hosted_zone(Name="weights.test", CallerReference="weights")["HostedZone"]["Id"]
    address = {"Type": "A", "TTL": 60}
    _records(
        zone,
        [
            ("CREATE", {**address, "Name": "one.weights.test", "ResourceRecords": [{"Value": "127.0.0.1"}]}),
            ("CREATE", {**address, "Name": "two.weights.test", "ResourceRecords": [{"Value": "127.0.0.2"}]}),
            ("CREATE", _weighted("one", 1, "one.weights.test")),
            ("CREATE", _weighted("two", 3, "two.weights.test")),
        ],
    )
    dist = make_site("api.weights.test", http_port=two_origins)
    url = local_url(localaws, dist["Id"])

    def servers(n: int) -> list[str]:
        out = []
        for _ in range(n):
            status, _, body = get(f"{url}/api/x")
            assert status == 200, body
            answer = json.loads(body)
            assert answer["host"] == "api.weights.test"  # the origin is asked for its name
            out.append(answer["server"])
        return out

    seen = servers(120)
    # 1:3 by weight: 30 expected at 127.0.0.1 (binomial, sd ~4.7; the bounds are ~4 sd wide).
    assert 12 <= seen.count("127.0.0.1") <= 48, seen.count("127.0.0.1")
    assert set(seen) == {"127.0.0.1", "127.0.0.2"}

    # Weight 0 is never answered while another record has weight.
    _records(
        zone, [("UPSERT", _weighted("one", 0, "one.weights.test")), ("UPSERT", _weighted("two", 5, "two.weights.test"))]
    )
    assert set(servers(20)) == {"127.0.0.2"}

    # The weighted pair becomes one simple CNAME and back, in single batches, while requests run.
    # moto applies a batch's changes one by one; each write made slow here, a lookup between the
    # DELETE and the UPSERT would find no record (a 502) without route53_fixes' lock.
    upsert = FakeZone.upsert_rrset

    def slow_upsert(self: Any, record_set: dict[str, Any]) -> Any:
        time.sleep(0.05)
        return upsert(self, record_set)

    monkeypatch.setattr(FakeZone, "upsert_rrset", slow_upsert)
    failures: list[int] = []
    done = threading.Event()

    def load() -> None:
        while not done.is_set():
            status, _, _ = get(f"{url}/api/x")
            if status != 200:
                failures.append(status)

    worker = threading.Thread(target=load)
    worker.start()
    simple = {
        "Name": "api.weights.test",
        "Type": "CNAME",
        "TTL": 60,
        "ResourceRecords": [{"Value": "one.weights.test"}],
    }
    current = [_weighted("one", 0, "one.weights.test"), _weighted("two", 5, "two.weights.test")]
    try:
        for _ in range(5):
            _records(zone, [("DELETE", current[0]), ("DELETE", current[1]), ("UPSERT", simple)])
            _records(zone, [("DELETE", simple), ("UPSERT", current[0]), ("UPSERT", current[1])])
    finally:
        done.set()
        worker.join()
    assert failures == []

    # A name the zone does not hold is never contacted: 502, as when CloudFront cannot connect.
    _records(zone, [("DELETE", current[0]), ("DELETE", current[1])])
    status, _, body = get(f"{url}/api/x")
    assert status == 502 and b"api.weights.test is not served on this machine" in body
