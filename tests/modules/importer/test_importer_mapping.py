"""The import's mapping (plugins/module_utils/importer.py), tested directly: file paths, the API's
value checks, and the plan for small hand-made sources."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.invoice.platform.plugins.module_utils import importer
from ansible_collections.invoice.platform.plugins.module_utils.importer import Refused, TargetState, plan_import

from app import tables, validation
from app.ingest import normalise_name
from app.responses import ApiError

PDF = b"%PDF-1.4\nhello\n%%EOF\n"
V1 = "00000000-0000-4000-8000-000000000001"
V2 = "00000000-0000-4000-8000-000000000002"


def test_field_kinds_are_the_apis() -> None:
    assert importer.INVOICE_HEADER_FIELDS == tables.INVOICE_HEADER_FIELDS
    assert importer.LINE_ITEM_FIELDS == tables.LINE_ITEM_FIELDS
    assert importer.STRING_LIMITS == tables.STRING_LIMITS


@pytest.mark.parametrize(
    ("kind", "value", "column"),
    [
        ("currency", "USD", "currency"),
        ("currency", "Dollars", "currency"),
        ("currency", "$", "currency"),
        ("money", Decimal("9999999999.99"), "total_amount"),
        ("money", "10000000000", "total_amount"),
        ("money", "abc", "total_amount"),
        ("qty", Decimal("99999999.99995"), "quantity"),
        ("int", 7, "line_number"),
        ("int", -1, "line_number"),
        ("int", 1_000_001, "line_number"),
        ("str", "x" * 255, "invoice_number"),
        ("str", "x" * 256, "invoice_number"),
        ("str", "x" * 51, "contact_phone"),
        ("text", "x" * 10_001, "description"),
        ("date", "2025-02-30", "due_date"),
        ("date", dt.date(2025, 1, 2), "due_date"),
    ],
)
def test_refuses_what_the_api_refuses(kind: str, value: Any, column: str) -> None:
    """Same verdict as app/validation.py field_value (the PUT /api/invoices/{id}/update checks)."""
    # The API reads JSON: dates and decimals arrive as strings.
    api_value = value.isoformat() if isinstance(value, dt.date) else str(value) if isinstance(value, Decimal) else value
    try:
        validation.field_value(kind, api_value, column)
        api_ok = True
    except ApiError:
        api_ok = False
    try:
        importer.check_value(kind, value, column)
        ours_ok = True
    except Refused as e:
        assert column in str(e)
        ours_ok = False
    assert ours_ok == api_ok


@pytest.mark.parametrize("name", ["Acme, Inc.", "  ACME   inc ", "Caf\u00e9 & Co", "\uff21\uff22"])
def test_customer_names_normalise_as_the_api_matches_them(name: str) -> None:
    assert importer.normalise_name(name) == normalise_name(name)


@pytest.mark.parametrize(
    ("stored", "relative"),
    [
        ("/home/node/app/backend/uploads/a_1-2.pdf", "a_1-2.pdf"),
        ("C:\\Users\\admin\\app\\backend\\uploads\\batches\\genesys\\b.pdf", "batches/genesys/b.pdf"),
        ("uploads/c.pdf", "c.pdf"),
        ("./uploads/batches/five9/d.pdf", "batches/five9/d.pdf"),
        ("/srv/elsewhere/e.pdf", "e.pdf"),  # no uploads component: by its file name
    ],
)
def test_resolves_multer_paths_under_the_uploads_copy(tmp_path: Path, stored: str, relative: str) -> None:
    target = tmp_path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(PDF)
    found, _ = importer.resolve_upload(stored, str(tmp_path))
    assert found == target.resolve()


def test_never_leaves_the_uploads_copy(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (tmp_path / "secret.pdf").write_bytes(PDF)
    (uploads / "link.pdf").symlink_to(tmp_path / "secret.pdf")
    for stored in ("uploads/../secret.pdf", "/x/uploads/../../secret.pdf", "uploads/link.pdf", ""):
        assert importer.resolve_upload(stored, str(uploads))[0] is None, stored


def test_check_file_says_why(tmp_path: Path) -> None:
    (tmp_path / "fake.pdf").write_bytes(b"MZ not a pdf")
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "page.html").write_bytes(b"<!DOCTYPE html><html></html>")
    cache: dict[str, importer.FileInfo] = {}
    for path, kind, reason in [
        ("uploads/gone.pdf", "PDF", "file missing"),
        ("uploads/fake.pdf", "PDF", "not a PDF"),
        ("uploads/empty.pdf", "PDF", "empty"),
        ("uploads/fake.pdf", "UNKNOWN", "file_type must be PDF or HTML"),
    ]:
        with pytest.raises(Refused, match=reason):
            importer.check_file(path, kind, str(tmp_path), cache)
    info, kind = importer.check_file("uploads/page.html", "HTML", str(tmp_path), cache)
    assert kind == "HTML" and info.size == 28


def _source(tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    (tmp_path / "one.pdf").write_bytes(PDF + b"1")
    (tmp_path / "two.pdf").write_bytes(PDF + b"2")
    inv = "00000000-0000-4000-8000-0000000000a1"
    return {
        "vendors": [
            {"id": V1, "name": "Genesys", "display_name": "Genesys", "extraction_prompt_id": "p2"},
            {"id": V2, "name": "GENESYS", "display_name": None},
        ],
        "extraction_prompts": [
            {"id": "p1", "vendor_id": V1, "prompt_name": "g", "prompt_text": "v1", "version": 1, "is_active": True},
            {
                "id": "p2",
                "vendor_id": V1,
                "prompt_name": "g",
                "prompt_text": "v2",
                "version": 2,
                "is_active": True,
                "parent_prompt_id": "p1",
            },
            {"id": "t1", "vendor_id": None, "prompt_name": "Base Template", "prompt_text": "old", "version": 1},
        ],
        "customers": [{"id": "c1", "name": "Acme, Inc.", "aliases": ["ACME"], "account_numbers": None}],
        "invoices": [
            {"id": inv, "vendor_id": V1, "invoice_number": "1", "file_path": "uploads/one.pdf", "file_type": "PDF"},
            {"id": "i2", "vendor_id": V2, "invoice_number": "2", "file_path": "uploads/two.pdf", "file_type": "PDF"},
            {"id": "i3", "vendor_id": V1, "invoice_number": "3", "file_path": "uploads/one.pdf", "file_type": "PDF"},
        ],
        "line_items": [
            {"id": "l1", "invoice_id": inv, "line_number": 1, "total_amount": Decimal("5")},
            {"id": "l2", "invoice_id": "i2", "line_number": 1},
            {"id": "l9", "invoice_id": "gone", "line_number": 1},
        ],
        "users": [{"id": "u1", "email": "Ann@Example.com", "name": "Ann"}],
    }


def test_plan_maps_skips_and_keeps_ids(tmp_path: Path) -> None:
    target = TargetState(
        vendors_by_name={"genesys": "tv-genesys"},
        prompts={(None, "Base Template", 1): ("tp-base", "ours")},
        users_by_email={},
    )
    plan = plan_import(_source(tmp_path), target, str(tmp_path))
    reports = {t: r.as_dict() for t, r in plan.reports.items()}
    # The seeded vendor is mapped; the second spelling of its name is refused, with its invoice.
    assert reports["vendors"]["mapped_to_existing"][0]["target_id"] == "tv-genesys"
    assert "ignore case" in reports["vendors"]["skipped"][0]["reason"]
    assert {s["id"] for s in reports["invoices"]["skipped"]} == {"i2", "i3"}
    assert "same file as invoice" in {s["id"]: s["reason"] for s in reports["invoices"]["skipped"]}["i3"]
    assert {s["id"] for s in reports["line_items"]["skipped"]} == {"l2", "l9"}
    (invoice,) = plan.actions["invoices"]
    assert invoice.target_id == invoice.source_id  # the original id is kept
    assert invoice.values["vendor_id"] == "tv-genesys" and invoice.values["line_item_count"] == 1
    assert invoice.upload is not None and invoice.upload.key == f"invoices/tv-genesys/{invoice.target_id}.pdf"
    # One active prompt per vendor (the vendor's choice), the template's other text as v2.
    prompts = {a.source_id: a.values for a in plan.actions["extraction_prompts"]}
    assert (prompts["p1"]["is_active"], prompts["p2"]["is_active"]) == (False, True)
    assert prompts["p2"]["parent_prompt_id"] == "p1"
    assert (prompts["t1"]["version"], prompts["t1"]["parent_prompt_id"], prompts["t1"]["is_active"]) == (
        2,
        "tp-base",
        False,
    )
    assert plan.vendor_prompts == [("tv-genesys", "p2")]
    (customer,) = plan.actions["customers"]
    assert customer.values["normalized_name"] == "acme inc" and customer.values["aliases"] == ["acme"]
    assert plan.users_to_invite == [{"id": "u1", "email": "Ann@Example.com", "name": "Ann"}]


def test_plan_of_a_finished_import_is_empty(tmp_path: Path) -> None:
    source = _source(tmp_path)
    first = plan_import(source, TargetState(), str(tmp_path))
    done = {(t, a.source_id): a.target_id for t, acts in first.actions.items() for a in acts}
    done.update({("line_items", c.source_id): c.target_id for a in first.actions["invoices"] for c in a.children})
    # The target has what the first run wrote (read_target loads every invoice's hash).
    hashes = {a.values["file_hash"]: a.target_id for a in first.actions["invoices"]}
    again = plan_import(source, TargetState(id_map=done, invoice_hashes=hashes), str(tmp_path))
    assert again.actions == {} and again.uploads == []
    assert again.reports["invoices"].imported_before == len(first.actions["invoices"])


def test_taken_id_gets_the_same_new_id_every_run(tmp_path: Path) -> None:
    source = _source(tmp_path)
    inv = source["invoices"][0]["id"]
    target = TargetState(taken_ids={"invoices": {inv}})
    ids = {plan_import(source, target, str(tmp_path)).actions["invoices"][0].target_id for _ in range(2)}
    assert len(ids) == 1 and inv not in ids
