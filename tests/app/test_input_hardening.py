"""Issue 14 (API): valid JSON that is out of range, paging beyond the database's integers and
bodies that are not sent as JSON are each a clear 4xx naming the input, never a 500."""

from __future__ import annotations

import pytest

from app.ingest import _clean
from tests.app.conftest import html_invoice


@pytest.fixture
def invoice_id(client, auth, vendor_id) -> str:
    response = client.post(
        "/api/invoices/upload",
        headers=auth["reviewer"],
        data={"vendor_id": vendor_id},
        files={"invoice": ("invoice.html", html_invoice("HARD-1"), "text/html")},
    )
    assert response.status_code == 201, response.text
    return response.json()["invoice"]["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"invoice_header": {"total_amount": 1e308}}, "invoice_header.total_amount"),
        ({"invoice_header": {"amount_due": "1e400"}}, "invoice_header.amount_due"),
        ({"invoice_header": {"subtotal": "-1e30"}}, "invoice_header.subtotal"),
        ({"invoice_header": {"total_taxes": 9999999999.996}}, "invoice_header.total_taxes"),
        ({"line_items": [{"description": "x", "quantity": 1e30}]}, "line_items[0].quantity"),
        ({"line_items": [{"description": "x", "unit_price": "1E+29"}]}, "line_items[0].unit_price"),
        ({"line_items": [{"description": "x", "line_number": 1e30}]}, "line_items[0].line_number"),
    ],
)
def test_out_of_range_numbers_are_400_naming_the_field(client, auth, invoice_id, sql, body, field):  # noqa: PLR0917 (pytest fixtures and parameters)
    response = client.put(f"/api/invoices/{invoice_id}/update", headers=auth["reviewer"], json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert "between" in response.json()["error"] or "at most" in response.json()["error"]
    # nothing changed
    row = sql("SELECT total_amount, line_item_count FROM invoices WHERE id = $1::uuid", invoice_id)[0]
    assert float(row["total_amount"]) == 544.75 and row["line_item_count"] == 2


def test_largest_storable_amount_is_accepted(client, auth, invoice_id, sql):
    response = client.put(
        f"/api/invoices/{invoice_id}/update",
        headers=auth["reviewer"],
        json={"invoice_header": {"total_amount": "9999999999.99"}, "line_items": [{"quantity": "99999999.9999"}]},
    )
    assert response.status_code == 200, response.text
    assert str(sql("SELECT total_amount FROM invoices WHERE id = $1::uuid", invoice_id)[0]["total_amount"]) == (
        "9999999999.99"
    )


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/invoices?page=215000&limit=10000", "page"),
        ("/api/invoices?page=1000000&limit=10000", "page"),
        ("/api/invoices?offset=2147483648", "offset"),
        ("/api/batches?page=1000000&limit=100", "page"),
        ("/api/customers?offset=99999999999", "offset"),
        ("/api/prompts?offset=2147483648", "offset"),
        ("/api/invoices?limit=0", "limit"),
        ("/api/invoices?page=0", "page"),
        ("/api/invoices?limit=1e3", "limit"),
    ],
)
def test_paging_beyond_the_database_integers_is_400_naming_the_field(client, auth, path, field):
    response = client.get(path, headers=auth["viewer"])
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


def test_the_last_reachable_page_still_answers(client, auth):
    response = client.get("/api/invoices?page=1001&limit=10000", headers=auth["viewer"])
    assert response.status_code == 200, response.text
    assert response.json()["pagination"]["offset"] == 10_000_000 and response.json()["invoices"] == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_json_bodies_must_be_sent_as_application_json(client, auth, invoice_id, sql, content_type):
    headers = {**auth["reviewer"], **({"Content-Type": content_type} if content_type else {})}
    response = client.put(f"/api/invoices/{invoice_id}/reject", headers=headers, content=b'{"reason": "sent as text"}')
    assert response.status_code == 415, response.text
    assert response.json()["field"] == "Content-Type"
    assert sql("SELECT processing_status FROM invoices WHERE id = $1::uuid", invoice_id)[0][0] == "processed"
    login = client.post("/api/auth/login", content=b'{"email": "a@b.cd", "password": "x"}', headers=headers)
    assert login.status_code == 415


def test_json_with_charset_and_empty_bodies_are_accepted(client, auth, invoice_id):
    headers = {**auth["reviewer"], "Content-Type": "application/json; charset=utf-8"}
    response = client.put(f"/api/invoices/{invoice_id}/reject", headers=headers, content=b'{"reason": "ok"}')
    assert response.status_code == 200, response.text
    # an empty body needs no content type (approve takes none)
    assert client.put(f"/api/invoices/{invoice_id}/approve", headers=auth["reviewer"]).status_code == 200


@pytest.mark.parametrize(
    ("kind", "value"),
    [("money", "1e308"), ("money", 1e308), ("qty", "1e30"), ("money", "NaN"), ("int", float("inf")), ("int", "1e3")],
)
def test_extracted_values_out_of_range_are_left_empty(kind, value):
    assert _clean(kind, value, "total_amount") is None
