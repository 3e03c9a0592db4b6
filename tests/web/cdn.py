"""The web UI served through the local CloudFront the way roles/storage and roles/cdn serve it in
production, for the browser tests (tests/web/conftest.py) and the Review load benchmark
(bench/review_load.py).

Not a copy of the roles' configuration: the values come from the roles' own files
(roles/cdn/defaults and vars: cache rules, policy ids, the config.js the role uploads;
roles/storage/vars: the frontend bucket's policy statement) and the AWS calls are made by the
collection's own modules (s3_site_sync, cloudfront_origin_access_control,
cloudfront_distribution), run in this process with the arguments roles/cdn/tasks give them.
Only the Jinja of the role's task arguments is spelt out here (`distribution_args`).

The modules read the endpoint from the environment, as under ansible-playbook: each call here
sets AWS_ENDPOINT_URL and fake credentials for its own duration only (endpoint_env).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import jinja2
import yaml
from ansible.module_utils.testing import patch_module_args

from tests.conftest import AWS_TEST_ENV
from tests.helpers import environ

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
CDN_ROLE = ROOT / "roles" / "cdn"
STORAGE_ROLE = ROOT / "roles" / "storage"
ACCOUNT_ID = "123456789012"  # the local endpoint's account
# the collection imports as Ansible imports it (make setup links the repository under collections/)
COLLECTIONS = ROOT / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


class ModuleFailed(RuntimeError):
    pass


def run_module(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """invoice.platform.<name> with ``args`` in this process (its exit_json result); its failure raised."""
    module = importlib.import_module(f"ansible_collections.invoice.platform.plugins.modules.{name}")
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        module.main()
    result: dict[str, Any] = json.loads(out.getvalue())
    if result.get("failed"):
        raise ModuleFailed(f"invoice.platform.{name}: {result.get('msg')}")
    return result


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _render(value: Any, variables: dict[str, Any]) -> Any:
    """The role's plain Jinja ({{ var }} only) in every string of ``value``."""
    if isinstance(value, str):
        return jinja2.Template(value, undefined=jinja2.StrictUndefined).render(variables)
    if isinstance(value, list):
        return [_render(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _render(v, variables) for k, v in value.items()}
    return value


def _task_args(tasks_file: Path, module: str) -> dict[str, Any]:
    """The arguments of the task of ``tasks_file`` that calls invoice.platform.<module>."""
    for task in _yaml(tasks_file):
        if f"invoice.platform.{module}" in task:
            return dict(task[f"invoice.platform.{module}"])
    raise LookupError(f"{tasks_file} has no invoice.platform.{module} task")


@dataclass
class CdnSite:
    """One distribution in front of one bucket; ``url`` is its loopback URL."""

    name: str
    bucket: str
    distribution_id: str
    url: str
    endpoint: str
    _client: Any = field(default=None, init=False, repr=False)

    def exists(self) -> bool:
        """Still served at ``url`` (a reset of the endpoint, /moto-api/reset, deletes everything)."""
        try:
            return local_url(self.endpoint, self.distribution_id) == self.url
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 404:
                return False
            raise

    def point_api_at(self, origin: str) -> None:
        """The /api/* origin becomes ``origin`` (``127.0.0.1:<port>``), the distribution keeps its
        URL. The one field changed with boto3 directly (~0.1 s; the module's converge, which reads
        every policy and tag first, costs ~0.75 s, too much for each test)."""
        if self._client is None:
            with endpoint_env(self.endpoint):
                self._client = boto3.client("cloudfront")
        current = self._client.get_distribution_config(Id=self.distribution_id)
        config = current["DistributionConfig"]
        next(o for o in config["Origins"]["Items"] if o["Id"] == "api")["DomainName"] = origin
        self._client.update_distribution(Id=self.distribution_id, IfMatch=current["ETag"], DistributionConfig=config)


def distribution_args(name: str, bucket: str, api_domain: str) -> dict[str, Any]:
    """roles/cdn/tasks/distribution.yml's arguments of cloudfront_distribution, locally (no aliases:
    no certificate on loopback)."""
    defaults = _yaml(CDN_ROLE / "defaults" / "main.yml")
    internal = _yaml(CDN_ROLE / "vars" / "main.yml")
    headers = defaults["cdn_response_headers_policy_id"]
    return {
        "name": name,
        "comment": f"Web UI of {name}",
        "aliases": [],
        "default_root_object": "index.html",
        "s3_origin": {"domain_name": f"{bucket}.s3.us-east-1.amazonaws.com", "origin_access_control": name},
        "api_origin": {"domain_name": api_domain},
        "default_behavior": {"viewer_protocol_policy": "redirect-to-https", "response_headers_policy_id": headers},
        "behaviors": [
            {
                "path_pattern": "/api/*",
                "target_origin": "api",
                "viewer_protocol_policy": "https-only",
                "allowed_methods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                "cache_policy_id": internal["__cdn_api_cache_policy_id"],
                "origin_request_policy_id": internal["__cdn_api_origin_request_policy_id"],
                "response_headers_policy_id": headers,
            }
        ],
        "spa_fallback": "/index.html",
        "price_class": defaults["cdn_price_class"],
        "tags": {"Name": name},
        "purge_tags": True,
        "wait": False,
    }


def create_bucket(bucket: str) -> None:
    """The frontend bucket with roles/storage's policy statements for it (CloudFront through OAC)."""
    variables = {"storage_bucket_prefix": bucket.removesuffix("-frontend"), "platform_aws_account_id": ACCOUNT_ID}
    spec = next(b for b in _yaml(STORAGE_ROLE / "vars" / "main.yml")["__storage_buckets"] if b["purpose"] == "frontend")
    statements = _render(spec["policy_statements"], variables)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def upload_args(bucket: str, env_name: str, src: Path = DIST) -> dict[str, Any]:
    """roles/cdn/tasks/upload.yml's arguments of s3_site_sync (config.js: the API on this origin)."""
    args = _task_args(CDN_ROLE / "tasks" / "upload.yml", "s3_site_sync")
    defaults = _yaml(CDN_ROLE / "defaults" / "main.yml")
    config_js = _render(args["files"]["config.js"], {"platform_env": env_name, "__cdn_api_base": ""})
    return {
        "bucket": bucket,
        "src": str(src),
        "files": {"config.js": config_js},
        "cache_rules": defaults["cdn_cache_rules"],
        "default_cache_control": defaults["cdn_default_cache_control"],
        "delete": defaults["cdn_frontend_delete"],
    }


def local_url(endpoint: str, distribution_id: str) -> str:
    with urllib.request.urlopen(f"{endpoint}/_localaws/cloudfront/{distribution_id}", timeout=10) as response:
        return str(json.loads(response.read())["LocalUrl"])


def create_site(endpoint: str, name: str, api_domain: str, *, src: Path = DIST) -> CdnSite:
    """Bucket, upload, OAC and distribution as the roles make them on ``endpoint``; ``api_domain``
    the /api/* origin."""
    if not (src / "index.html").is_file():
        raise FileNotFoundError(f"{src} has no index.html: run `make frontend` (npm ci && npm run build)")
    with endpoint_env(endpoint):
        return _create_site(endpoint, name, api_domain, src)


def _create_site(endpoint: str, name: str, api_domain: str, src: Path) -> CdnSite:
    bucket = f"{name}-frontend"
    create_bucket(bucket)
    run_module("s3_site_sync", upload_args(bucket, name, src))
    run_module(
        "cloudfront_origin_access_control",
        {
            "name": name,
            "description": f"CloudFront to the {bucket} bucket",
            "origin_type": "s3",
            "signing_behavior": "always",
        },
    )
    distribution = run_module("cloudfront_distribution", distribution_args(name, bucket, api_domain))["distribution"]
    return CdnSite(name, bucket, distribution["id"], local_url(endpoint, distribution["id"]), endpoint)


def delete_site(site: CdnSite) -> None:
    """The distribution (its listener closes) and the OAC, as cdn_state=absent does; the bucket emptied and gone."""
    with endpoint_env(site.endpoint):
        run_module("cloudfront_distribution", {"name": site.name, "state": "absent", "wait_timeout": 60})
        run_module("cloudfront_origin_access_control", {"name": site.name, "state": "absent"})
        bucket = boto3.resource("s3").Bucket(site.bucket)
        bucket.objects.all().delete()
        bucket.delete()


@contextlib.contextmanager
def served(endpoint: str, name: str, api_domain: str, *, src: Path = DIST) -> Iterator[CdnSite]:
    site = create_site(endpoint, name, api_domain, src=src)
    try:
        yield site
    finally:
        delete_site(site)


def endpoint_env(endpoint: str) -> contextlib.AbstractContextManager[None]:
    """os.environ pointing boto3 and the modules at ``endpoint`` (fake credentials) until the block ends."""
    return environ({**AWS_TEST_ENV, "AWS_ENDPOINT_URL": endpoint, "AWS_PROFILE": None})
