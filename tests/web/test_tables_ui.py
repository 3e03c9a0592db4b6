"""The shared table (frontend/src/components/DataTable.tsx): Up and Down move between rows'
links and buttons, keeping the place in the row; in Chromium, against the real API."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.test_invoices_ui import sign_in


def test_arrow_keys_move_between_the_rows_controls(page: Page, users: dict[str, str]) -> None:
    page.goto("/vendors")
    sign_in(page, users["admin"])
    table = page.get_by_role("table", name="Vendors")
    # the seeded vendors, in the table's order
    expect(table.get_by_role("button", name="Edit five9")).to_be_visible()
    rows = table.get_by_role("row")
    names = [rows.nth(i).get_by_role("cell").first.inner_text() for i in range(1, rows.count())]
    assert set(names) >= {"five9", "genesys"}, names
    first, second = names[0], names[1]

    table.get_by_role("button", name=f"Edit {first}").focus()
    page.keyboard.press("ArrowDown")
    expect(table.get_by_role("button", name=f"Edit {second}")).to_be_focused()
    # the second control of a row goes to the second control of the row above
    table.get_by_role("button", name=f"Delete {second}").focus()
    page.keyboard.press("ArrowUp")
    expect(table.get_by_role("button", name=f"Delete {first}")).to_be_focused()
    # the first row has nothing above it: the focus stays
    page.keyboard.press("ArrowUp")
    expect(table.get_by_role("button", name=f"Delete {first}")).to_be_focused()
