"""Invoice extraction: Claude when an API key is configured, offline rules otherwise.

    extractor = build_extractor(api_key=settings.anthropic_api_key, model=settings.anthropic_model)
    result = await extractor.extract(content, "application/pdf", prompt=vendor_prompt, vendor_name="Acme")
    ...
    await extractor.aclose()

``result.invoice`` and ``result.line_items`` are keyed by the ``invoices`` and
``line_items`` column names (plus ``vendor_name``), with ``datetime.date`` and
``Decimal`` values, already validated; ``result.warnings`` lists what a reviewer should
check and ``result.confidence`` scores it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.extraction.base import ExtractionError, ExtractionResult, Extractor
from app.extraction.claude import ClaudeExtractor
from app.extraction.media import media_type_for_filename, sniff_media_type
from app.extraction.offline import OfflineExtractor

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "ClaudeExtractor",
    "ExtractionError",
    "ExtractionResult",
    "Extractor",
    "OfflineExtractor",
    "build_extractor",
    "media_type_for_filename",
    "sniff_media_type",
]


def build_extractor(
    *,
    api_key: str | None,
    model: str,
    http_client: httpx2.AsyncClient | None = None,
    max_retries: int = 4,
) -> Extractor:
    """OfflineExtractor when ``api_key`` is None or empty, else a ClaudeExtractor for ``model``."""
    if not api_key:
        return OfflineExtractor()
    return ClaudeExtractor(api_key=api_key, model=model, http_client=http_client, max_retries=max_retries)
