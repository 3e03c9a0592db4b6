"""The Prompts screen: the list and its filters (in the URL), create, edit, a new version, the
version history and activation, and the test workbench (upload a file, see the document, run
the prompt, see header and line items); in Chromium, against the real API."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.app.conftest import html_invoice
from tests.web.conftest import shot
from tests.web.test_invoices_ui import sign_in
from tests.web.test_users_ui import api_get


def new_active_prompt(page: Page, name: str, vendor: str, text: str) -> None:
    """A prompt made in the New prompt dialog, active for ``vendor`` (its display name); its page opens."""
    page.get_by_role("button", name="New prompt").click()
    dialog = page.get_by_role("dialog", name="New prompt")
    dialog.get_by_label("Prompt name").fill(name)
    dialog.get_by_role("combobox", name="Vendor").click()
    page.get_by_role("option", name=vendor).click()
    dialog.get_by_label("Prompt text").fill(text)
    dialog.get_by_label("Active for the vendor").check()
    dialog.get_by_role("button", name="Create prompt").click()
    expect(page.get_by_role("heading", name=f"{name} v1")).to_be_visible()


def test_an_admin_creates_versions_activates_and_tests_a_prompt(
    page: Page, users: dict[str, str], sql: Callable[..., Any], api_origin: str
) -> None:
    page.goto("/prompts")
    sign_in(page, users["admin"])
    table = page.get_by_role("table", name="Prompts")
    expect(table.get_by_role("link", name="Base Template")).to_be_visible()
    # filters are the API's, kept in the URL
    page.get_by_role("combobox", name="Vendor").click()
    page.get_by_role("option", name="Genesys").click()
    expect(page).to_have_url(re.compile(r"/prompts\?vendor_id=[0-9a-f-]{36}$"))
    expect(page.get_by_text("No prompt matches these filters.")).to_be_visible()
    page.goto("/prompts?is_template=true")
    expect(page.get_by_role("combobox", name="Kind")).to_have_text("Templates")
    expect(table.get_by_role("link", name="Base Template")).to_be_visible()

    # create an active prompt for Genesys; the page of the new prompt opens
    new_active_prompt(page, "Genesys prompt", "Genesys", "Extract the invoice.")
    v1 = page.url.rsplit("/", 1)[1]

    # edit in place, then save as a new version (inactive until activated)
    form = page.get_by_role("form", name="Prompt")
    form.get_by_role("textbox", name="Prompt text", exact=True).fill("Extract the invoice, every line.")
    form.get_by_role("button", name="Save", exact=True).click()
    expect(form.get_by_role("status")).to_have_text("Saved.")
    assert api_get(page, f"/api/prompts/{v1}")["prompt"]["prompt_text"] == "Extract the invoice, every line."
    form.get_by_role("textbox", name="Prompt text", exact=True).fill("Version two.")
    form.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_role("heading", name="Genesys prompt v2")).to_be_visible()
    versions = page.get_by_role("table", name="Versions")
    expect(versions.locator("tbody tr")).to_have_count(2)
    expect(versions.get_by_role("row", name=re.compile(r"^v1 Genesys prompt active"))).to_be_visible()
    page.get_by_role("button", name="Activate v2").click()
    expect(versions.get_by_role("row", name=re.compile(r"^v2 \(shown\) Genesys prompt active"))).to_be_visible()
    expect(versions.get_by_role("row", name=re.compile(r"^v1 Genesys prompt inactive"))).to_be_visible()
    genesys = next(v for v in api_get(page, "/api/vendors")["vendors"] if v["name"] == "genesys")
    assert genesys["active_prompt_id"] == page.url.rsplit("/", 1)[1]
    assert api_get(page, f"/api/prompts/{v1}")["prompt"]["is_active"] is False

    # the workbench: upload a sample, see the document, run the prompt on it
    bench = page.get_by_role("region", name="Test workbench")
    bench.get_by_label("Test file (PDF, HTML, PNG, JPEG)").set_input_files(
        {"name": "sample.html", "mimeType": "text/html", "buffer": html_invoice("WB-7", customer="Globex Corporation")}
    )
    bench.get_by_role("button", name="Upload test file").click()
    expect(page.frame_locator("iframe[title='Document sample.html']").get_by_text("WB-7")).to_be_visible()
    expect(page.get_by_title("Document sample.html")).to_have_attribute("sandbox", "allow-same-origin")  # no scripts
    # the text extraction reads from it, beside the document
    extracted = bench.get_by_role("region", name="Extracted text")
    expect(extracted).to_contain_text("Invoice #\tWB-7")
    expect(extracted).to_contain_text("Globex Corporation")
    expect(bench.get_by_label("Prompt text for this run")).to_have_value("Version two.")
    bench.get_by_role("button", name="Run prompt").click()
    header = bench.get_by_role("table", name="Extracted header")
    expect(header.get_by_role("row", name="invoice_number WB-7")).to_be_visible()
    expect(header.get_by_role("row", name="customer_name Globex Corporation")).to_be_visible()
    lines = bench.get_by_role("table", name="Extracted line items")
    expect(lines.locator("tbody tr")).to_have_count(2)
    expect(lines).to_contain_text("Business fiber 1 Gbps")
    shot(page, "prompts")

    # discarding the sample deletes it at once: the API no longer has it
    temp_id = sql("SELECT id FROM prompt_test_files")[0]["id"]
    bench.get_by_role("button", name="Discard test file").click()
    expect(bench.get_by_role("status")).to_have_text("The test file was deleted.")
    expect(bench.get_by_role("table", name="Extracted header")).to_have_count(0)
    assert sql("SELECT id FROM prompt_test_files") == []
    # asked of the API itself: through the distribution its 404 arrives as index.html, 200
    # (test_journey.py's test_an_api_error_reaches_the_browser_as_the_api_sent_it)
    token = page.evaluate("sessionStorage.getItem('invoice.token')")
    gone = page.request.get(
        f"http://{api_origin}/api/prompts/test-file/{temp_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert gone.status == 404
