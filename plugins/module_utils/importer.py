# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The import of the original Express application's data (module invoice.platform.import_data).

Pure parts, tested directly (tests/modules/importer):

- where a ``file_path`` the original stored (multer's path: absolute on the old machine, or
  relative to ``backend/``) is under the copy of its uploads directory;
- the checks our API applies to the same values (a row the API would refuse is skipped, with
  its id and the reason);
- the plan: which source rows become which rows of our schema, which map to rows that exist
  already (the seeded vendors, templates, customer), which are skipped and why.

The original ids are kept as our ids (both schemas use UUIDs) unless the id is taken in the
target; every imported row is recorded in ``import_id_map`` (source table, source id, target
id) in the same transaction as the row itself, so a run that stops half-way resumes where it
stopped and a second run imports nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

# The kinds of our invoice and line item columns (app/tables.py; a unit test keeps them equal).
INVOICE_HEADER_FIELDS: dict[str, str] = {
    "invoice_number": "str",
    "invoice_date": "date",
    "due_date": "date",
    "issue_date": "date",
    "service_period_start": "date",
    "service_period_end": "date",
    "currency": "currency",
    "amount_due": "money",
    "total_amount": "money",
    "subtotal": "money",
    "total_taxes": "money",
    "total_fees": "money",
    "total_recurring": "money",
    "total_one_time": "money",
    "total_usage": "money",
    "purchase_order_number": "str",
    "payment_terms": "str",
    "customer_name": "str",
    "customer_account_number": "str",
    "contact_email": "str",
    "contact_phone": "str",
}
LINE_ITEM_FIELDS: dict[str, str] = {
    "line_number": "int",
    "description": "text",
    "category": "str",
    "charge_type": "str",
    "service_period_start": "date",
    "service_period_end": "date",
    "quantity": "qty",
    "unit_of_measure": "str",
    "unit_price": "qty",
    "subtotal": "money",
    "tax_amount": "money",
    "fee_amount": "money",
    "total_amount": "money",
    "sku": "str",
    "product_code": "str",
}
STRING_LIMITS: dict[str, int] = {
    "invoice_number": 255,
    "currency": 10,
    "purchase_order_number": 255,
    "payment_terms": 255,
    "customer_name": 255,
    "customer_account_number": 255,
    "contact_email": 255,
    "contact_phone": 50,
    "category": 255,
    "charge_type": 100,
    "unit_of_measure": 50,
    "sku": 255,
    "product_code": 255,
}
INVOICE_STATUSES = ("pending", "processed", "approved", "rejected", "failed")
BATCH_STATUSES = ("pending", "processing", "completed", "failed", "partial")
MONEY_MAX = Decimal("9999999999.99")
QTY_MAX = Decimal("99999999.9999")
MAX_PROMPT = 100_000
CURRENCY = re.compile(r"^[A-Za-z]{3}$")
FILE_TYPES = {"PDF": ("application/pdf", "pdf"), "HTML": ("text/html", "html")}
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<!--|<meta|<title|<table|<div|<p\b)", re.IGNORECASE)
_KEY_PART = re.compile(r"[^A-Za-z0-9._-]")

# Tables of our schema the import writes, in the order it writes them.
TARGET_TABLES = (
    "vendors",
    "extraction_prompts",
    "customers",
    "processing_batches",
    "invoices",
    "line_items",
    "batch_files",
    "export_templates",
)
# Namespace of the ids the import makes when an original id is taken in the target: the same
# source row gets the same new id on every run (so a resumed run reuses its storage key).
ID_NAMESPACE = uuid.UUID("6f1c1f0e-4a7e-4d53-9a55-0b3f6a8e2d17")

MAP_TABLE_SQL = """CREATE TABLE IF NOT EXISTS import_id_map (
    source_table TEXT NOT NULL,
    source_id UUID NOT NULL,
    target_id UUID NOT NULL,
    file_key VARCHAR(1024),
    file_size BIGINT,
    file_sha256 CHAR(64),
    imported_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source_table, source_id)
)"""


class Refused(ValueError):
    """A value our API would refuse; the message names the column."""


# --- values ---------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """The customer name as our API matches it (app/ingest.py normalise_name)."""
    text = unicodedata.normalize("NFKC", name).lower()
    text = re.sub(r"[^\w\s&]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def check_value(kind: str, value: Any, column: str) -> Any:  # noqa: PLR0911, PLR0912 (one branch per kind)
    """``value`` as our column holds it, or Refused naming ``column`` (app/validation.py field_value)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            raise Refused(f"{column} must be a date (YYYY-MM-DD), got {value!r}") from None
    if kind in ("money", "qty"):
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise Refused(f"{column} must be a number, got {value!r}") from None
        limit = MONEY_MAX if kind == "money" else QTY_MAX
        if not number.is_finite() or abs(number) > limit:
            raise Refused(f"{column} must be between -{limit} and {limit}, got {value}")
        number = number.quantize(Decimal("0.01") if kind == "money" else Decimal("0.0001"))
        if abs(number) > limit:
            raise Refused(f"{column} must be between -{limit} and {limit}, got {value}")
        return number
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise Refused(f"{column} must be an integer, got {value!r}")
        if not 0 <= value <= 1_000_000:
            raise Refused(f"{column} must be between 0 and 1000000, got {value}")
        return value
    text = str(value).strip()
    if "\x00" in text:
        raise Refused(f"{column} must not contain NUL characters")
    if kind == "currency":
        if not CURRENCY.match(text):
            raise Refused(f"{column} must be a three-letter currency code, got {text!r}")
        return text.upper()
    max_chars = 10_000 if kind == "text" else STRING_LIMITS.get(column, 255)
    if len(text) > max_chars:
        raise Refused(f"{column} must be at most {max_chars} characters, got {len(text)}")
    return text


def check_fields(row: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    return {column: check_value(kind, row.get(column), column) for column, kind in kinds.items()}


def sniff(head: bytes) -> str | None:
    """The file type (PDF, HTML) the first bytes show, as our API sniffs them, or None."""
    if head.startswith(b"%PDF-"):
        return "PDF"
    if _HTML_START.match(head.removeprefix(b"\xef\xbb\xbf")):
        return "HTML"
    return None


# --- files ----------------------------------------------------------------------------


def resolve_upload(file_path: str | None, uploads_dir: str) -> tuple[Path | None, list[str]]:
    """The file of a ``file_path`` the original stored, inside ``uploads_dir``, and the paths tried.

    multer gave the original ``<backend>/uploads/<name>`` (``uploads/batches/<vendor>/<name>``
    for batches), absolute on the old machine (POSIX or Windows) or relative to ``backend/``.
    ``uploads_dir`` is a copy of that ``uploads`` directory: the part after the last
    ``uploads`` component is looked up under it; a path without one is tried as relative to
    ``uploads_dir``, then by its file name. Nothing outside ``uploads_dir`` is ever returned.
    """
    if not file_path or not file_path.strip():
        return None, []
    root = Path(uploads_dir).resolve()
    parts = [p for p in re.split(r"[\\/]+", file_path.strip()) if p not in ("", ".")]
    if parts and re.fullmatch(r"[A-Za-z]:", parts[0]):
        parts = parts[1:]
    candidates: list[list[str]] = []
    lowered = [p.lower() for p in parts]
    if "uploads" in lowered:
        last = len(lowered) - 1 - lowered[::-1].index("uploads")
        candidates.append(parts[last + 1 :])
    candidates.append(parts)
    if parts:
        candidates.append(parts[-1:])
    tried: list[str] = []
    for rel in candidates:
        if not rel or ".." in rel:
            continue
        path = root.joinpath(*rel)
        if str(path) in tried:
            continue
        tried.append(str(path))
        resolved = path.resolve()
        if root in resolved.parents and resolved.is_file():
            return resolved, tried
    return None, tried


@dataclass
class FileInfo:
    path: str
    size: int
    sha256: str
    file_type: str | None  # what the content is (PDF, HTML) or None


def inspect_file(path: Path) -> FileInfo:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        head = handle.read(1024)
        digest.update(head)
        size += len(head)
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return FileInfo(str(path), size, digest.hexdigest(), sniff(head))


def check_file(
    file_path: str | None, file_type: str | None, uploads_dir: str, cache: dict[str, FileInfo]
) -> tuple[FileInfo, str]:
    """The file of a row and its type, or Refused saying why it cannot be imported."""
    kind = str(file_type or "").upper()
    if kind == "HTM":
        kind = "HTML"
    if kind not in FILE_TYPES:
        raise Refused(f"file_type must be PDF or HTML, got {file_type!r}")
    path, tried = resolve_upload(file_path, uploads_dir)
    if path is None:
        raise Refused(
            f"file missing: {file_path!r} is not under import_uploads_dir (tried {', '.join(tried) or 'nothing'})"
        )
    info = cache.get(str(path))
    if info is None:
        info = cache[str(path)] = inspect_file(path)
    if info.size == 0:
        raise Refused(f"file {file_path!r} is empty")
    if info.file_type != kind:
        raise Refused(f"file {file_path!r}: the content is not a {kind} file")
    return info, kind


def storage_key(prefix: str, owner: str, item: str, file_type: str) -> str:
    """Our key layout (app/ingest.py storage_key): ``<prefix>/<owner id>/<item id>.<ext>``."""
    return f"{prefix}/{_KEY_PART.sub('_', owner)}/{_KEY_PART.sub('_', item)}.{FILE_TYPES[file_type][1]}"


# --- the plan -------------------------------------------------------------------------


@dataclass
class TableReport:
    source: int = 0
    imported_before: int = 0  # imported by an earlier run
    imported: int = 0  # by this run (in check mode: would be)
    existing: list[dict[str, str]] = field(default_factory=list)  # mapped to a row the target had
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "imported_before": self.imported_before,
            "imported": self.imported,
            "mapped_to_existing": self.existing,
            "skipped": self.skipped,
            "skipped_count": len(self.skipped),
            "warnings": self.warnings,
        }


@dataclass
class Upload:
    key: str
    path: str
    size: int
    sha256: str
    content_type: str


@dataclass
class Action:
    table: str
    source_id: str
    target_id: str
    values: dict[str, Any]
    upload: Upload | None = None  # the row's file
    children: list[Action] = field(default_factory=list)  # line items of an invoice
    shared: bool = False  # the file is another row's (a batch file and the invoice made from it): no upload


@dataclass
class TargetState:
    """What the target database holds that the plan depends on."""

    id_map: dict[tuple[str, str], str] = field(default_factory=dict)
    taken_ids: dict[str, set[str]] = field(default_factory=dict)
    vendors_by_name: dict[str, str] = field(default_factory=dict)
    customers_by_name: dict[str, str] = field(default_factory=dict)
    prompts: dict[tuple[str | None, str, int], tuple[str, str]] = field(default_factory=dict)
    public_templates: dict[str, str] = field(default_factory=dict)
    users_by_email: dict[str, str] = field(default_factory=dict)
    invoice_hashes: dict[str, str] = field(default_factory=dict)
    invoice_numbers: dict[tuple[str, str], str] = field(default_factory=dict)
    active_prompt_vendors: set[str] = field(default_factory=set)
    # invoices imported by an earlier run: target id -> (storage key, sha256)
    invoice_files: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Plan:
    actions: dict[str, list[Action]] = field(default_factory=dict)
    reports: dict[str, TableReport] = field(default_factory=dict)
    # (target invoice id, target id of the invoice it duplicates), (target vendor id, target prompt id)
    duplicate_links: list[tuple[str, str]] = field(default_factory=list)
    vendor_prompts: list[tuple[str, str]] = field(default_factory=list)
    users_to_invite: list[dict[str, str]] = field(default_factory=list)
    not_imported: dict[str, Any] = field(default_factory=dict)
    ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, source id) -> target id, after the plan

    @property
    def uploads(self) -> list[Upload]:
        return [a.upload for acts in self.actions.values() for a in acts if a.upload is not None and not a.shared]


def _sid(value: Any) -> str:
    return str(value) if value is not None else ""


def _ts(value: Any) -> Any:
    return value if isinstance(value, dt.datetime) else None


def _active_and_times(row: dict[str, Any]) -> dict[str, Any]:
    """A vendor's or customer's active flag (true when the source has none) and its two timestamps."""
    active = row.get("active")
    return {
        "active": True if active is None else bool(active),
        "created_at": _ts(row.get("created_at")),
        "updated_at": _ts(row.get("updated_at")),
    }


class Planner:
    """Turns the source's rows into the actions that bring them into the target."""

    def __init__(self, source: dict[str, list[dict[str, Any]]], target: TargetState, uploads_dir: str) -> None:
        self.source = source
        self.target = target
        self.uploads_dir = uploads_dir
        self.plan = Plan()
        self.ids: dict[tuple[str, str], str] = dict(target.id_map)  # (table, source id) -> target id, planned too
        self.files: dict[str, FileInfo] = {}
        self.invoice_keys: dict[str, tuple[str, str, str]] = {}  # source file path -> key, sha256, type

    # helpers
    def report(self, table: str) -> TableReport:
        return self.plan.reports.setdefault(table, TableReport())

    def skip(self, table: str, source_id: str, reason: str) -> None:
        self.report(table).skipped.append({"id": source_id, "reason": reason})

    def new_id(self, table: str, source_id: str) -> str:
        if source_id and source_id not in self.target.taken_ids.get(table, set()):
            return source_id
        return str(uuid.uuid5(ID_NAMESPACE, f"{table}:{source_id}"))

    def done(self, table: str, source_id: str) -> bool:
        """Imported by an earlier run (counted, nothing to do)."""
        if (table, source_id) in self.target.id_map:
            self.report(table).imported_before += 1
            return True
        return False

    def add(self, action: Action) -> None:
        self.plan.actions.setdefault(action.table, []).append(action)
        self.ids[(action.table, action.source_id)] = action.target_id
        self.report(action.table).imported += 1

    def existing(self, table: str, source_id: str, target_id: str, why: str) -> None:
        self.plan.actions.setdefault(table, []).append(Action(table, source_id, target_id, {}))
        self.ids[(table, source_id)] = target_id
        self.report(table).existing.append({"id": source_id, "target_id": target_id, "why": why})

    def build(self) -> Plan:
        for table in TARGET_TABLES:
            self.report(table).source = len(self.source.get(table, []))
        self.vendors()
        self.prompts()
        self.customers()
        self.batches()
        self.invoices()
        self.batch_files()
        self.templates()
        self.users()
        self.plan.ids = self.ids
        logs = len(self.source.get("export_logs", []))
        if logs:
            self.plan.not_imported["export_logs"] = {
                "rows": logs,
                "reason": "export history of the original's users (users are not imported)",
            }
        return self.plan

    # tables
    def vendors(self) -> None:
        seen: dict[str, str] = {}
        for row in self.source.get("vendors", []):
            sid = _sid(row["id"])
            if self.done("vendors", sid):
                seen.setdefault(str(row.get("name") or "").strip().lower(), sid)
                continue
            try:
                name = check_value("str", row.get("name"), "name")
                if name is None:
                    raise Refused("name is required")
                display = check_value("str", row.get("display_name"), "display_name") or name
            except Refused as e:
                self.skip("vendors", sid, str(e))
                continue
            lower = name.lower()
            if lower in seen:
                self.skip("vendors", sid, f"name {name!r} is vendor {seen[lower]}'s too (our vendor names ignore case)")
                continue
            seen[lower] = sid
            if lower in self.target.vendors_by_name:
                self.existing("vendors", sid, self.target.vendors_by_name[lower], f"vendor {lower!r} exists")
                continue
            values = {"name": lower, "display_name": display, **_active_and_times(row)}
            self.add(Action("vendors", sid, self.new_id("vendors", sid), values))

    def prompts(self) -> None:  # noqa: PLR0912, PLR0915 (one branch per rule)
        rows = self.source.get("extraction_prompts", [])
        by_id = {_sid(r["id"]): r for r in rows}
        chosen = {_sid(v["id"]): _sid(v.get("extraction_prompt_id")) for v in self.source.get("vendors", [])}
        # Our schema allows one active prompt per vendor: the vendor's chosen prompt if it is
        # active, else its active prompt of the highest version (then the newest).
        active: dict[str, str] = {}
        for row in sorted(rows, key=lambda r: (r.get("version") or 0, str(r.get("created_at") or ""))):
            owner = _sid(row.get("vendor_id"))
            if owner and row.get("is_active"):
                active[owner] = _sid(row["id"])
        for owner, prompt in chosen.items():
            if (
                prompt
                and prompt in by_id
                and by_id[prompt].get("is_active")
                and _sid(by_id[prompt].get("vendor_id")) == owner
            ):
                active[owner] = prompt
        keys = set(self.target.prompts)
        for row in self._parents_first(rows):
            sid = _sid(row["id"])
            if self.done("extraction_prompts", sid):
                continue
            vendor_sid = _sid(row.get("vendor_id"))
            vendor: str | None = None
            if vendor_sid:
                vendor = self.ids.get(("vendors", vendor_sid))
                if vendor is None:
                    self.skip("extraction_prompts", sid, f"vendor {vendor_sid} is not imported (missing or skipped)")
                    continue
            try:
                name = check_value("str", row.get("prompt_name"), "prompt_name")
                text = row.get("prompt_text")
                if not name or not isinstance(text, str) or not text.strip():
                    raise Refused("prompt_name and prompt_text are required")
                if len(text.strip()) > MAX_PROMPT:
                    raise Refused(f"prompt_text must be at most {MAX_PROMPT} characters")
                version = int(row.get("version") or 1)
            except (Refused, ValueError) as e:
                self.skip("extraction_prompts", sid, str(e))
                continue
            text = text.strip()
            found = self.target.prompts.get((vendor, name, version))
            parent_sid = _sid(row.get("parent_prompt_id"))
            parent = self.ids.get(("extraction_prompts", parent_sid)) if parent_sid else None
            if found is not None and found[1] == text:
                self.existing("extraction_prompts", sid, found[0], f"prompt {name!r} v{version} exists")
                continue
            if (vendor, name, version) in keys:
                # Same name and version as a prompt the target has, other text: the next version of it.
                taken = max(v for (k_vendor, k_name, v) in keys if (k_vendor, k_name) == (vendor, name))
                if found is not None:
                    parent = parent or found[0]
                self.report("extraction_prompts").warnings.append(
                    f"prompt {sid} ({name!r} v{version}): the target has that version with another text;"
                    f" imported as v{taken + 1}"
                )
                version = taken + 1
            keys.add((vendor, name, version))
            if parent_sid and parent is None:
                self.report("extraction_prompts").warnings.append(
                    f"prompt {sid}: parent {parent_sid} is not imported; imported without parent"
                )
            is_active = (
                bool(vendor) and active.get(vendor_sid) == sid and vendor not in self.target.active_prompt_vendors
            )
            if row.get("is_active") and not is_active:
                self.report("extraction_prompts").warnings.append(
                    f"prompt {sid} ({name!r}) imported inactive"
                    " (one active prompt per vendor; templates are never active)"
                )
            target_id = self.new_id("extraction_prompts", sid)
            values = {
                "vendor_id": vendor,
                "prompt_name": name,
                "prompt_text": text,
                "is_template": bool(row.get("is_template")),
                "is_active": is_active,
                "version": version,
                "parent_prompt_id": parent,
                "invoice_type": check_value("str", row.get("invoice_type"), "invoice_type"),
                "created_by": (str(row["created_by"])[:255] if row.get("created_by") else None),
                "test_results": _json(row.get("test_results")),
                "created_at": _ts(row.get("created_at")),
                "updated_at": _ts(row.get("updated_at")) or _ts(row.get("created_at")),
            }
            self.add(Action("extraction_prompts", sid, target_id, values))
            if vendor and chosen.get(vendor_sid) == sid:
                self.plan.vendor_prompts.append((vendor, target_id))

    @staticmethod
    def _parents_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        by_id = {_sid(r["id"]): r for r in rows}
        out: list[dict[str, Any]] = []
        placed: set[str] = set()

        def place(row: dict[str, Any], depth: int = 0) -> None:
            sid = _sid(row["id"])
            if sid in placed:
                return
            placed.add(sid)
            parent = by_id.get(_sid(row.get("parent_prompt_id")))
            if parent is not None and depth < 1000:
                place(parent, depth + 1)
            out.append(row)

        for row in rows:
            place(row)
        return out

    def customers(self) -> None:
        seen: dict[str, str] = {}
        for row in self.source.get("customers", []):
            sid = _sid(row["id"])
            if self.done("customers", sid):
                seen.setdefault(normalise_name(str(row.get("name") or "")), sid)
                continue
            try:
                name = check_value("str", row.get("name"), "name")
                normalised = normalise_name(name or "")
                if not normalised:
                    raise Refused("name must contain letters or digits")
                aliases = sorted({normalise_name(str(a)) for a in row.get("aliases") or [] if str(a).strip()} - {""})
                accounts = sorted({str(a).strip() for a in row.get("account_numbers") or [] if str(a).strip()})
                if len(aliases) > 100 or len(accounts) > 100:
                    raise Refused("aliases and account_numbers hold at most 100 entries each")
            except Refused as e:
                self.skip("customers", sid, str(e))
                continue
            if normalised in seen:
                self.skip("customers", sid, f"name {name!r} is customer {seen[normalised]}'s too")
                continue
            seen[normalised] = sid
            if normalised in self.target.customers_by_name:
                self.existing(
                    "customers", sid, self.target.customers_by_name[normalised], f"customer {normalised!r} exists"
                )
                continue
            values = {
                "name": name,
                "normalized_name": normalised,
                "account_numbers": accounts,
                "aliases": aliases,
                **_active_and_times(row),
            }
            self.add(Action("customers", sid, self.new_id("customers", sid), values))

    def batches(self) -> None:
        for row in self.source.get("processing_batches", []):
            sid = _sid(row["id"])
            if self.done("processing_batches", sid):
                continue
            vendor = self.ids.get(("vendors", _sid(row.get("vendor_id"))))
            if vendor is None:
                self.skip(
                    "processing_batches",
                    sid,
                    f"vendor {_sid(row.get('vendor_id'))} is not imported (missing or skipped)",
                )
                continue
            status = str(row.get("status") or "pending")
            if status not in BATCH_STATUSES:
                self.skip(
                    "processing_batches", sid, f"status must be one of {', '.join(BATCH_STATUSES)}, got {status!r}"
                )
                continue
            if status in ("pending", "processing"):
                self.report("processing_batches").warnings.append(
                    f"batch {sid} was {status} in the original (freeze writes before the import): imported as {status}"
                )
            values = {
                "vendor_id": vendor,
                "folder_path": (str(row["folder_path"])[:1024] if row.get("folder_path") else None),
                "total_files": int(row.get("total_files") or 0),
                "processed_files": int(row.get("processed_files") or 0),
                "failed_files": int(row.get("failed_files") or 0),
                "status": status,
                "started_at": _ts(row.get("started_at")),
                "completed_at": _ts(row.get("completed_at")),
                "error_message": row.get("error_message"),
                "created_at": _ts(row.get("created_at")),
            }
            self.add(Action("processing_batches", sid, self.new_id("processing_batches", sid), values))

    def invoices(self) -> None:  # noqa: PLR0912, PLR0915 (one branch per rule)
        items_by_invoice: dict[str, list[dict[str, Any]]] = {}
        for item in self.source.get("line_items", []):
            items_by_invoice.setdefault(_sid(item.get("invoice_id")), []).append(item)
        known_invoices = {_sid(r["id"]) for r in self.source.get("invoices", [])}
        for invoice_id, items in items_by_invoice.items():
            if invoice_id not in known_invoices:
                for item in items:
                    self.skip("line_items", _sid(item["id"]), f"invoice {invoice_id} does not exist in the source")
        hashes = dict(self.target.invoice_hashes)
        numbers = dict(self.target.invoice_numbers)
        pending_duplicates: list[tuple[str, str]] = []
        for row in self.source.get("invoices", []):
            sid = _sid(row["id"])
            items = sorted(items_by_invoice.get(sid, []), key=lambda i: (i.get("line_number") or 0, _sid(i["id"])))
            if self.done("invoices", sid):
                self.report("line_items").imported_before += len(items)
                target_id = self.target.id_map[("invoices", sid)]
                key, digest = self.target.invoice_files.get(target_id, ("", ""))
                self.invoice_keys.setdefault(_norm_path(row.get("file_path")), (key, target_id, digest))
                continue
            vendor_sid = _sid(row.get("vendor_id"))
            vendor = self.ids.get(("vendors", vendor_sid))
            try:
                if vendor is None:
                    raise Refused(f"vendor {vendor_sid} is not imported (missing or skipped)")
                header = check_fields(row, INVOICE_HEADER_FIELDS)
                status = str(row.get("processing_status") or "pending")
                if status not in INVOICE_STATUSES:
                    raise Refused(f"processing_status must be one of {', '.join(INVOICE_STATUSES)}, got {status!r}")
                confidence = check_value("money", row.get("confidence_score"), "confidence_score")
                if confidence is not None and not Decimal(0) <= confidence <= Decimal(1):
                    raise Refused(f"confidence_score must be between 0 and 1, got {confidence}")
                children = []
                for item in items:
                    try:
                        values = check_fields(item, LINE_ITEM_FIELDS)
                    except Refused as e:
                        raise Refused(f"line item {_sid(item['id'])}: {e}") from None
                    values["created_at"] = _ts(item.get("created_at"))
                    values["updated_at"] = _ts(item.get("updated_at"))
                    children.append(
                        Action("line_items", _sid(item["id"]), self.new_id("line_items", _sid(item["id"])), values)
                    )
                info, file_type = check_file(row.get("file_path"), row.get("file_type"), self.uploads_dir, self.files)
                if info.sha256 in hashes:
                    raise Refused(
                        f"the same file as invoice {hashes[info.sha256]} (our schema keeps one invoice per file)"
                    )
                number = header["invoice_number"]
                if number and (vendor, number) in numbers:
                    raise Refused(
                        f"invoice_number {number!r} exists for this vendor (invoice {numbers[(vendor, number)]})"
                    )
            except Refused as e:
                self.skip("invoices", sid, str(e))
                for item in items:
                    self.skip("line_items", _sid(item["id"]), f"invoice {sid} is skipped")
                continue
            target_id = self.new_id("invoices", sid)
            hashes[info.sha256] = sid
            if number:
                numbers[(vendor, number)] = sid
            customer_sid = _sid(row.get("customer_id"))
            customer = self.ids.get(("customers", customer_sid)) if customer_sid else None
            if customer_sid and customer is None:
                self.report("invoices").warnings.append(
                    f"invoice {sid}: customer {customer_sid} is not imported; imported without customer"
                )
            batch_sid = _sid(row.get("batch_id"))
            batch = self.ids.get(("processing_batches", batch_sid)) if batch_sid else None
            if batch_sid and batch is None:
                self.report("invoices").warnings.append(
                    f"invoice {sid}: batch {batch_sid} is not imported; imported without batch"
                )
            key = storage_key("invoices", vendor, target_id, file_type)
            duplicate_sid = _sid(row.get("duplicate_of"))
            duplicate = self.ids.get(("invoices", duplicate_sid)) if duplicate_sid else None
            if duplicate_sid and duplicate is None:
                pending_duplicates.append((target_id, duplicate_sid))
            values = {
                **header,
                "currency": header["currency"] or "USD",
                "vendor_id": vendor,
                "customer_id": customer,
                "batch_id": batch,
                "line_item_count": len(children),
                "file_path": key,
                "file_type": file_type,
                "file_hash": info.sha256,
                "file_size": info.size,
                "original_filename": (str(row["original_filename"])[:255] if row.get("original_filename") else None),
                "processing_status": status,
                "confidence_score": confidence,
                "processed_at": _ts(row.get("processed_at")),
                "approved_at": _ts(row.get("approved_at")),
                "is_duplicate": bool(row.get("is_duplicate")),
                "duplicate_of": duplicate,
                "created_at": _ts(row.get("created_at")),
                "updated_at": _ts(row.get("updated_at")),
            }
            upload = Upload(key, info.path, info.size, info.sha256, FILE_TYPES[file_type][0])
            self.add(Action("invoices", sid, target_id, values, upload=upload, children=children))
            self.report("line_items").imported += len(children)
            self.invoice_keys[_norm_path(row.get("file_path"))] = (key, target_id, info.sha256)
        for target_id, duplicate_sid in pending_duplicates:
            duplicate = self.ids.get(("invoices", duplicate_sid))
            if duplicate is not None:
                self.plan.duplicate_links.append((target_id, duplicate))

    def batch_files(self) -> None:
        for row in self.source.get("batch_files", []):
            sid = _sid(row["id"])
            if self.done("batch_files", sid):
                continue
            batch_sid = _sid(row.get("batch_id"))
            batch = self.ids.get(("processing_batches", batch_sid))
            if batch is None:
                self.skip("batch_files", sid, f"batch {batch_sid} is not imported (missing or skipped)")
                continue
            invoice_sid = _sid(row.get("invoice_id"))
            invoice = self.ids.get(("invoices", invoice_sid)) if invoice_sid else None
            target_id = self.new_id("batch_files", sid)
            try:
                filename = check_value("str", row.get("filename"), "filename")
                if not filename:
                    raise Refused("filename is required")
                info, file_type = check_file(row.get("file_path"), row.get("file_type"), self.uploads_dir, self.files)
            except Refused as e:
                self.skip("batch_files", sid, str(e))
                continue
            shared = self.invoice_keys.get(_norm_path(row.get("file_path")))
            is_shared = bool(shared and shared[0] and shared[2] == info.sha256)
            # The invoice made from this file has it already (as our worker stores it), or its own key.
            key = shared[0] if shared and is_shared else storage_key("batches", batch, target_id, file_type)
            upload = Upload(key, info.path, info.size, info.sha256, FILE_TYPES[file_type][0])
            if invoice_sid and invoice is None:
                self.report("batch_files").warnings.append(
                    f"batch file {sid}: invoice {invoice_sid} is not imported; imported without invoice"
                )
            values = {
                "batch_id": batch,
                "invoice_id": invoice,
                "filename": filename,
                "file_path": key,
                "file_type": file_type,
                "file_size": info.size,
                "status": str(row.get("status") or "pending")[:50],
                "error_message": row.get("error_message"),
                "processing_time_ms": row.get("processing_time_ms"),
                "created_at": _ts(row.get("created_at")),
                "processed_at": _ts(row.get("processed_at")),
            }
            self.add(Action("batch_files", sid, target_id, values, upload=upload, shared=is_shared))

    def templates(self) -> None:
        emails = {_sid(u["id"]): str(u.get("email") or "").lower() for u in self.source.get("users", [])}
        for row in self.source.get("export_templates", []):
            sid = _sid(row["id"])
            if self.done("export_templates", sid):
                continue
            try:
                name = check_value("str", row.get("name"), "name")
                if not name:
                    raise Refused("name is required")
                invoice_fields = _json_list(row.get("invoice_fields"), "invoice_fields")
                line_item_fields = _json_list(row.get("line_item_fields"), "line_item_fields")
            except Refused as e:
                self.skip("export_templates", sid, str(e))
                continue
            owner_sid = _sid(row.get("user_id"))
            owner = None
            if owner_sid:
                owner = self.target.users_by_email.get(emails.get(owner_sid, ""))
                if owner is None:
                    self.report("export_templates").warnings.append(
                        f"template {sid} ({name!r}): its owner {emails.get(owner_sid) or owner_sid}"
                        " is not a user here yet;"
                        " imported without owner"
                    )
            elif name in self.target.public_templates:
                self.existing(
                    "export_templates", sid, self.target.public_templates[name], f"built-in template {name!r} exists"
                )
                continue
            values = {
                "name": name,
                "description": row.get("description"),
                "user_id": owner,
                "is_public": bool(row.get("is_public")),
                "invoice_fields": json.dumps(invoice_fields),
                "line_item_fields": json.dumps(line_item_fields),
                "usage_count": int(row.get("usage_count") or 0),
                "last_used_at": _ts(row.get("last_used_at")),
                "created_at": _ts(row.get("created_at")),
                "updated_at": _ts(row.get("updated_at")),
            }
            self.add(Action("export_templates", sid, self.new_id("export_templates", sid), values))

    def users(self) -> None:
        for row in self.source.get("users", []):
            email = str(row.get("email") or "").strip()
            if email and email.lower() not in self.target.users_by_email:
                self.plan.users_to_invite.append(
                    {"id": _sid(row["id"]), "email": email, "name": str(row.get("name") or "")}
                )
        self.plan.not_imported["users"] = {
            "rows": len(self.source.get("users", [])),
            "reason": "the original created a user for any e-mail; invite the ones in users_to_invite",
        }


def _norm_path(value: Any) -> str:
    return str(PurePosixPath(str(value or "").replace("\\", "/")))


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _json_list(value: Any, column: str) -> list[Any]:
    data = json.loads(value) if isinstance(value, str) else value
    if not isinstance(data, list):
        raise Refused(f"{column} must be a JSON list")
    return data


def plan_import(source: dict[str, list[dict[str, Any]]], target: TargetState, uploads_dir: str) -> Plan:
    return Planner(source, target, uploads_dir).build()
