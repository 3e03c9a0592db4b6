"""The issue's budgets for the web UI: the main bundle under 300 kB gzipped, and an axe-core
scan (frontend/node_modules/axe-core, pinned in package.json) of each screen with no serious
or critical violation."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import DIST, ROOT
from tests.web.test_invoices_ui import sign_in, upload_in_ui

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def test_the_main_bundle_is_under_300_kb_gzipped() -> None:
    bundles = sorted((DIST / "assets").glob("*.js"))
    assert bundles, "frontend/dist/assets holds no JavaScript: run `make frontend`"
    sizes = {b.name: len(gzip.compress(b.read_bytes(), compresslevel=9)) for b in bundles}
    assert max(sizes.values()) < 300_000, sizes


def violations(page: Page) -> list[str]:
    """The serious and critical axe-core findings on the page as it is."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make frontend` (npm ci installs axe-core)")
    # evaluated through the DevTools protocol: the page's Content-Security-Policy allows no inline
    # script, which is what add_script_tag would insert
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")})`)"""
    )
    return list(found)


def test_screens_have_no_serious_accessibility_violation(
    page: Page, users: dict[str, str], sql: Callable[..., Any]
) -> None:
    found: dict[str, list[str]] = {}
    page.goto("/signin")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    found["sign in"] = violations(page)
    sign_in(page, users["reviewer"])
    upload_in_ui(page, "A11Y-1", "Globex Corporation")
    found["invoices"] = violations(page)
    page.get_by_role("link", name="A11Y-1").click()
    expect(page.get_by_label("Invoice number")).to_have_value("A11Y-1")
    expect(page.get_by_title("Document A11Y-1.html")).to_be_visible()
    found["review invoice"] = violations(page)
    for screen, heading in (("Review", "Review"), ("Import", "Import"), ("Batches", "Batches"), ("Exports", "Exports")):
        page.get_by_role("navigation", name="Screens").get_by_role("link", name=re.compile(f"^{screen}$")).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        page.wait_for_load_state("networkidle")
        found[screen.lower()] = violations(page)
    # the admin's screens
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, users["admin"])
    for screen in ("Vendors", "Users", "Prompts"):
        page.get_by_role("navigation", name="Screens").get_by_role("link", name=screen, exact=True).click()
        expect(page.get_by_role("heading", name=screen, exact=True)).to_be_visible()
        page.wait_for_load_state("networkidle")
        found[screen.lower()] = violations(page)
    # a prompt's page: its versions and the test workbench
    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("region", name="Test workbench")).to_be_visible()
    page.wait_for_load_state("networkidle")
    found["prompt"] = violations(page)
    assert {screen: v for screen, v in found.items() if v} == {}
