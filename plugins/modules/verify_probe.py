#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: verify_probe
short_description: Bounded latency probes of the live API and web UI
version_added: 0.3.0
description:
  - Sends a fixed number of sequential GET requests, each with a timeout, to the API (the
    health path; with O(token), also the invoice list and the first invoice of it) and judges
    each path's p95 against O(api_limit_ms) (the migration plan's 500 ms).
  - Loads the web UI once as a first visit does (the HTML, then every script, stylesheet and
    icon it links on the same origin, one after the other, no cache) and judges the total time
    against O(web_limit_seconds) (the plan's 3 s).
  - Read only (GET requests). An upload and its extraction end to end are not probed by this module.
author:
  - Invoice platform team (@invoice-platform)
options:
  api_url:
    description: Base URL of the API (no trailing path); empty - no API probe.
    type: str
    default: ""
  health_path:
    description: Path of the health endpoint.
    type: str
    default: /api/health
  token:
    description: A bearer token of a test user; with it the invoice list and one invoice are probed too.
    type: str
    default: ""
  requests:
    description: Requests per probed path.
    type: int
    default: 20
  timeout:
    description: Seconds each request may take (a slower one counts as failed).
    type: float
    default: 5
  api_limit_ms:
    description: The p95 each API path must stay under.
    type: float
    default: 500
  web_url:
    description: URL of the web UI; empty - no web probe.
    type: str
    default: ""
  web_limit_seconds:
    description: The first load (HTML and assets) must finish within this.
    type: float
    default: 3
"""

EXAMPLES = r"""
- name: Probe the API and the web UI
  invoice.platform.verify_probe:
    api_url: https://api.invoice-processing.com
    web_url: https://invoice-processing.com
  register: probes
"""

RETURN = r"""
results:
  description: One entry per probed path and one for the web first load (see verify_stack_info).
  returned: always
  type: list
  elements: dict
"""

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.invoice.platform.plugins.module_utils import verify as v

ASSET = re.compile(r"""<(?:script[^>]*\ssrc|link[^>]*\shref)=["']([^"']+)["']""", re.IGNORECASE)


def fetch(url, timeout, token=""):
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url}")
    headers = {"User-Agent": "invoice-platform-verify", "Cache-Control": "no-cache"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked above)
    start = time.monotonic()
    # B310 (urlopen of any scheme): the scheme is checked above, http or https only
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
        body = response.read()
        status = response.status
    return status, body, (time.monotonic() - start) * 1000


def sample(url, count, timeout, token=""):
    times, errors = [], []
    for _ in range(count):
        try:
            status, _body, ms = fetch(url, timeout, token)
        except (urllib.error.URLError, OSError, ValueError) as e:
            errors.append(f"{url}: {e}")
            continue
        if status >= 400:
            errors.append(f"{url}: HTTP {status}")
        else:
            times.append(ms)
    return times, errors


def api_probes(p):
    base = p["api_url"].rstrip("/")
    paths = [p["health_path"]]
    out = []
    if p["token"]:
        paths.append("/api/invoices")
        try:
            _status, body, _ms = fetch(base + "/api/invoices", p["timeout"], p["token"])
            items = json.loads(body)
            items = items.get("invoices", items.get("items", [])) if isinstance(items, dict) else items
            if items:
                paths.append(f"/api/invoices/{items[0]['id']}")
        except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as e:
            out.append(v.result("performance.api_p95", base + "/api/invoices", v.FAIL, f"cannot list invoices: {e}"))
    for path in paths:
        times, errors = sample(base + path, p["requests"], p["timeout"], p["token"])
        out.append(v.judge_latency(base + path, times, errors, p["api_limit_ms"]))
    return out


def web_probe(p):
    url = p["web_url"]
    start = time.monotonic()
    errors, assets = [], []
    try:
        status, body, _ms = fetch(url, p["timeout"])
        if status >= 400:
            errors.append(f"{url}: HTTP {status}")
        origin = urllib.parse.urlsplit(url)
        for ref in ASSET.findall(body.decode("utf-8", "replace")):
            asset = urllib.parse.urljoin(url, ref)
            if urllib.parse.urlsplit(asset).netloc == origin.netloc:
                assets.append(asset)
        for asset in assets:
            status, _body, _ms = fetch(asset, p["timeout"])
            if status >= 400:
                errors.append(f"{asset}: HTTP {status}")
    except (urllib.error.URLError, OSError, ValueError) as e:
        errors.append(f"{url}: {e}")
    return v.judge_page_load(url, time.monotonic() - start, len(assets), errors, p["web_limit_seconds"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            api_url=dict(type="str", default=""),
            health_path=dict(type="str", default="/api/health"),
            token=dict(type="str", default="", no_log=True),
            requests=dict(type="int", default=20),
            timeout=dict(type="float", default=5),
            api_limit_ms=dict(type="float", default=500),
            web_url=dict(type="str", default=""),
            web_limit_seconds=dict(type="float", default=3),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not 1 <= p["requests"] <= 1000:
        module.fail_json(msg=f"requests must be between 1 and 1000, got {p['requests']}")
    results = []
    if p["api_url"]:
        results += api_probes(p)
    if p["web_url"]:
        results.append(web_probe(p))
    module.exit_json(changed=False, results=results)


if __name__ == "__main__":
    main()
