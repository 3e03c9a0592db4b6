"""Sign in / sign out, the session across a reload and its expiry, the invoice list (paging,
sorting, filters in the URL) and an upload: in Chromium, against the real API."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from app.auth import issue_token
from app.settings import Settings
from tests.app.conftest import PASSWORD, html_invoice
from tests.web.conftest import shot


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def upload_in_ui(page: Page, number: str, customer: str, extra: str = "") -> None:
    """Upload one HTML invoice (``extra`` markup at the end of its body) through the Invoices
    screen's form (the vendor chosen already or now)."""
    upload = page.get_by_role("region", name="Upload an invoice")
    vendor = upload.get_by_role("combobox", name="Vendor")
    if not vendor.inner_text().replace("\u200b", "").strip():  # MUI shows a zero-width space when empty
        vendor.click()
        page.get_by_role("option", name=re.compile("genesys", re.I)).click()
    page_bytes = html_invoice(number, customer=customer, extra=extra)
    upload.get_by_label("Invoice file (PDF, HTML, PNG, JPEG)").set_input_files(
        {"name": f"{number}.html", "mimeType": "text/html", "buffer": page_bytes}
    )
    upload.get_by_role("button", name="Upload").click()
    expect(upload.get_by_role("status")).to_have_text(f"Uploaded {number}.html: invoice {number}, 2 line items")


def rows(page: Page) -> list[str]:
    """Each invoice row's number (or file name): the link to its review."""
    table = page.get_by_role("table", name="Invoices")
    expect(table).to_have_attribute("aria-busy", "false")
    return table.locator("tbody tr a").evaluate_all("links => links.map(a => a.innerText)")


def test_sign_in_upload_list_and_sign_out(page: Page, users: dict[str, str], sql: Callable[..., Any]) -> None:
    page.goto("/invoices?status=processed")
    expect(page).to_have_url(re.compile(r"/signin$"))
    sign_in(page, users["reviewer"], "wrong password")
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password")
    shot(page, "sign-in")
    sign_in(page, users["reviewer"])
    # back where the person was going, filters and all
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/invoices\?status=processed$"))
    expect(page.get_by_label("Signed in as")).to_have_text(users["reviewer"])
    expect(page.get_by_text("No invoice matches these filters.")).to_be_visible()
    # the Users screen is for admins: no navigation entry for a reviewer
    expect(page.get_by_role("navigation", name="Screens").get_by_role("link", name="Invoices")).to_be_visible()
    expect(page.get_by_role("navigation", name="Screens").get_by_role("link", name="Users")).to_have_count(0)
    page.goto("/invoices")
    expect(page.get_by_text("No invoices yet: upload one above.")).to_be_visible()

    # upload three through the form
    upload = page.get_by_role("region", name="Upload an invoice")
    upload.get_by_role("combobox", name="Vendor").click()
    page.get_by_role("option", name=re.compile("genesys", re.I)).click()
    for number, customer in (("UI-1", "Globex Corporation"), ("UI-2", "Vandelay Industries"), ("UI-3", "Acme")):
        upload.get_by_label("Invoice file (PDF, HTML, PNG, JPEG)").set_input_files(
            {"name": f"{number}.html", "mimeType": "text/html", "buffer": html_invoice(number, customer=customer)}
        )
        upload.get_by_role("button", name="Upload").click()
        expect(upload.get_by_role("status")).to_have_text(f"Uploaded {number}.html: invoice {number}, 2 line items")
    assert rows(page) == ["UI-3", "UI-2", "UI-1"]
    shot(page, "invoices")

    # an API error is shown next to its field: the same file again is a duplicate
    upload.get_by_label("Invoice file (PDF, HTML, PNG, JPEG)").set_input_files(
        {"name": "again.html", "mimeType": "text/html", "buffer": html_invoice("UI-1", customer="Globex Corporation")}
    )
    upload.get_by_role("button", name="Upload").click()
    expect(upload.get_by_text("This file was already uploaded")).to_be_visible()
    assert rows(page) == ["UI-3", "UI-2", "UI-1"]

    # sorting is the server's, and kept in the URL
    page.get_by_role("button", name="Number").click()
    expect(page).to_have_url(re.compile(r"sort=invoice_number"))
    assert rows(page) == ["UI-1", "UI-2", "UI-3"]
    page.get_by_role("button", name="Number").click()
    expect(page).to_have_url(re.compile(r"sort=-invoice_number"))
    assert rows(page) == ["UI-3", "UI-2", "UI-1"]

    # paging: 25 a page; 27 invoices make two pages (the rest inserted in SQL)
    sql(
        "INSERT INTO invoices (invoice_number, original_filename, file_path, file_type, file_hash,"
        " file_size, processing_status, vendor_id) SELECT 'SQL-' || lpad(n::text, 2, '0'), 'x.pdf', 'none', 'pdf',"
        " md5(n::text), 1, 'pending', (SELECT id FROM vendors WHERE name = 'genesys') FROM generate_series(1, 24) AS n"
    )
    page.goto("/invoices?sort=invoice_number&limit=25&page=2")
    assert rows(page) == ["UI-2", "UI-3"]
    expect(page.get_by_text("26\u201327 of 27")).to_be_visible()
    page.get_by_role("button", name="Go to previous page").click()
    expect(page).to_have_url(re.compile(r"/invoices\?sort=invoice_number&limit=25$"))
    assert rows(page)[:2] == ["SQL-01", "SQL-02"]

    # filters: search and status, in the URL, kept across a reload (the session too)
    page.get_by_label("Search").fill("ui-")
    expect(page).to_have_url(re.compile(r"search=ui-"))
    assert rows(page) == ["UI-1", "UI-2", "UI-3"]
    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="pending").click()
    expect(page).to_have_url(re.compile(r"status=pending"))
    expect(page.get_by_text("No invoice matches these filters.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Search")).to_have_value("ui-")
    expect(page.get_by_role("combobox", name="Status")).to_have_text("pending")
    expect(page.get_by_label("Signed in as")).to_have_text(users["reviewer"])

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Invoice Processing")).to_be_visible()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    # the API revoked the token: a reload does not sign in again
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('invoice.token')") is None


def test_an_expired_token_returns_to_sign_in_with_a_message(
    page: Page, users: dict[str, str], sql: Callable[..., Any], settings: Settings
) -> None:
    page.goto("/signin")
    sign_in(page, users["viewer"])
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
    # the token the page holds expires (issued a minute ago with a TTL of 1 s)
    row = dict(sql("SELECT id, email, name, role, token_version FROM users WHERE email = $1", users["viewer"])[0])
    expired = issue_token(row, str(settings.jwt_secret), -60)
    page.evaluate("token => sessionStorage.setItem('invoice.token', token)", expired)
    page.get_by_role("button", name="Number").click()  # the next request the page makes
    expect(page.get_by_role("heading", name="Sign in to Invoice Processing")).to_be_visible()
    expect(page.get_by_text("Your session has expired. Sign in again.")).to_be_visible()
    # and on a reload with the expired token
    page.evaluate("token => sessionStorage.setItem('invoice.token', token)", expired)
    page.goto("/invoices")
    expect(page.get_by_text("Your session has expired. Sign in again.")).to_be_visible()
    sign_in(page, users["viewer"])
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()


def test_delete_the_selected_invoices(page: Page, users: dict[str, str], sql: Callable[..., Any]) -> None:
    sql(
        "INSERT INTO invoices (invoice_number, original_filename, file_path, file_type, file_hash,"
        " file_size, processing_status, vendor_id) SELECT 'D-' || n, 'x.pdf', 'none', 'pdf',"
        " md5(n::text), 1, 'processed', (SELECT id FROM vendors WHERE name = 'genesys') FROM generate_series(1, 3) AS n"
    )
    sql("UPDATE invoices SET invoice_date = '2024-05-02' WHERE invoice_number = 'D-2'")
    page.goto("/invoices?sort=invoice_number")
    sign_in(page, users["reviewer"])
    assert rows(page) == ["D-1", "D-2", "D-3"]
    # the invoice date range, in the URL; the API's refusal of a reversed range next to its field
    page.get_by_label("Invoice date from").fill("2024-05-01")
    expect(page).to_have_url(re.compile(r"start_date=2024-05-01"))
    assert rows(page) == ["D-2"]
    page.get_by_label("Invoice date to").fill("2024-04-30")
    expect(page.get_by_label("Invoice date from")).to_have_accessible_description(
        "start_date must not be after end_date"
    )
    page.goto("/invoices?sort=invoice_number")
    assert rows(page) == ["D-1", "D-2", "D-3"]
    delete = page.get_by_role("button", name=re.compile(r"^Delete selected"))
    expect(delete).to_be_disabled()
    page.get_by_role("checkbox", name="Select D-1").check()
    page.get_by_role("checkbox", name="Select D-3").check()
    expect(delete).to_have_text("Delete selected (2)")
    delete.click()
    dialog = page.get_by_role("dialog", name="Delete 2 invoices?")
    dialog.get_by_role("button", name="Cancel").click()
    assert rows(page) == ["D-1", "D-2", "D-3"]
    delete.click()
    dialog.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").filter(has_text="Deleted.")).to_be_visible()
    assert rows(page) == ["D-2"]
    assert [r["invoice_number"] for r in sql("SELECT invoice_number FROM invoices")] == ["D-2"]
    # select all on the page, then a viewer: a selection to export (the API lets viewers), no delete
    page.get_by_role("checkbox", name="Select every invoice on this page").check()
    expect(delete).to_have_text("Delete selected (1)")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, users["viewer"])
    expect(page.get_by_role("table", name="Invoices").get_by_role("link", name="D-2")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Delete selected"))).to_have_count(0)
    page.get_by_role("checkbox", name="Select D-2").check()
    page.get_by_role("button", name="Export selected (1)").click()
    expect(page.get_by_role("heading", name="Exports", exact=True)).to_be_visible()
    expect(page.get_by_role("status", name="Selection preview")).to_contain_text("1 invoice")


def test_customer_batch_and_amount_filters(page: Page, users: dict[str, str], sql: Callable[..., Any]) -> None:
    customers = {
        r["name"]: str(r["id"])
        for r in sql(
            "INSERT INTO customers (name, normalized_name) VALUES ('Globex Corp', 'globex corp'),"
            " ('Initech', 'initech') RETURNING id, name"
        )
    }
    batch = str(
        sql(
            "INSERT INTO processing_batches (vendor_id, status, created_at) SELECT id, 'completed', '2024-03-07 10:00'"
            " FROM vendors WHERE name = 'genesys' RETURNING id"
        )[0]["id"]
    )
    batch_name = f"Batch-2024-3-7-{batch[-8:]}"
    sql(
        "INSERT INTO invoices (invoice_number, original_filename, file_path, file_type, file_hash, file_size,"
        " processing_status, vendor_id, customer_id, total_amount, batch_id)"
        " SELECT v.number, 'x.pdf', 'none', 'pdf', md5(v.number), 1, 'processed',"
        " (SELECT id FROM vendors WHERE name = 'genesys'), v.customer, v.total, v.batch"
        " FROM (VALUES ('F-1', $1::uuid, 10.00, NULL::uuid), ('F-2', $2::uuid, 50.00, $3::uuid),"
        " ('F-3', NULL::uuid, 100.00, NULL::uuid)) AS v (number, customer, total, batch)",
        customers["Globex Corp"],
        customers["Initech"],
        batch,
    )
    page.goto("/invoices?sort=invoice_number")
    sign_in(page, users["viewer"])
    assert rows(page) == ["F-1", "F-2", "F-3"]

    # the customer: found by the API as the person types, kept in the URL by id, named after a reload
    customer = page.get_by_role("combobox", name="Customer")
    customer.fill("glob")
    page.get_by_role("option", name="Globex Corp").click()
    expect(page).to_have_url(re.compile(f"customer_id={customers['Globex Corp']}"))
    assert rows(page) == ["F-1"]
    page.reload()
    expect(page.get_by_role("combobox", name="Customer")).to_have_value("Globex Corp")
    assert rows(page) == ["F-1"]
    page.get_by_role("button", name="Clear filters").click()
    expect(page).to_have_url(re.compile(r"/invoices\?sort=invoice_number$"))
    expect(page.get_by_role("combobox", name="Customer")).to_have_value("")
    assert rows(page) == ["F-1", "F-2", "F-3"]

    # the batch: the API's names, "Single Upload" first
    page.get_by_role("combobox", name="Batch").click()
    expect(page.get_by_role("option")).to_have_text(["Any batch", "Single Upload", batch_name])
    page.get_by_role("option", name=batch_name).click()
    expect(page).to_have_url(re.compile(f"batch_name={batch_name}"))
    assert rows(page) == ["F-2"]
    page.get_by_role("combobox", name="Batch").click()
    page.get_by_role("option", name="Single Upload").click()
    assert rows(page) == ["F-1", "F-3"]
    page.get_by_role("button", name="Clear filters").click()

    # the total range, inclusive; the API's refusals next to the field they name
    page.get_by_label("Total from").fill("50")
    expect(page).to_have_url(re.compile(r"min_total=50"))
    assert rows(page) == ["F-2", "F-3"]
    page.get_by_label("Total to").fill("99.99")
    expect(page).to_have_url(re.compile(r"min_total=50&max_total=99\.99"))
    assert rows(page) == ["F-2"]
    shot(page, "invoices-filtered")
    page.get_by_label("Total from").fill("120")
    expect(page.get_by_label("Total from")).to_have_accessible_description("min_total must not be more than max_total")
    page.get_by_label("Total from").fill("")
    page.get_by_label("Total to").fill("12,50")
    expect(page.get_by_label("Total to")).to_have_accessible_description("max_total must be a number")
    page.get_by_label("Total to").fill("10")
    expect(page.get_by_label("Total to")).to_have_accessible_description("")
    assert rows(page) == ["F-1"]
    # every filter in one link: the API applies them together
    page.goto(f"/invoices?customer_id={customers['Initech']}&batch_name={batch_name}&min_total=50&max_total=50")
    assert rows(page) == ["F-2"]
    expect(page.get_by_role("combobox", name="Customer")).to_have_value("Initech")
    expect(page.get_by_role("combobox", name="Batch")).to_have_text(batch_name)
