"""Import and Batches in Chromium against the real API and its batch worker: vendor, many
files (dropped and chosen), per-file upload progress, the batch's live progress to the end,
links to review; the Batches list, a failed file resumed, a batch deleted."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.app.conftest import html_invoice
from tests.web.conftest import shot
from tests.web.test_invoices_ui import sign_in


def test_import_a_batch_and_watch_it_finish(page: Page, users: dict[str, str], sql: Callable[..., Any]) -> None:
    page.goto("/import")
    sign_in(page, users["reviewer"])
    expect(page.get_by_role("heading", name="Import")).to_be_visible()
    page.get_by_role("combobox", name="Vendor").click()
    page.get_by_role("option", name=re.compile("genesys", re.I)).click()

    # two files dropped on the zone (a real drop event carrying them), two chosen
    drop = page.get_by_role("region", name="Drop invoice files here")
    transfer = page.evaluate_handle(
        """(pages) => {
            const transfer = new DataTransfer();
            for (const [name, text] of pages) transfer.items.add(new File([text], name, { type: "text/html" }));
            return transfer;
        }""",
        [[f"B-{n}.html", html_invoice(f"B-{n}").decode()] for n in (1, 2)],
    )
    drop.dispatch_event("drop", {"dataTransfer": transfer})
    page.get_by_label("Invoice files", exact=True).set_input_files(
        [
            {"name": "B-3.html", "mimeType": "text/html", "buffer": html_invoice("B-3")},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an invoice"},
        ]
    )
    files = page.get_by_role("list", name="Files to import")
    expect(files.get_by_role("listitem")).to_have_count(4)
    shot(page, "import")
    page.get_by_role("button", name="Import 4 files").click()
    # each file's upload progress; the one the API refused shows why, next to it
    for name in ("B-1.html", "B-2.html", "B-3.html"):
        expect(files.get_by_role("progressbar", name=f"{name} upload")).to_have_attribute("aria-valuenow", "100")
    expect(files.get_by_role("listitem").filter(has_text="notes.txt")).to_contain_text("files[0]")
    expect(page.get_by_text("1 file was refused (see above); the batch started with the others.")).to_be_visible()
    page.get_by_role("link", name="Watch the batch").click()

    # the monitor: live progress until the worker is done
    expect(page).to_have_url(re.compile(r"/batches/[0-9a-f-]{36}$"))
    expect(page.get_by_label("Batch status completed")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("status")).to_contain_text("3 of 3 processed, 0 failed, 0 to go (100%)")
    table = page.get_by_role("table", name="Files of the batch")
    expect(table.get_by_role("row")).to_have_count(4)  # the header and 3 files: notes.txt was refused
    shot(page, "batch")
    batch = sql("SELECT id, status FROM processing_batches")
    assert [r["status"] for r in batch] == ["completed"]
    assert sorted(r["invoice_number"] for r in sql("SELECT invoice_number FROM invoices")) == ["B-1", "B-2", "B-3"]

    # a link to review each invoice
    page.get_by_role("link", name="Review B-2").click()
    expect(page.get_by_role("heading", name="Invoice B-2")).to_be_visible()

    # the Batches list: progress, then delete (the invoices stay)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Batches").click()
    batches = page.get_by_role("table", name="Batches")
    expect(batches.get_by_role("row")).to_have_count(2)
    expect(batches).to_contain_text("3 / 3 (0 failed)")
    shot(page, "batches")
    batches.get_by_role("button", name=re.compile("^Delete Batch-")).click()
    expect(page.get_by_text("No batches yet: start an import.")).to_be_visible()
    assert sql("SELECT count(*) AS n FROM processing_batches")[0]["n"] == 0
    assert sql("SELECT count(*) AS n FROM invoices")[0]["n"] == 3


def test_a_chosen_folder_and_dropped_files_skip_what_is_not_an_invoice(
    page: Page, users: dict[str, str], sql: Callable[..., Any], tmp_path: Path
) -> None:
    folder = tmp_path / "march"
    (folder / "site-b").mkdir(parents=True)
    (folder / "F-1.html").write_bytes(html_invoice("F-1"))
    (folder / "site-b" / "F-2.HTML").write_bytes(html_invoice("F-2"))
    (folder / "notes.txt").write_text("not an invoice")
    (folder / ".DS_Store").write_bytes(b"\0\0")
    page.goto("/import")
    sign_in(page, users["reviewer"])
    page.get_by_role("combobox", name="Vendor").click()
    page.get_by_role("option", name=re.compile("genesys", re.I)).click()

    # a folder through "Choose folder" (<input webkitdirectory>): its invoices, at any depth, by path
    page.get_by_label("Invoice folder").set_input_files(folder)
    files = page.get_by_role("list", name="Files to import")
    expect(files.get_by_role("listitem")).to_have_count(2)
    expect(files.get_by_role("listitem").filter(has_text="march/site-b/F-2.HTML")).to_have_count(1)
    note = page.get_by_role("status").filter(has_text="Skipped")
    expect(note).to_contain_text("Skipped 2 files that are not PDF, HTML, PNG or JPEG:")
    expect(note).to_contain_text("march/notes.txt")
    expect(note).to_contain_text("march/.DS_Store")
    # the same folder again adds nothing twice
    page.get_by_label("Invoice folder").set_input_files(folder)
    expect(files.get_by_role("listitem")).to_have_count(2)

    # dropped files: the same rule
    transfer = page.evaluate_handle(
        """(pages) => {
            const transfer = new DataTransfer();
            for (const [name, text] of pages) transfer.items.add(new File([text], name, { type: "text/html" }));
            return transfer;
        }""",
        [["F-3.html", html_invoice("F-3").decode()], ["readme.txt", "hello"]],
    )
    page.get_by_role("region", name="Drop invoice files here").dispatch_event("drop", {"dataTransfer": transfer})
    expect(files.get_by_role("listitem")).to_have_count(3)
    expect(note).to_have_text(re.compile(r"Skipped 1 file that is not PDF, HTML, PNG or JPEG: readme\.txt"))
    page.get_by_role("button", name="Import 3 files").click()
    expect(page).to_have_url(re.compile(r"/batches/[0-9a-f-]{36}$"))
    names = sorted(r["filename"] for r in sql("SELECT filename FROM batch_files"))
    assert names == ["F-1.html", "F-2.HTML", "F-3.html"]
