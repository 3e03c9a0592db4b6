"""The Exports screen: filters as chips with a preview of the selection, a template made with the
field picker (drag and drop, and reordered by keyboard), CSV and XLSX generated and downloaded (their
content read here), the recent list's re-download, and the Invoices screen's "Export selected";
in Chromium, against the real API."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from playwright.sync_api import Page, expect

from tests.web.conftest import shot
from tests.web.test_invoices_ui import sign_in
from tests.web.test_users_ui import api_get

INVOICES = (  # number, vendor, status, total, created (minutes ago), line items (description, total)
    ("E-1", "genesys", "approved", "100.00", 3, [("Seats", "80.00"), ("Support", "20.00")]),
    ("E-2", "five9", "approved", "50.50", 2, [("Minutes", "50.50")]),
    ("E-3", "genesys", "pending", "10.00", 1, [("Fee", "10.00")]),
)


def seed(sql: Callable[..., Any]) -> None:
    for number, vendor, status, total, age, lines in INVOICES:
        row = sql(
            "INSERT INTO invoices (invoice_number, original_filename, file_path, file_type, file_hash, file_size,"
            " processing_status, vendor_id, total_amount, currency, invoice_date, created_at)"
            " VALUES ($1::text, $1::text || '.pdf', 'none', 'pdf', $1::text, 1, $2,"
            " (SELECT id FROM vendors WHERE name = $3),"
            " $4::numeric, 'USD', DATE '2024-05-01', now() - make_interval(mins => $5)) RETURNING id",
            number,
            status,
            vendor,
            total,
            age,
        )
        for line_number, (description, amount) in enumerate(lines, 1):
            sql(
                "INSERT INTO line_items (invoice_id, line_number, description, quantity, unit_price, total_amount)"
                " VALUES ($1, $2, $3, 1, $4::numeric, $4::numeric)",
                row[0]["id"],
                line_number,
                description,
                amount,
            )


def csv_rows(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            for name in sorted(archive.namelist())
        }


def downloaded(page: Page, button: Any) -> tuple[str, bytes]:
    with page.expect_download() as info:
        button.click()
    download = info.value
    path = download.path()
    assert download.failure() is None
    return download.suggested_filename, Path(path).read_bytes()


def test_a_reviewer_builds_a_template_and_exports_csv_and_xlsx(
    page: Page, users: dict[str, str], sql: Callable[..., Any]
) -> None:
    seed(sql)
    page.goto("/exports")
    sign_in(page, users["reviewer"])
    expect(page.get_by_role("heading", name="Exports", exact=True)).to_be_visible()
    preview = page.get_by_role("status", name="Selection preview")
    expect(preview).to_have_text("3 invoices, total 160.50 USD")
    recent = page.get_by_role("table", name="Recent exports")
    expect(recent).to_contain_text("No export yet.")

    # filters as chips; the preview follows them; a chip removes its filter
    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="approved").click()
    chips = page.get_by_role("group", name="Active filters")
    expect(chips.get_by_role("button", name="Status: approved, remove this filter")).to_be_visible()
    expect(preview).to_have_text("2 invoices, total 150.50 USD")
    page.get_by_role("combobox", name="Vendor").click()
    page.get_by_role("option", name=re.compile("genesys", re.I)).click()
    expect(preview).to_have_text("1 invoices, total 100.00 USD")
    chips.get_by_role("button", name=re.compile(r"^Vendor: .*remove this filter")).click()
    expect(preview).to_have_text("2 invoices, total 150.50 USD")
    # a filter the API refuses is named next to its field
    page.get_by_role("textbox", name="Invoice date from").fill("2024-06-01")
    page.get_by_role("textbox", name="Invoice date to").fill("2024-05-01")
    expect(page.get_by_role("textbox", name="Invoice date from")).to_have_accessible_description(
        "start_date must not be after end_date"
    )
    chips.get_by_role("button", name="Invoice date from 2024-06-01, remove this filter").click()
    chips.get_by_role("button", name="Invoice date to 2024-05-01, remove this filter").click()
    expect(preview).to_have_text("2 invoices, total 150.50 USD")

    # a template: the picker, by drag and drop and by keyboard; the API's refusal next to the list
    page.get_by_role("button", name="New template").click()
    dialog = page.get_by_role("dialog", name="New export template")
    dialog.get_by_label("Template name").fill("Finance")
    invoice_side = dialog.get_by_role("group", name="Invoice sheet columns")
    chosen = invoice_side.get_by_role("list", name=re.compile(r"^Chosen columns"))
    invoice_side.get_by_role("button", name="Add Total Amount").click()
    invoice_side.get_by_role("button", name="Add Vendor Name").click()
    invoice_side.get_by_role("button", name="Remove Invoice #").click()
    expect(chosen.get_by_role("listitem")).to_have_text(
        [re.compile(r"^1\. Total Amount"), re.compile(r"^2\. Vendor Name")]
    )
    dialog.get_by_role("button", name="Create template").click()
    expect(chosen).to_have_accessible_description("invoice_number field is required in invoice_fields")
    invoice_side.get_by_role("button", name="Add Invoice #").click()
    # keyboard: Invoice # to the top, Vendor Name above Total Amount
    for _ in range(2):
        invoice_side.get_by_role("button", name="Move Invoice # up").focus()
        page.keyboard.press("Enter")
    invoice_side.get_by_role("button", name="Move Vendor Name up").focus()
    page.keyboard.press("Space")
    # drag and drop: Currency from the available fields onto Total Amount (placed before it)
    invoice_side.get_by_role("listitem", name="Currency", exact=True).drag_to(
        chosen.get_by_role("listitem", name="3. Total Amount")
    )
    expect(chosen.get_by_role("listitem")).to_have_text(
        [
            re.compile(rf"^{n}\. {re.escape(label)}")
            for n, label in enumerate(["Invoice #", "Vendor Name", "Currency", "Total Amount"], 1)
        ]
    )
    line_side = dialog.get_by_role("group", name="Line item sheet columns")
    line_side.get_by_role("button", name="Add Line Total").click()
    line_side.get_by_role("button", name="Add Description").click()
    line_side.get_by_role("button", name="Move Description up").click()
    shot(page, "exports-template")
    dialog.get_by_role("button", name="Create template").click()
    expect(dialog).to_be_hidden()
    templates = page.get_by_role("table", name="Export templates")
    expect(templates.get_by_role("row", name=re.compile(r"^Finance"))).to_contain_text("private")
    stored = next(t for t in api_get(page, "/api/exports/templates")["templates"] if t["name"] == "Finance")
    assert [f["key"] for f in stored["invoice_fields"]] == [
        "invoice.invoice_number",
        "vendor.name",
        "invoice.currency",
        "invoice.total_amount",
    ]
    assert [f["key"] for f in stored["line_item_fields"]] == [
        "line_item.invoice_number",
        "line_item.description",
        "line_item.total_amount",
    ]

    # CSV of the approved invoices with that template
    page.get_by_role("combobox", name="Template").click()
    page.get_by_role("option", name="Finance").click()
    page.get_by_label("CSV (zip of two files)").check()
    name, data = downloaded(page, page.get_by_role("button", name="Generate and download"))
    assert name.endswith(".zip")
    result = page.get_by_role("status", name="Export result")
    expect(result).to_have_text("Exported 2 invoices and 3 line items as CSV.")
    csv_files = csv_rows(data)
    assert csv_files == {
        "invoices.csv": [
            ["Invoice #", "Vendor Name", "Currency", "Total Amount"],
            ["E-2", "Five9", "USD", "50.50"],
            ["E-1", "Genesys", "USD", "100.00"],
        ],
        "line_items.csv": [
            ["Invoice #", "Description", "Line Total"],
            ["E-2", "Minutes", "50.50"],
            ["E-1", "Seats", "80.00"],
            ["E-1", "Support", "20.00"],
        ],
    }

    # XLSX of the same selection: two sheets, numbers as numbers
    page.get_by_label("XLSX (two sheets)").check()
    name, data = downloaded(page, page.get_by_role("button", name="Generate and download"))
    assert name.endswith(".xlsx")
    expect(result).to_have_text("Exported 2 invoices and 3 line items as XLSX.")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Invoices", "Line Items"]
    assert [list(r) for r in workbook["Invoices"].iter_rows(values_only=True)] == [
        ["Invoice #", "Vendor Name", "Currency", "Total Amount"],
        ["E-2", "Five9", "USD", 50.5],
        ["E-1", "Genesys", "USD", 100],
    ]
    assert [list(r) for r in workbook["Line Items"].iter_rows(values_only=True)] == [
        ["Invoice #", "Description", "Line Total"],
        ["E-2", "Minutes", 50.5],
        ["E-1", "Seats", 80],
        ["E-1", "Support", 20],
    ]

    # the recent list, newest first; the CSV downloaded again is the same file
    expect(recent.get_by_role("row")).to_have_count(3)
    expect(recent.get_by_role("row").nth(1)).to_contain_text("XLSX")
    expect(recent.get_by_role("row").nth(2)).to_contain_text("CSV")
    expect(recent.get_by_role("row").nth(2)).to_contain_text("Finance")
    _, again = downloaded(
        page, recent.get_by_role("row").nth(2).get_by_role("button", name=re.compile(r"^Download the CSV export"))
    )
    assert csv_rows(again) == csv_files
    shot(page, "exports")

    # "Export selected" on the Invoices screen: exactly the chosen invoices, whatever their status
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Invoices").click()
    page.get_by_role("checkbox", name="Select E-3").check()
    page.get_by_role("button", name="Export selected (1)").click()
    expect(page.get_by_role("heading", name="Exports", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^1 selected invoices"))).to_be_visible()
    expect(preview).to_have_text("1 invoices, total 10.00 USD")
    page.get_by_role("combobox", name="Template").click()
    page.get_by_role("option", name="Finance").click()
    page.get_by_label("CSV (zip of two files)").check()
    _, data = downloaded(page, page.get_by_role("button", name="Generate and download"))
    assert csv_rows(data)["invoices.csv"] == [
        ["Invoice #", "Vendor Name", "Currency", "Total Amount"],
        ["E-3", "Genesys", "USD", "10.00"],
    ]
    expect(recent.get_by_role("row")).to_have_count(4)

    # edit (rename) and delete the template; the exports stay listed
    page.get_by_role("button", name="Edit Finance").click()
    dialog = page.get_by_role("dialog", name="Edit template Finance")
    expect(
        dialog.get_by_role("group", name="Invoice sheet columns")
        .get_by_role("list", name=re.compile(r"^Chosen"))
        .get_by_role("listitem")
    ).to_have_count(4)
    dialog.get_by_label("Template name").fill("Finance monthly")
    dialog.get_by_role("button", name="Save template").click()
    expect(templates.get_by_role("row", name=re.compile(r"^Finance monthly"))).to_be_visible()
    page.get_by_role("button", name="Delete Finance monthly").click()
    page.get_by_role("dialog", name="Delete template Finance monthly?").get_by_role("button", name="Delete").click()
    expect(templates.get_by_role("row", name=re.compile(r"^Finance"))).to_have_count(0)
    assert sql("SELECT count(*) AS n FROM export_templates WHERE name LIKE 'Finance%'")[0]["n"] == 0
    expect(recent.get_by_role("row")).to_have_count(4)
