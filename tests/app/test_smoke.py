from __future__ import annotations

from tests.app.conftest import html_invoice


def test_upload_and_list(client, auth, vendor_id):
    r = client.post(
        "/api/invoices/upload",
        headers=auth["reviewer"],
        data={"vendor_id": vendor_id},
        files={"invoice": ("inv.html", html_invoice("TEL-1"), "text/html")},
    )
    assert r.status_code == 201, r.text
    print(r.json())
    r = client.get("/api/invoices?limit=5", headers=auth["viewer"])
    assert r.status_code == 200, r.text
    print(r.json())
