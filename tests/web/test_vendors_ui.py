"""The Vendors screen: the table, add and edit (name, display name, active, the prompt link),
and a delete the API refuses while invoices use the vendor; in Chromium, against the real API."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.web.conftest import shot
from tests.web.test_invoices_ui import sign_in
from tests.web.test_users_ui import api_get


def test_an_admin_adds_edits_links_a_prompt_and_deletes_vendors(
    page: Page, users: dict[str, str], sql: Callable[..., Any]
) -> None:
    genesys = str(sql("SELECT id FROM vendors WHERE name = 'genesys'")[0]["id"])
    sql(
        "INSERT INTO invoices (invoice_number, original_filename, file_path, file_type, file_hash, file_size,"
        " processing_status, vendor_id) VALUES ('V-1', 'x.pdf', 'none', 'pdf', 'h1', 1, 'pending', $1)",
        genesys,
    )
    page.goto("/vendors")
    sign_in(page, users["admin"])
    table = page.get_by_role("table", name="Vendors")
    expect(table.get_by_role("row", name=re.compile(r"^genesys Genesys active"))).to_contain_text("1")

    # add: a taken name is refused next to the Name field (case-insensitive), then a new one
    page.get_by_role("button", name="Add vendor").click()
    dialog = page.get_by_role("dialog", name="Add a vendor")
    dialog.get_by_role("textbox", name="Name", exact=True).fill("GENESYS")
    dialog.get_by_role("button", name="Add vendor").click()
    expect(dialog.get_by_text("Vendor with this name already exists")).to_be_visible()
    expect(dialog.get_by_role("textbox", name="Name", exact=True)).to_have_attribute("aria-invalid", "true")
    dialog.get_by_role("textbox", name="Name", exact=True).fill("Acme")
    dialog.get_by_label("Display name").fill("ACME Supplies")
    dialog.get_by_role("button", name="Add vendor").click()
    expect(page.get_by_role("status")).to_have_text("ACME Supplies was added.")
    acme_row = table.get_by_role("row", name=re.compile(r"^acme ACME Supplies"))
    expect(acme_row).to_contain_text("No prompt assigned")

    # a prompt of the vendor's, made through the API; linked and the vendor made inactive in the UI
    acme = next(v for v in api_get(page, "/api/vendors")["vendors"] if v["name"] == "acme")
    token = page.evaluate("sessionStorage.getItem('invoice.token')")
    made = page.request.post(
        "/api/prompts",
        headers={"Authorization": f"Bearer {token}"},
        data={"prompt_name": "Acme prompt", "prompt_text": "Read the invoice.", "vendor_id": acme["id"]},
    )
    assert made.status == 201, made.text()
    page.get_by_role("button", name="Edit acme").click()
    dialog = page.get_by_role("dialog", name="Edit ACME Supplies")
    dialog.get_by_label("Active").uncheck()
    dialog.get_by_role("combobox", name="Extraction prompt").click()
    page.get_by_role("option", name="Acme prompt v1").click()
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("ACME Supplies was saved.")
    expect(acme_row).to_contain_text("inactive")
    expect(acme_row).to_contain_text("Acme prompt")
    shot(page, "vendors")
    acme = next(v for v in api_get(page, "/api/vendors")["vendors"] if v["name"] == "acme")
    assert (acme["active"], acme["active_prompt_name"]) == (False, "Acme prompt")

    # delete: refused while an invoice uses the vendor (the API's message), done otherwise
    page.get_by_role("button", name="Delete genesys").click()
    confirm = page.get_by_role("dialog", name="Delete Genesys?")
    confirm.get_by_role("button", name="Delete").click()
    expect(confirm.get_by_text("Cannot delete vendor. 1 invoices are associated with this vendor.")).to_be_visible()
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    page.get_by_role("button", name="Delete acme").click()
    page.get_by_role("dialog", name="Delete ACME Supplies?").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("ACME Supplies was deleted.")
    expect(acme_row).to_have_count(0)
    assert sorted(v["name"] for v in api_get(page, "/api/vendors")["vendors"]) == ["five9", "genesys"]
