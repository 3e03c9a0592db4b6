"""Vendors, customers, prompts (versions, activation, sandbox) and exports (templates, generate, log)."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from tests.app.conftest import html_invoice
from tests.extraction.samples import sample_bytes


def test_vendor_crud_and_conflicts(client, auth, vendor_id):
    a, v = auth["admin"], auth["viewer"]
    listed = client.get("/api/vendors", headers=v).json()["vendors"]
    assert {x["name"] for x in listed} >= {"genesys", "five9"} and all(x["invoice_count"] == 0 for x in listed)
    created = client.post("/api/vendors", headers=a, json={"name": "  Zoom  ", "display_name": "Zoom Inc"})
    assert created.status_code == 201 and created.json()["vendor"]["name"] == "zoom"
    new_id = created.json()["vendor"]["id"]
    assert client.post("/api/vendors", headers=a, json={"name": "ZOOM"}).status_code == 409
    assert client.post("/api/vendors", headers=a, json={"name": ""}).json()["field"] == "name"
    assert client.post("/api/vendors", headers=a, json={"name": "x", "active": "maybe"}).json()["field"] == "active"
    updated = client.put(f"/api/vendors/{new_id}", headers=a, json={"display_name": "Zoom Video", "active": False})
    assert updated.json()["vendor"]["display_name"] == "Zoom Video" and updated.json()["vendor"]["active"] is False
    assert client.put(f"/api/vendors/{new_id}", headers=a, json={"name": "Genesys"}).status_code == 409
    assert client.put(f"/api/vendors/{new_id}", headers=a, json={}).json()["field"] == "body"
    got = client.get(f"/api/vendors/{new_id}", headers=v).json()["vendor"]
    assert got["active_prompt_name"] == "No prompt assigned"
    # delete is refused while invoices exist
    client.post(
        "/api/invoices/upload",
        headers=auth["reviewer"],
        data={"vendor_id": vendor_id},
        files={"invoice": ("a.html", html_invoice("V-1"))},
    )
    refused = client.delete(f"/api/vendors/{vendor_id}", headers=a)
    assert refused.status_code == 409 and refused.json()["invoiceCount"] == 1
    counts = {x["name"]: x["invoice_count"] for x in client.get("/api/vendors", headers=v).json()["vendors"]}
    assert counts["genesys"] == 1
    assert client.delete(f"/api/vendors/{new_id}", headers=a).json()["vendor_name"] == "zoom"
    assert client.get(f"/api/vendors/{new_id}", headers=v).status_code == 404


def test_customers_normalise_and_match(client, auth, vendor_id):
    a = auth["admin"]
    created = client.post(
        "/api/customers",
        headers=a,
        json={"name": "Globex  Corporation", "aliases": ["Globex Corp."], "account_numbers": ["GX-1"]},
    )
    assert created.status_code == 201, created.text
    customer = created.json()["customer"]
    assert customer["normalized_name"] == "globex corporation" and customer["aliases"] == ["globex corp"]
    assert client.post("/api/customers", headers=a, json={"name": "GLOBEX corporation"}).status_code == 409
    assert client.post("/api/customers", headers=a, json={"name": "x", "aliases": "y"}).json()["field"] == "aliases"
    up = client.post(
        "/api/invoices/upload",
        headers=auth["reviewer"],
        data={"vendor_id": vendor_id},
        files={"invoice": ("g.html", html_invoice("G-1", customer="Globex Corp."))},
    )
    invoice = client.get(f"/api/invoices/{up.json()['invoice']['id']}", headers=a).json()["invoice"]
    assert invoice["customer_id"] == customer["id"] and invoice["customer_name"] == "Globex  Corporation"
    assert client.get(f"/api/invoices?customer_id={customer['id']}", headers=a).json()["total"] == 1
    listed = client.get("/api/customers?search=globex", headers=a).json()
    assert listed["total"] == 1 and listed["customers"][0]["invoice_count"] == 1
    assert client.put(f"/api/customers/{customer['id']}", headers=a, json={"active": False}).status_code == 200
    assert client.delete(f"/api/customers/{customer['id']}", headers=a).status_code == 200
    assert client.get(f"/api/customers/{customer['id']}", headers=a).status_code == 404


def test_prompt_versions_activation_and_history(client, auth, vendor_id, sql):
    a = auth["admin"]
    first = client.post(
        "/api/prompts",
        headers=a,
        json={"prompt_name": "Genesys", "prompt_text": "v1", "vendor_id": vendor_id, "is_active": True},
    )
    assert first.status_code == 201, first.text
    p1 = first.json()["prompt"]
    assert p1["version"] == 1 and p1["is_active"] is True
    second = client.post(
        "/api/prompts",
        headers=a,
        json={"prompt_name": "Genesys", "prompt_text": "v2", "vendor_id": vendor_id, "parent_prompt_id": p1["id"]},
    ).json()["prompt"]
    assert second["version"] == 2 and second["is_active"] is False
    assert client.post(f"/api/prompts/{second['id']}/activate", headers=a).status_code == 200
    active = sql("SELECT id FROM extraction_prompts WHERE vendor_id = $1::uuid AND is_active", vendor_id)
    assert [str(r["id"]) for r in active] == [second["id"]]
    vendor = client.get(f"/api/vendors/{vendor_id}", headers=a).json()["vendor"]
    assert vendor["active_prompt_id"] == second["id"] and vendor["active_prompt_name"] == "Genesys"
    # the vendor's pointer and the prompt flags move together both ways
    client.put(f"/api/vendors/{vendor_id}", headers=a, json={"extraction_prompt_id": p1["id"]})
    assert client.get(f"/api/prompts/{p1['id']}", headers=a).json()["prompt"]["is_active"] is True
    assert client.get(f"/api/prompts/{second['id']}", headers=a).json()["prompt"]["is_active"] is False
    history = client.get(f"/api/prompts/{second['id']}/history", headers=a).json()["versions"]
    assert [h["version"] for h in history] == [1, 2]
    assert client.delete(f"/api/prompts/{p1['id']}", headers=a).status_code == 400  # active
    assert client.get(f"/api/prompts/vendor/{vendor_id}", headers=a).json()["prompts"][0]["id"] == p1["id"]
    assert client.get(f"/api/prompts?vendor_id={vendor_id}&is_active=true", headers=a).json()["total"] == 1
    assert client.delete(f"/api/prompts/{second['id']}", headers=a).status_code == 200
    assert client.post("/api/prompts", headers=a, json={"prompt_name": "x"}).json()["field"] == "prompt_text"
    assert (
        client.post(
            "/api/prompts", headers=a, json={"prompt_name": "x", "prompt_text": "y", "is_active": True}
        ).status_code
        == 400
    )


def test_active_prompt_reaches_the_extractor(settings, users, vendor_id, sql):
    from starlette.testclient import TestClient

    from app.main import create_app
    from tests.app.test_batches import CountingExtractor

    seen = []

    class Spy(CountingExtractor):
        async def extract(self, content, media_type, *, prompt=None, vendor_name=None):
            seen.append((prompt, vendor_name))
            return await super().extract(content, media_type, prompt=prompt, vendor_name=vendor_name)

    sql(
        "INSERT INTO extraction_prompts (vendor_id, prompt_name, prompt_text, is_active) "
        "VALUES ($1::uuid, 'p', 'VENDOR PROMPT', true)",
        vendor_id,
    )
    with TestClient(create_app(settings, extractor_factory=lambda s: Spy())) as client:
        token = client.post(
            "/api/auth/login", json={"email": users["reviewer"], "password": "correct horse battery staple"}
        )
        h = {"Authorization": f"Bearer {token.json()['token']}"}
        client.post(
            "/api/invoices/upload",
            headers=h,
            data={"vendor_id": vendor_id},
            files={"invoice": ("a.html", html_invoice("P-1"))},
        )
    assert seen == [("VENDOR PROMPT", "Genesys")]


def test_prompt_sandbox_uses_storage_not_memory(client, auth, sql, settings):
    template_id = str(sql("SELECT id FROM extraction_prompts WHERE is_template")[0]["id"])
    r = auth["reviewer"]
    uploaded = client.post(
        f"/api/prompts/{template_id}/test-upload", headers=r, files={"testFile": ("t.html", html_invoice("T-1"))}
    )
    assert uploaded.status_code == 200, uploaded.text
    temp_id = uploaded.json()["tempFileId"]
    assert sql("SELECT count(*) AS n FROM prompt_test_files")[0]["n"] == 1
    token = r["Authorization"].split()[1]
    assert client.get(f"/api/prompts/test-file/{temp_id}?token={token}").status_code == 401  # header only
    served = client.get(f"/api/prompts/test-file/{temp_id}", headers=r)
    assert served.status_code == 200 and served.content == html_invoice("T-1")
    assert (
        client.get(f"/api/prompts/test-file/{temp_id}", headers=auth["viewer"]).status_code == 404
    )  # not the viewer's
    run = client.post(
        f"/api/prompts/{template_id}/test-run", headers=r, json={"tempFileId": temp_id, "promptText": "custom"}
    )
    assert run.status_code == 200, run.text
    assert run.json()["extracted_data"]["invoice_header"]["invoice_number"] == "T-1"
    assert run.json()["test_result"]["custom_prompt_used"] is True
    assert (
        client.post(
            f"/api/prompts/{template_id}/test-run", headers=r, json={"tempFileId": "x", "promptText": "y"}
        ).json()["field"]
        == "tempFileId"
    )
    text = client.post(
        f"/api/prompts/{template_id}/test", headers=r, json={"document_content": "Invoice #: Q-7\nTotal: $10.00"}
    )
    assert text.status_code == 200 and text.json()["test_result"]["success"] is True
    stored = client.get(f"/api/prompts/{template_id}", headers=r).json()["prompt"]["test_results"]
    assert isinstance(stored, list) and stored[-1]["document_type"] == "text"
    assert client.delete(f"/api/prompts/test-cleanup/{temp_id}", headers=r).status_code == 200
    assert client.get(f"/api/prompts/test-file/{temp_id}", headers=r).status_code == 404
    bad = client.post(f"/api/prompts/{template_id}/test-upload", headers=r, files={"testFile": ("t.pdf", b"<html>")})
    assert bad.status_code == 415 and bad.json()["field"] == "testFile"


@pytest.fixture
def some_invoices(client, auth, vendor_id):
    for n in range(3):
        client.post(
            "/api/invoices/upload",
            headers=auth["reviewer"],
            data={"vendor_id": vendor_id},
            files={"invoice": (f"{n}.html", html_invoice(f"X-{n}"))},
        )


def test_export_templates_and_generate_xlsx_and_csv(client, auth, some_invoices, sql):
    r = auth["reviewer"]
    fields = client.get("/api/exports/fields", headers=r).json()["fields"]
    assert any(f["key"] == "vendor.name" for f in fields["invoice"])
    templates = client.get("/api/exports/templates", headers=r).json()["templates"]
    builtin = next(t for t in templates if t["name"] == "Financial Summary Export")
    assert isinstance(builtin["invoice_fields"], list)
    generated = client.post("/api/exports/generate", headers=r, json={"template_id": builtin["id"], "format": "xlsx"})
    assert generated.status_code == 200, generated.text
    book = openpyxl.load_workbook(io.BytesIO(generated.content), read_only=True)
    assert book.sheetnames == ["Invoices", "Line Items"]
    rows = list(book["Invoices"].iter_rows(values_only=True))
    assert len(rows) == 4 and sorted(r_[0] for r_ in rows[1:]) == ["X-0", "X-1", "X-2"]
    assert rows[1][3] == 544.75  # total as a number
    assert len(list(book["Line Items"].iter_rows(values_only=True))) == 7
    csv = client.post(
        "/api/exports/generate",
        headers=r,
        json={
            "fields": ["invoice.invoice_number", "line_item.invoice_number", "line_item.total_amount"],
            "format": "csv",
            "filters": {"search": "X-1"},
        },
    )
    assert csv.status_code == 200 and csv.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(csv.content)) as archive:
        assert sorted(archive.namelist()) == ["invoices.csv", "line_items.csv"]
        assert archive.read("invoices.csv").decode().splitlines()[1:] == ["X-1"]
    recent = client.get("/api/exports/recent", headers=r).json()["exports"]
    assert len(recent) == 2 and recent[0]["invoice_count"] == 1 and recent[1]["line_item_count"] == 6
    again = client.get(recent[1]["download_url"], headers=r)
    assert again.status_code == 200 and again.content == generated.content
    assert client.get(recent[1]["download_url"], headers=auth["viewer"]).status_code == 404
    stats = client.get("/api/exports/stats", headers=r).json()["stats"]
    assert sum(s["total_exports"] for s in stats) == 2
    assert sql("SELECT usage_count FROM export_templates WHERE id = $1::uuid", builtin["id"])[0]["usage_count"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fields": ["invoice.nope"]}, "fields"),
        ({"fields": ["invoice.invoice_number"], "format": "pdf"}, "format"),
        ({}, "template_id"),
        ({"fields": ["invoice.invoice_number"], "filters": {"status": "weird"}}, "status"),
        ({"fields": ["invoice.invoice_number"], "filters": {"colour": "red"}}, "filters.colour"),
        (
            {"template": {"invoice_fields": [{"key": "invoice_number"}], "line_item_fields": [{"key": "bogus"}]}},
            "template.line_item_fields[0].key",
        ),
    ],
)
def test_generate_bad_input_names_the_field(client, auth, body, field):
    response = client.post("/api/exports/generate", headers=auth["viewer"], json=body)
    assert response.status_code == 400 and response.json()["field"] == field


def test_template_ownership(client, auth):
    body = {
        "name": "Mine",
        "invoice_fields": [{"key": "invoice_number"}],
        "line_item_fields": [{"key": "invoice_number"}],
    }
    created = client.post("/api/exports/templates", headers=auth["reviewer"], json=body)
    assert created.status_code == 201, created.text
    template_id = created.json()["template"]["id"]
    assert (
        client.post(
            "/api/exports/templates", headers=auth["reviewer"], json={**body, "invoice_fields": [{"key": "due_date"}]}
        ).status_code
        == 400
    )
    # a private template is invisible to others and only its owner or an admin may change it
    assert all(
        t["id"] != template_id for t in client.get("/api/exports/templates", headers=auth["viewer"]).json()["templates"]
    )
    assert client.get(f"/api/exports/preview/{template_id}", headers=auth["viewer"]).status_code == 404
    assert (
        client.get(f"/api/exports/preview/{template_id}", headers=auth["reviewer"]).json()["template"]["preview"][
            "invoice_field_count"
        ]
        == 1
    )
    builtin = client.get("/api/exports/templates", headers=auth["reviewer"]).json()["templates"][0]
    assert (
        client.put(
            f"/api/exports/templates/{builtin['id']}", headers=auth["reviewer"], json={"name": "hijack"}
        ).status_code
        == 404
    )
    assert (
        client.put(f"/api/exports/templates/{template_id}", headers=auth["reviewer"], json={"name": "Renamed"}).json()[
            "template"
        ]["name"]
        == "Renamed"
    )
    validation = client.post(
        "/api/exports/validate",
        headers=auth["viewer"],
        json={"invoice_fields": [], "line_item_fields": body["line_item_fields"]},
    )
    assert validation.json()["validation"]["success"] is False
    assert client.delete(f"/api/exports/templates/{template_id}", headers=auth["admin"]).status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "expected", "note"),
    [
        ("t.html", html_invoice("T-9"), ["Invoice #\tT-9", "Business fiber 1 Gbps\t1\t$450.00\t$450.00"], None),
        ("acme.pdf", sample_bytes("acme_us.pdf"), ["ACME Cloud Services Inc.", "INV-2024-0042"], None),
        ("scan.png", sample_bytes("scan.png"), None, "An image has no text layer"),
        ("broken.pdf", b"%PDF-1.4\nnot really a pdf", None, "No text could be read: the PDF could not be read"),
    ],
)
def test_prompt_sandbox_upload_returns_the_extracted_text(client, auth, sql, name, content, expected, note):  # noqa: PLR0917 (fixtures and parameters)
    template_id = str(sql("SELECT id FROM extraction_prompts WHERE is_template")[0]["id"])
    uploaded = client.post(
        f"/api/prompts/{template_id}/test-upload", headers=auth["reviewer"], files={"testFile": (name, content)}
    )
    assert uploaded.status_code == 200, uploaded.text
    body = uploaded.json()
    if expected is None:
        assert body["extractedText"] is None
    else:
        assert all(part in body["extractedText"] for part in expected), body["extractedText"]
    if note is None:
        assert body["extractedTextNote"] is None
    else:
        assert body["extractedTextNote"].startswith(note)
