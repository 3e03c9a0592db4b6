"""The Users screen (admin only): list, create with a role (an API error next to its field),
change a role, deactivate and reactivate; in Chromium, against the real API."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.app.conftest import PASSWORD
from tests.web.conftest import shot
from tests.web.test_invoices_ui import sign_in


def api_get(page: Page, path: str) -> Any:
    """GET an API route with the token the page holds (what the API itself says)."""
    token = page.evaluate("sessionStorage.getItem('invoice.token')")
    response = page.request.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.ok, response.text()
    return response.json()


def test_an_admin_creates_a_user_changes_a_role_and_deactivates(page: Page, users: dict[str, str]) -> None:
    page.goto("/users")
    sign_in(page, users["admin"])
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    expect(page.get_by_role("navigation", name="Screens").get_by_role("link", name="Users")).to_be_visible()
    table = page.get_by_role("table", name="Users")
    expect(table.locator("tbody tr")).to_have_count(3)
    # an admin cannot demote or deactivate themselves: the controls say so
    expect(page.get_by_role("combobox", name=f"Role of {users['admin']}")).to_have_attribute("aria-disabled", "true")
    expect(page.get_by_role("button", name=f"Deactivate {users['admin']}")).to_be_disabled()

    # create: a duplicate email is refused next to the email field; then a new one
    page.get_by_role("button", name="Add user").click()
    dialog = page.get_by_role("dialog", name="Add a user")
    dialog.get_by_label("Email").fill(users["viewer"].upper())
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("combobox", name="Role").click()
    page.get_by_role("option", name="admin").click()
    dialog.get_by_role("button", name="Create user").click()
    expect(dialog.get_by_text("A user with this email already exists")).to_be_visible()
    expect(dialog.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    dialog.get_by_label("Email").fill("New.Person@example.test")
    dialog.get_by_label("Name").fill("New Person")
    dialog.get_by_role("button", name="Create user").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text("new.person@example.test was created.")
    expect(table.locator("tbody tr")).to_have_count(4)
    shot(page, "users")

    # change a role
    page.get_by_role("combobox", name=f"Role of {users['viewer']}").click()
    page.get_by_role("option", name="reviewer").click()
    expect(page.get_by_role("status")).to_have_text(f"{users['viewer']} is now reviewer.")

    # deactivate, through a dialog the keyboard can leave (Escape) and confirm
    page.get_by_role("button", name="Deactivate new.person@example.test").click()
    confirm = page.get_by_role("dialog", name="Deactivate new.person@example.test?")
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    page.get_by_role("button", name="Deactivate new.person@example.test").click()
    confirm.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_have_text("new.person@example.test was deactivated.")
    row = table.get_by_role("row", name=re.compile("new.person@example.test"))
    expect(row.get_by_text("deactivated")).to_be_visible()

    by_email = {u["email"]: u for u in api_get(page, "/api/users")["users"]}
    assert by_email["new.person@example.test"]["role"] == "admin"
    assert by_email["new.person@example.test"]["name"] == "New Person"
    assert by_email["new.person@example.test"]["active"] is False
    assert by_email[users["viewer"]]["role"] == "reviewer"

    page.get_by_role("button", name="Reactivate new.person@example.test").click()
    expect(page.get_by_role("status")).to_have_text("new.person@example.test is active again.")
    expect(row.get_by_text("active", exact=True)).to_be_visible()
    assert {u["email"]: u for u in api_get(page, "/api/users")["users"]}["new.person@example.test"]["active"] is True
