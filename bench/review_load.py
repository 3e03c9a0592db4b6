"""First load of the Review screen in headless Chromium through the local CloudFront, 5,000 invoices.

    .venv/bin/python -m bench.review_load               # 10 cold + 10 warm loads of each page (about 2 minutes)
    .venv/bin/python -m bench.review_load --runs 3      # quick

Everything on loopback: a throwaway PostgreSQL (scripts/pg.sh) migrated and seeded with
5,000 invoices x 5 line items by COPY (bench/seed.py), the API (uvicorn app.main:app, one
worker, APP_ENV=production), the local AWS endpoint in its own process, and the web UI
(frontend/dist) behind a distribution made as roles/storage and roles/cdn make it
(tests/web/cdn.py, the browser tests' set-up): S3 through OAC, /api/* to the API, the SPA
fallback, the SecurityHeadersPolicy, the role's Cache-Control rules.

Measured in Debian's Chromium (Playwright), signed in (the token put in sessionStorage before
the page's scripts run), from navigation start (performance.timeOrigin) to:

- **review**: /review with every status count shown (a counting request to the API per status);
- **invoices**: /invoices with the table's first rows (50 invoices, newest first) shown;
- **static** (the baseline): a static page of the same bucket with a 50-row table, through the
  same distribution: what CloudFront + S3 + Chromium cost without the app and the API.

Cold: a new browser context each run (empty HTTP cache, nothing compiled). Warm: the same page
navigated again in that context (the hashed bundle from the cache, index.html revalidated).
Target (issue 12): the Review screen's first load under 1.5 s (cold p95). Results printed and
written to bench/results/review_load-<timestamp>.json with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from playwright.sync_api import Browser, Page, sync_playwright

from bench.api import Bench, login, postgres, uvicorn
from bench.dr import local_endpoint, write_results
from tests.web import cdn
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

TARGET_MS = 1500
STATIC_KEY = "bench/static.html"
STATIC_PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>static</title></head><body>"
    "<table aria-label='Static'><tbody>"
    + "".join(f"<tr><td>INV-{n:05d}</td><td>{n * 10}.00</td></tr>" for n in range(50))
    + "</tbody></table></body></html>"
)
# each page's "ready": what a person waits for, checked on every animation frame
READY = {
    "review": "document.querySelectorAll('ul[aria-label=\"Invoices by status\"] li').length > 0"
    " && !document.querySelector('[aria-label^=\"Counting \"]')",
    "invoices": 'document.querySelector(\'table[aria-label="Invoices"][aria-busy="false"] tbody tr a\') !== null',
    "static": "document.querySelector('table[aria-label=\"Static\"] tbody tr') !== null",
}
PATHS = {"review": "/review", "invoices": "/invoices", "static": f"/{STATIC_KEY}"}


def log(message: str) -> None:
    print(f"[review_load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_ms(page: Page, url: str, ready: str) -> float:
    """Milliseconds from the navigation's start to ``ready`` holding (performance.now() then)."""
    page.goto(url, wait_until="commit")
    handle = page.wait_for_function(f"() => ({ready}) ? performance.now() : false", polling="raf", timeout=30_000)
    return float(handle.json_value())


def measure(browser: Browser, base: str, token: str, name: str, runs: int) -> dict[str, list[float]]:
    cold, warm = [], []
    url, ready = base + PATHS[name], READY[name]
    for _ in range(runs):
        context = browser.new_context()
        context.add_init_script(f"sessionStorage.setItem('invoice.token', {json.dumps(token)})")
        page = context.new_page()
        cold.append(load_ms(page, url, ready))
        warm.append(load_ms(page, url, ready))
        context.close()
    return {"cold": cold, "warm": warm}


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1), "runs": len(ordered)}


def table(results: dict[str, Any]) -> str:
    lines = [f"{'page':<10} {'load':<5} {'median ms':>10} {'p95 ms':>8} {'x static':>9}"]
    for name in ("review", "invoices", "static"):
        for kind in ("cold", "warm"):
            s = results["pages"][name][kind]
            ratio = s["median_ms"] / results["pages"]["static"][kind]["median_ms"]
            lines.append(f"{name:<10} {kind:<5} {s['median_ms']:>10.1f} {s['p95_ms']:>8.1f} {ratio:>9.2f}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp, postgres() as url:
        workdir = Path(tmp)
        bench = Bench(argparse.Namespace(invoices=args.invoices, lines=5, log_level="WARNING"), url, workdir)
        bench.prepare()
        results["seed"] = bench.results["seed"]
        with (
            uvicorn("app.main:app", bench.env, workdir / "api.log") as (api_port, _),
            local_endpoint(workdir / "localaws.log") as endpoint,
            cdn.endpoint_env(endpoint),
            cdn.served(endpoint, "bench-review", f"127.0.0.1:{api_port}") as site,
        ):
            boto3.client("s3").put_object(
                Bucket=site.bucket,
                Key=STATIC_KEY,
                Body=STATIC_PAGE.encode(),
                ContentType="text/html; charset=utf-8",
                CacheControl="no-cache",  # revalidated when warm, as index.html is
            )
            token = login(api_port, bench.password)["Authorization"].removeprefix("Bearer ")
            log(f"the UI at {site.url} (API on 127.0.0.1:{api_port}); {args.runs} cold + warm loads per page")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    load_ms(browser.new_page(), site.url + PATHS["static"], READY["static"])  # the endpoint warmed
                    pages = {name: measure(browser, site.url, token, name, args.runs) for name in PATHS}
                finally:
                    browser.close()
    results["pages"] = {name: {kind: summary(v) for kind, v in p.items()} for name, p in pages.items()}
    results["samples_ms"] = {
        name: {kind: [round(x, 1) for x in v] for kind, v in p.items()} for name, p in pages.items()
    }
    results["load_average_after"] = os.getloadavg()
    review_cold = results["pages"]["review"]["cold"]["p95_ms"]
    results["verdict"] = {
        "review_first_load_p95_ms": review_cold,
        "target_ms": TARGET_MS,
        "pass": review_cold < TARGET_MS,
    }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="cold (and warm) loads per page (default 10)")
    parser.add_argument("--invoices", type=int, default=5000, help="invoices seeded (default 5000)")
    parser.add_argument("--output", help="result file (default bench/results/review_load-<timestamp>.json)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.invoices < 1:
        parser.error("--runs and --invoices must be at least 1")
    results = run(args)
    print(table(results))
    write_results("review_load", results, args.output)
    verdict = results["verdict"]
    print(
        f"{'PASS' if verdict['pass'] else 'FAIL'} Review first load p95 {verdict['review_first_load_p95_ms']:.0f} ms"
        f" (target < {TARGET_MS} ms), load average {results['load_average_after'][0]:.2f}"
    )
    return 0 if verdict["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
