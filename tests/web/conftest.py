"""Browser tests of the web UI (frontend/dist, as `make frontend` builds it): headless Debian
Chromium driven by Playwright, through the local CloudFront, against the real API
(app.main.create_app) on a fresh PostgreSQL database.

Every test goes through CloudFront, as production does (the one-origin imitation of it is gone):
one distribution per test process on the local endpoint, made as roles/storage and roles/cdn make
it (tests/web/cdn.py: the frontend bucket and its OAC policy statement, frontend/dist and the
role's config.js uploaded by s3_site_sync with the role's cache rules, the OAC, the distribution
with the default root object, the SPA fallback (403/404 -> /index.html 200), /api/* to a custom
origin, the SecurityHeadersPolicy), made again after a reset of the endpoint; per test the API on
its own uvicorn port and database, the distribution's /api/* origin pointed at it (~0.1 s).
Cost, measured on 2 shared cores at load 10-15 (noisy): making the distribution ~2 s once per
process, after the endpoint's first S3 and CloudFront calls of the process (20-30 s at that load),
deleting it ~1.6 s; repointing the origin ~0.1 s per test. The pages' requests go through the edge,
which runs in this process beside the API: test_invoices_ui + test_vendors_ui (4 comparable tests)
took 43 s of calls through the old one-origin imitation at load ~11 and 69 s through CloudFront
at load ~14; load alone does not explain all of it, so the extra may be more than 1 s per test.
Every test goes through CloudFront anyway, to prove the production shape; if CI time says
otherwise, a one-origin site for the screen tests is the way back (git history: class Site).

The database fixtures are tests/app's, run in a thread of their own: Playwright's sync API
keeps an event loop running in the test's thread, where asyncio.run() is refused."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from app.db import migrate
from app.main import create_app
from app.settings import Settings
from tests.app.conftest import _admin, _fetch, _with_db, seed_users
from tests.app.conftest import settings as settings  # noqa: PLC0414 (the fixture, re-exported)
from tests.conftest import free_port
from tests.web import cdn

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# screenshots of each screen, kept after the run (CI artefacts)
SCREENSHOTS = ROOT / ".run" / "screenshots"


_counter = itertools.count()


def run_async(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """asyncio.run() in a thread of its own (not in Playwright's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


@pytest.fixture(scope="session")
def template_db(pg_url: str) -> Iterator[str]:
    name = f"web_tpl_{uuid.uuid4().hex[:8]}"
    run_async(lambda: _admin(pg_url, f"CREATE DATABASE {name}"))
    run_async(lambda: migrate(_with_db(pg_url, name)))
    yield name
    run_async(lambda: _admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def db_url(pg_url: str, template_db: str) -> Iterator[str]:
    name = f"web_t_{uuid.uuid4().hex[:8]}_{next(_counter)}"
    run_async(lambda: _admin(pg_url, f"CREATE DATABASE {name} TEMPLATE {template_db}"))
    yield _with_db(pg_url, name)
    run_async(lambda: _admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def sql(db_url: str) -> Callable[..., list[Any]]:
    """Run SQL against the test database directly."""
    return lambda query, *args: run_async(lambda: _fetch(db_url, query, *args))


@pytest.fixture
def users(sql: Callable[..., list[Any]]) -> dict[str, str]:
    """One active user per role; role -> email (password tests.app.conftest.PASSWORD)."""
    return seed_users(sql)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test file. Not for the session: Playwright's sync API keeps an event loop
    running in this thread until it stops, and an xdist worker that ran a file of tests/web would
    then fail every later ``asyncio.run`` (tests/app's template database, the playbook tests)."""
    if not (DIST / "index.html").is_file():
        pytest.fail("frontend/dist has no index.html: run `make frontend` (npm ci && npm run build)")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def cdn_sites() -> Iterator[list[cdn.CdnSite]]:
    """The distribution of this test process, once made (deleted at the end if still there)."""
    made: list[cdn.CdnSite] = []
    yield made
    if made and made[-1].exists():
        cdn.delete_site(made[-1])


@pytest.fixture
def cdn_site(localaws_server: str, cdn_sites: list[cdn.CdnSite]) -> cdn.CdnSite:
    """One distribution in front of frontend/dist for the whole test process (tests/web/cdn.py: the
    roles' configuration, made by the collection's modules), made again when a test elsewhere
    has reset the endpoint since (the ``localaws`` fixture does, before each of its tests)."""
    if not cdn_sites or not cdn_sites[-1].exists():
        cdn_sites.append(cdn.create_site(localaws_server, f"web-{uuid.uuid4().hex[:8]}", "127.0.0.1:9"))
    return cdn_sites[-1]


@pytest.fixture
def api_origin(settings: Settings) -> Iterator[str]:
    """The real API on this test's database (``127.0.0.1:<port>``, uvicorn, its batch worker running):
    the distribution's /api/* origin."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(dataclasses.replace(settings, run_worker=True)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ws="none",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the API did not start")
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def web(api_origin: str, cdn_site: cdn.CdnSite) -> str:
    """The distribution's loopback URL, its /api/* origin this test's API."""
    cdn_site.point_api_at(api_origin)
    return cdn_site.url


@pytest.fixture
def page(browser: Browser, web: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(base_url=web)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    urls: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda req: urls.append(req.url))
    yield page
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"
    # the token travels in the Authorization header only, never in a URL (files included)
    assert [u for u in urls if "token=" in u] == []


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
