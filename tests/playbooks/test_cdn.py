"""roles/cdn through playbooks/cdn.yml: distribution, aliases, upload of frontend/dist."""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.playbooks.helpers import ROOT
from tests.playbooks.stack_helpers import converge, mutating, noop_calls

pytestmark = pytest.mark.slow
BUCKET = "invoice-local-frontend"


def test_distribution_upload_and_noop(localaws: str, tmp_path: Path) -> None:
    # The storage role owns the bucket; a plain one keeps this test about the cdn role.
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    site = tmp_path / "dist"
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        pytest.fail("frontend/dist has no index.html: run `make frontend` (npm ci && npm run build)")
    shutil.copytree(ROOT / "frontend" / "dist", site)  # the web UI as `make frontend` builds it
    bundle = [p.relative_to(site).as_posix() for p in (site / "assets").glob("*.js")]
    (site / "old.txt").write_text("gone soon")
    converge("playbooks/certificates.yml")
    run = converge("playbooks/cdn.yml", extra_vars={"cdn_frontend_dir": str(site), "cdn_api_origin": False})
    outputs = run.task("Publish the cdn outputs")["ansible_facts"]["platform_outputs_cdn"]
    config = boto3.client("cloudfront").get_distribution(Id=outputs["distribution_id"])["Distribution"]
    dist = config["DistributionConfig"]
    assert sorted(dist["Aliases"]["Items"]) == ["invoice-processing.test", "www.invoice-processing.test"]
    assert dist["DefaultRootObject"] == "index.html"
    assert dist["ViewerCertificate"]["ACMCertificateArn"].startswith("arn:aws:acm:us-east-1:")
    s3 = boto3.client("s3")
    head = s3.head_object(Bucket=BUCKET, Key="index.html")
    assert head["CacheControl"] == "no-cache"
    assert head["ContentType"].startswith("text/html")
    # the bundle's names carry a content hash (hex): a year, immutable
    assert bundle and all(re.fullmatch(r"assets/[\w-]+\.[0-9a-f]{8,}\.js", key) for key in bundle), bundle
    for key in bundle:
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert head["ContentType"].startswith("text/javascript")
        assert head["CacheControl"] == "public, max-age=31536000, immutable"
    # index.html loads config.js (the environment's API base, no-cache) before the bundle
    index = (site / "index.html").read_text()
    assert index.index('src="/config.js"') < index.index(f'src="/{bundle[0]}"')
    assert outputs["invalidation_id"]

    # locally the distribution is served on a loopback URL: the one the endpoint reports
    with urllib.request.urlopen(f"{localaws}/_localaws/cloudfront/{outputs['distribution_id']}", timeout=10) as r:
        assert outputs["local_url"] == json.loads(r.read())["LocalUrl"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": config["ARN"]}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    with urllib.request.urlopen(f"{outputs['local_url']}/invoices/7", timeout=10) as page:  # SPA fallback
        assert page.read() == (site / "index.html").read_bytes()
    with urllib.request.urlopen(f"{outputs['local_url']}/config.js", timeout=10) as config_js:
        assert config_js.headers["Cache-Control"] == "no-cache"
        assert b"window.INVOICE_CONFIG" in config_js.read()
    with urllib.request.urlopen(f"{outputs['local_url']}/{bundle[0]}", timeout=10) as js:
        assert js.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert js.read() == (site / bundle[0]).read_bytes()

    again, log = noop_calls(
        localaws, "playbooks/cdn.yml", extra_vars={"cdn_frontend_dir": str(site), "cdn_api_origin": False}
    )
    assert (
        again.task("Publish the cdn outputs")["ansible_facts"]["platform_outputs_cdn"]["local_url"]
        == outputs["local_url"]
    )
    assert "invoice.platform.cdn : Upload the changed files of the web UI" not in again.changed_tasks()
    assert "invoice.platform.cdn : Invalidate what changed" not in again.changed_tasks()
    assert [m for m in mutating(log) if m.startswith("s3.")] == []

    (site / "old.txt").unlink()
    (site / "index.html").write_text(index.replace("<title>", "<title>New "))
    changed = converge("playbooks/cdn.yml", extra_vars={"cdn_frontend_dir": str(site), "cdn_api_origin": False})
    sync = changed.task("Upload the changed files of the web UI")
    assert sync["uploaded"] == ["index.html"]
    assert sync["deleted"] == ["old.txt"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert "old.txt" not in keys
    assert changed.task("Invalidate what changed")["changed"]
