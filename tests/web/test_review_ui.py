"""The review screens in Chromium against the real API: status counts, the document beside
the extracted fields, editing header and line items with live totals, save, approve (on to
the next), reject with a reason, previous / next."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.web.conftest import shot
from tests.web.test_invoices_ui import sign_in, upload_in_ui


def test_review_edit_save_approve_reject(page: Page, users: dict[str, str], sql: Callable[..., Any]) -> None:
    page.goto("/invoices")
    sign_in(page, users["reviewer"])
    for number, customer in (("R-1", "Globex Corporation"), ("R-2", "Vandelay Industries"), ("R-3", "Acme")):
        upload_in_ui(page, number, customer)
    ids = {r["invoice_number"]: str(r["id"]) for r in sql("SELECT id, invoice_number FROM invoices")}

    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Review").click()
    counts = page.get_by_role("list", name="Invoices by status")
    expect(counts.get_by_role("link", name="processed 3")).to_be_visible()
    expect(counts.get_by_role("link", name="approved 0")).to_be_visible()
    shot(page, "review")
    page.get_by_role("button", name="Review the next invoice").click()
    # the oldest waiting one
    expect(page).to_have_url(re.compile(f"/invoices/{ids['R-1']}$"))
    expect(page.get_by_role("heading", name="Invoice R-1")).to_be_visible()

    # the document, fetched with the header into a blob URL (no token in any URL: the page fixture)
    document = page.get_by_title("Document R-1.html")
    expect(document).to_have_attribute("src", re.compile(r"^blob:"))
    expect(page.frame_locator('iframe[title="Document R-1.html"]').get_by_text("Globex Corporation")).to_be_visible()

    # the extracted fields, editable
    expect(page.get_by_label("Invoice number")).to_have_value("R-1")
    expect(page.get_by_label("Customer name")).to_have_value("Globex Corporation")
    expect(page.get_by_label("Line 1 Description")).to_have_value("Business fiber 1 Gbps")
    expect(page.get_by_label("Line items sum")).to_have_text("Lines: 500.00")
    shot(page, "review-invoice")

    # totals are checked as one types: a quantity that no longer matches its line total
    page.get_by_label("Line 1 Quantity").fill("2")
    expect(page.get_by_text("2 x 450 is 900.00, not 450.00")).to_be_visible()
    page.get_by_label("Line 1 Line total").fill("900")
    # the line has a subtotal: that is what quantity x unit price must match (as the API checks)
    expect(page.get_by_text("2 x 450 is 900.00, not 450.00")).to_be_visible()
    page.get_by_label("Line 1 Subtotal").fill("900")
    expect(page.get_by_text("2 x 450 is 900.00")).to_have_count(0)
    expect(page.get_by_text("The line items add up to 950.00; the subtotal is 500.00.")).to_be_visible()
    page.get_by_label("Subtotal", exact=True).fill("950")
    page.get_by_label("Total amount").fill("994.75")
    expect(page.get_by_text(re.compile("add up to|plus taxes"))).to_have_count(0)
    # a line added, then removed; another added and kept
    page.get_by_role("button", name="Add line").click()
    page.get_by_label("Line 3 Description").fill("Setup fee")
    page.get_by_role("button", name="Remove line 3").click()
    expect(page.get_by_label("Line 3 Description")).to_have_count(0)
    page.get_by_label("Customer name").fill("Globex Corp.")

    # an invalid value: the API's message next to its field, nothing saved
    page.get_by_label("Due date").fill("")
    page.get_by_label("Contact email").fill("x" * 300)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Contact email")).to_have_accessible_description(re.compile("contact_email"))
    assert sql("SELECT customer_name FROM invoices WHERE invoice_number = 'R-1'")[0]["customer_name"] == (
        "Globex Corporation"
    )
    page.get_by_label("Contact email").fill("billing@globex.test")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    saved = sql("SELECT customer_name, subtotal, total_amount, due_date FROM invoices WHERE invoice_number = 'R-1'")[0]
    assert saved["customer_name"] == "Globex Corp."
    assert (float(saved["subtotal"]), float(saved["total_amount"])) == (950, 994.75)
    assert saved["due_date"] is None  # cleared
    lines = sql(
        "SELECT line_number, description, quantity, unit_price, total_amount FROM line_items"
        " WHERE invoice_id = $1::uuid ORDER BY line_number",
        ids["R-1"],
    )
    assert [(r["line_number"], r["description"], float(r["quantity"]), float(r["total_amount"])) for r in lines] == [
        (1, "Business fiber 1 Gbps", 2, 900),
        (2, "Static IP block /29", 1, 50),
    ]

    # approve: on to the next invoice waiting for review
    page.get_by_role("button", name="Approve").click()
    expect(page).to_have_url(re.compile(f"/invoices/{ids['R-2']}$"))
    expect(page.get_by_role("heading", name="Invoice R-2")).to_be_visible()
    assert sql("SELECT processing_status FROM invoices WHERE invoice_number = 'R-1'")[0]["processing_status"] == (
        "approved"
    )

    # reject with a reason
    page.get_by_role("button", name="Reject").click()
    dialog = page.get_by_role("dialog", name="Reject this invoice")
    dialog.get_by_label("Reason").fill("Wrong PO number")
    dialog.get_by_role("button", name="Reject invoice").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_text("Rejected: Wrong PO number")).to_be_visible()
    expect(page.get_by_label("Status rejected")).to_be_visible()
    row = sql("SELECT processing_status, rejection_reason FROM invoices WHERE invoice_number = 'R-2'")[0]
    assert (row["processing_status"], row["rejection_reason"]) == ("rejected", "Wrong PO number")

    # back where the review started; then previous / next through the list's page (newest first)
    page.get_by_role("link", name="Back to the list").click()
    expect(page).to_have_url(re.compile("/review$"))
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Invoices").click()
    page.get_by_role("link", name="R-3").click()
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Invoice R-2")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Invoice R-1")).to_be_visible()
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    expect(page.get_by_label("Customer name")).to_have_value("Globex Corp.")
    page.get_by_role("link", name="Back to the list").click()
    expect(page).to_have_url(re.compile("/invoices$"))
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Review").click()
    expect(counts.get_by_role("link", name="processed 1")).to_be_visible()
    expect(counts.get_by_role("link", name="approved 1")).to_be_visible()
    expect(counts.get_by_role("link", name="rejected 1")).to_be_visible()


HOSTILE_SCRIPT = (
    "<script>parent.document.title = 'pwned';"
    " parent.sessionStorage.setItem('pwned', JSON.stringify(parent.sessionStorage));</script>"
)


def test_a_viewer_sees_the_review_read_only(page: Page, users: dict[str, str], sql: Callable[..., Any]) -> None:
    page.goto("/invoices")
    sign_in(page, users["reviewer"])
    # an uploaded page with a script: shown sandboxed, the script never runs (framed unsandboxed, the
    # blob URL's origin would be the app's, and the script could read the session's token)
    upload_in_ui(page, "V-1", "Globex Corporation", extra=HOSTILE_SCRIPT)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, users["viewer"])
    page.get_by_role("link", name="V-1").click()
    document = page.get_by_title("Document V-1.html")
    expect(page.frame_locator('iframe[title="Document V-1.html"]').get_by_text("Globex Corporation")).to_be_visible()
    expect(document).to_have_attribute("sandbox", "allow-same-origin")
    page.wait_for_timeout(300)  # time for a script that was going to run
    assert page.title() != "pwned"
    assert page.evaluate("() => sessionStorage.getItem('pwned')") is None
    expect(page.get_by_label("Invoice number")).to_be_disabled()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
