"""Types shared by the extractors: the result, the error and their base class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.extraction import media

INVOICE_DATE_FIELDS = ("invoice_date", "due_date", "issue_date", "service_period_start", "service_period_end")
INVOICE_MONEY_FIELDS = (
    "amount_due",
    "total_amount",
    "subtotal",
    "total_taxes",
    "total_fees",
    "total_recurring",
    "total_one_time",
    "total_usage",
)
# invoices columns that extraction fills (plus "vendor_name", which the API resolves to vendor_id)
INVOICE_FIELDS: tuple[str, ...] = (
    "invoice_number",
    "vendor_name",
    "customer_name",
    "customer_account_number",
    *INVOICE_DATE_FIELDS,
    "currency",
    *INVOICE_MONEY_FIELDS,
    "line_item_count",
    "purchase_order_number",
    "payment_terms",
    "contact_email",
    "contact_phone",
)

LINE_DATE_FIELDS = ("service_period_start", "service_period_end")
LINE_MONEY_FIELDS = ("subtotal", "tax_amount", "fee_amount", "total_amount")
# line_items columns that extraction fills (no ids)
LINE_ITEM_FIELDS: tuple[str, ...] = (
    "line_number",
    "description",
    "category",
    "charge_type",
    *LINE_DATE_FIELDS,
    "quantity",
    "unit_of_measure",
    "unit_price",
    *LINE_MONEY_FIELDS,
    "sku",
    "product_code",
)

LINE_PRECISE_FIELDS = ("quantity", "unit_price")  # DECIMAL(12,4) in the schema


class ExtractionError(Exception):
    """The file can't be extracted. ``str()`` is safe to show to users (no secrets, no internals)."""


@dataclass
class ExtractionResult:
    invoice: dict[str, Any]
    line_items: list[dict[str, Any]]
    confidence: float
    warnings: list[str]
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = field(default_factory=lambda: Decimal("0"))
    raw: dict[str, Any] = field(default_factory=dict)


class Extractor(ABC):
    """An invoice extractor: :meth:`extract` refuses an empty file, then hands it to :meth:`_extract`."""

    async def extract(
        self,
        content: bytes,
        media_type: str,
        *,
        prompt: str | None = None,
        vendor_name: str | None = None,
    ) -> ExtractionResult:
        if not content:
            raise ExtractionError("the file is empty")
        return await self._extract(content, media_type, prompt, vendor_name)

    @abstractmethod
    async def _extract(
        self, content: bytes, media_type: str, prompt: str | None, vendor_name: str | None
    ) -> ExtractionResult:
        """Extract a non-empty file; ``prompt`` and ``vendor_name`` as :meth:`extract` takes them."""

    @abstractmethod
    async def aclose(self) -> None: ...


def unsupported_media_type(media_type: str) -> ExtractionError:
    return ExtractionError(f"unsupported media type {media_type!r}; expected one of {', '.join(media.SUPPORTED)}")
