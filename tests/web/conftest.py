"""Browser tests of the web UI (frontend/dist, as `make frontend` builds it): headless Debian
Chromium driven by Playwright, against the real API (app.main.create_app) on a fresh
PostgreSQL database, both served on one loopback origin as the local CloudFront serves
them (the files, index.html for any other path, /api/* to the API).

The database fixtures are tests/app's, run in a thread of their own: Playwright's sync API
keeps an event loop running in the test's thread, where asyncio.run() is refused."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import mimetypes
import shutil
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


class Site:
    """The UI's files and the API on one origin: /api/* to the API, a file of dist when one
    has the path, index.html for every other path (the SPA fallback)."""

    def __init__(self, api: Any, root: Path) -> None:
        self.api = api
        self.root = root.resolve()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/"):
            await self.api(scope, receive, send)
            return
        path = (self.root / scope["path"].lstrip("/")).resolve()
        if not path.is_file() or self.root not in path.parents:
            path = self.root / "index.html"
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = path.read_bytes()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


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


@pytest.fixture
def web(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """The site's loopback URL (the real API on this test's database, its batch worker running)."""
    site = tmp_path / "site"
    shutil.copytree(DIST, site)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Site(create_app(dataclasses.replace(settings, run_worker=True)), site),
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
            pytest.fail("the site did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


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
