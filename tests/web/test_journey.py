"""The issue's end-to-end journey in one browser session through the local CloudFront URL (the
distribution roles/cdn builds; tests/web/cdn.py): sign in, import a batch of sample PDFs and
watch it finish, review one (a header field and a line item corrected), approve, reject another
with a reason, export CSV and XLSX and read them, manage a vendor and a prompt version, sign out.
Checked on the screen and through the API and the database; a screenshot of each screen."""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from plugins.module_utils.pdf import make_pdf
from tests.app.conftest import PASSWORD
from tests.extraction.samples import ACME_US_LINES, EURO_LINES
from tests.web.conftest import shot
from tests.web.test_exports_ui import csv_rows, downloaded
from tests.web.test_invoices_ui import sign_in
from tests.web.test_prompts_ui import new_active_prompt
from tests.web.test_users_ui import api_get

# what the SecurityHeadersPolicy (roles/cdn's cdn_response_headers_policy_id) adds to every response
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=31536000",
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def through_cloudfront(headers: dict[str, str], **own: str) -> None:
    """The response came through the distribution, with the headers policy's headers; ``own``: the
    origin's own values of headers the policy does not override (referrer_policy="no-referrer")."""
    assert headers["via"].endswith(".cloudfront.net (CloudFront)"), headers
    expected = {**SECURITY_HEADERS, **{k.replace("_", "-"): v for k, v in own.items()}}
    assert {k: headers.get(k) for k in expected} == expected


def sample_pdfs() -> list[dict[str, Any]]:
    """Three PDF invoices of the extraction samples (a US one twice, with another number)."""
    second_us = [line.replace("INV-2024-0042", "INV-2024-0043") for line in ACME_US_LINES]
    return [
        {"name": name, "mimeType": "application/pdf", "buffer": make_pdf(lines)}
        for name, lines in (
            ("acme_us.pdf", ACME_US_LINES),
            ("acme_us_2.pdf", second_us),
            ("nordlicht_eu.pdf", EURO_LINES),
        )
    ]


def test_the_whole_journey_through_cloudfront(page: Page, users: dict[str, str], sql: Callable[..., Any]) -> None:
    # the distribution serves the app: index.html at the root, with the policy's headers
    response = page.goto("/")
    assert response is not None and response.status == 200
    through_cloudfront(response.headers)
    assert response.headers["cache-control"] == "no-cache"  # roles/cdn's cache rule for index.html
    config = page.request.get("/config.js")
    assert "Written by the cdn role" in config.text() and config.headers["cache-control"] == "no-cache"
    expect(page).to_have_url(re.compile(r"/signin$"))
    shot(page, "journey-sign-in")
    sign_in(page, users["admin"])
    expect(page.get_by_label("Signed in as")).to_have_text(users["admin"])
    api = page.request.get("/api/health")
    assert api.ok
    through_cloudfront(api.headers, referrer_policy="no-referrer")  # the API's own (Override false)

    # import a batch of PDFs and watch the worker finish it
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Import").click()
    page.get_by_role("combobox", name="Vendor").click()
    page.get_by_role("option", name=re.compile("genesys", re.I)).click()
    page.get_by_label("Invoice files", exact=True).set_input_files(sample_pdfs())
    files = page.get_by_role("list", name="Files to import")
    expect(files.get_by_role("listitem")).to_have_count(3)
    shot(page, "journey-import")
    page.get_by_role("button", name="Import 3 files").click()
    expect(page).to_have_url(re.compile(r"/batches/[0-9a-f-]{36}$"), timeout=20_000)
    expect(page.get_by_label("Batch status completed")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("status")).to_contain_text("3 of 3 processed, 0 failed")
    shot(page, "journey-batch")
    batch_id = page.url.rsplit("/", 1)[1]
    progress = api_get(page, f"/api/batches/{batch_id}/progress")
    assert (progress["status"], progress["processedFiles"]) == ("completed", 3), progress
    numbers = {r["invoice_number"]: str(r["id"]) for r in sql("SELECT id, invoice_number FROM invoices")}
    assert sorted(numbers) == ["2024/118", "INV-2024-0042", "INV-2024-0043"]

    # review one: a header field and a line item corrected, saved, approved
    page.get_by_role("link", name="Review INV-2024-0042").click()
    expect(page.get_by_role("heading", name="Invoice INV-2024-0042")).to_be_visible()
    expect(page.get_by_label("Customer name")).to_have_value("Globex Corporation")
    expect(page.get_by_label("Line 2 Description")).to_have_value("Object storage GB-month")
    page.get_by_label("Customer name").fill("Globex Corp.")
    page.get_by_label("Line 2 Description").fill("Object storage (GB-month)")
    shot(page, "journey-review-invoice")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    first = numbers["INV-2024-0042"]
    saved = api_get(page, f"/api/invoices/{first}")
    assert saved["invoice"]["customer_name"] == "Globex Corp.", saved
    descriptions = [
        r["description"]
        for r in sql("SELECT description FROM line_items WHERE invoice_id = $1::uuid ORDER BY line_number", first)
    ]
    assert descriptions == ["Compute instances (hours)", "Object storage (GB-month)", "Support plan"]
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Invoice (?!INV-2024-0042)"))).to_be_visible()

    # reject the next one with a reason
    rejected_number = page.get_by_role("heading", name=re.compile(r"^Invoice ")).inner_text().removeprefix("Invoice ")
    page.get_by_role("button", name="Reject").click()
    dialog = page.get_by_role("dialog", name="Reject this invoice")
    dialog.get_by_label("Reason").fill("Duplicate of an earlier invoice")
    dialog.get_by_role("button", name="Reject invoice").click()
    expect(page.get_by_text("Rejected: Duplicate of an earlier invoice")).to_be_visible()
    statuses = {
        r["invoice_number"]: (r["processing_status"], r["rejection_reason"])
        for r in sql("SELECT invoice_number, processing_status, rejection_reason FROM invoices")
    }
    assert statuses["INV-2024-0042"] == ("approved", None)
    assert statuses[rejected_number] == ("rejected", "Duplicate of an earlier invoice")

    # a deep link loads through the SPA fallback (S3 answers 403 for the key, CloudFront serves index.html)
    rejected_id = numbers[rejected_number]
    response = page.goto(f"/invoices/{rejected_id}")
    assert response is not None and response.status == 200
    through_cloudfront(response.headers)
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", name=f"Invoice {rejected_number}")).to_be_visible()
    expect(page.get_by_label("Status rejected")).to_be_visible()

    # the Review screen's counts
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Review").click()
    counts = page.get_by_role("list", name="Invoices by status")
    expect(counts.get_by_role("link", name="approved 1")).to_be_visible()
    expect(counts.get_by_role("link", name="rejected 1")).to_be_visible()
    shot(page, "journey-review")

    # export the approved invoice as CSV and as XLSX with the built-in template; read both
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Exports").click()
    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="approved").click()
    expect(page.get_by_role("status", name="Selection preview")).to_have_text("1 invoices, total 189.73 USD")
    page.get_by_role("combobox", name="Template").click()
    page.get_by_role("option", name="Financial Summary Export").click()
    page.get_by_label("CSV (zip of two files)").check()
    name, data = downloaded(page, page.get_by_role("button", name="Generate and download"))
    assert name.endswith(".zip")
    tables = csv_rows(data)
    assert sorted(tables) == ["invoices.csv", "line_items.csv"]
    invoices_csv = tables["invoices.csv"]
    assert len(invoices_csv) == 2 and "INV-2024-0042" in invoices_csv[1], invoices_csv
    assert "Globex Corp." in invoices_csv[1] or "Customer Name" not in invoices_csv[0], invoices_csv
    line_rows = tables["line_items.csv"][1:]
    assert len(line_rows) == 3 and all("INV-2024-0042" in r for r in line_rows), line_rows
    page.get_by_label("XLSX (two sheets)").check()
    name, data = downloaded(page, page.get_by_role("button", name="Generate and download"))
    assert name.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Invoices", "Line Items"]
    sheet = [list(r) for r in book["Invoices"].iter_rows(values_only=True)]
    assert sheet[0] == invoices_csv[0] and len(sheet) == 2 and "INV-2024-0042" in sheet[1], sheet
    assert 189.73 in sheet[1]  # the total as a number
    assert len(list(book["Line Items"].iter_rows(values_only=True))) == 4
    shot(page, "journey-exports")
    recent = api_get(page, "/api/exports/recent")["exports"]
    assert [(e["invoice_count"], e["line_item_count"]) for e in recent] == [(1, 3), (1, 3)]

    # a vendor added and edited
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Vendors").click()
    page.get_by_role("button", name="Add vendor").click()
    dialog = page.get_by_role("dialog", name="Add a vendor")
    dialog.get_by_role("textbox", name="Name", exact=True).fill("Nordlicht")
    dialog.get_by_label("Display name").fill("Nordlicht Consulting")
    dialog.get_by_role("button", name="Add vendor").click()
    expect(page.get_by_role("status")).to_have_text("Nordlicht Consulting was added.")
    page.get_by_role("button", name="Edit nordlicht").click()
    dialog = page.get_by_role("dialog", name="Edit Nordlicht Consulting")
    dialog.get_by_label("Display name").fill("Nordlicht Consulting GmbH")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Nordlicht Consulting GmbH was saved.")
    shot(page, "journey-vendors")
    vendor = next(v for v in api_get(page, "/api/vendors")["vendors"] if v["name"] == "nordlicht")
    assert (vendor["display_name"], vendor["active"]) == ("Nordlicht Consulting GmbH", True)

    # a prompt for it, a second version, activated
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Prompts").click()
    new_active_prompt(page, "Nordlicht prompt", "Nordlicht Consulting GmbH", "Read the German invoice.")
    v1 = page.url.rsplit("/", 1)[1]
    form = page.get_by_role("form", name="Prompt")
    form.get_by_role("textbox", name="Prompt text", exact=True).fill("Read the German invoice: decimal commas.")
    form.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_role("heading", name="Nordlicht prompt v2")).to_be_visible()
    page.get_by_role("button", name="Activate v2").click()
    versions = page.get_by_role("table", name="Versions")
    expect(versions.get_by_role("row", name=re.compile(r"^v2 \(shown\) Nordlicht prompt active"))).to_be_visible()
    shot(page, "journey-prompts")
    v2 = page.url.rsplit("/", 1)[1]
    vendor = next(v for v in api_get(page, "/api/vendors")["vendors"] if v["name"] == "nordlicht")
    assert vendor["active_prompt_id"] == v2 != v1
    assert api_get(page, f"/api/prompts/{v2}")["prompt"]["prompt_text"] == "Read the German invoice: decimal commas."
    assert api_get(page, f"/api/prompts/{v1}")["prompt"]["is_active"] is False

    # sign out: the token is gone and a screen asks to sign in again
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('invoice.token')") is None
    page.goto("/exports")
    expect(page).to_have_url(re.compile(r"/signin$"))
    shot(page, "journey-signed-out")


@pytest.mark.xfail(
    strict=True,
    reason="known defect of roles/cdn: its SPA fallback (CustomErrorResponses 403/404 -> /index.html 200) is"
    " distribution-wide, as on CloudFront, so the /api/* behaviour's 403 and 404 reach the browser as"
    " index.html with 200 and the UI cannot read the API's error. Fix: the fallback as a viewer-request"
    " CloudFront Function on the default behaviour only (the local endpoint would need to run it).",
)
def test_an_api_error_reaches_the_browser_as_the_api_sent_it(web: str, api_origin: str, users: dict[str, str]) -> None:
    login = urllib.request.Request(
        f"http://{api_origin}/api/auth/login",
        data=json.dumps({"email": users["viewer"], "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=10) as response:
        auth = {"Authorization": f"Bearer {json.loads(response.read())['token']}"}
    missing = "/api/invoices/00000000-0000-0000-0000-000000000000"
    direct, through = status(f"http://{api_origin}{missing}", auth), status(f"{web}{missing}", auth)
    assert direct == 404  # what the API answers (the token kept out of assertion messages)
    assert through == 404  # what a browser gets through the distribution


def status(url: str, headers: dict[str, str]) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
