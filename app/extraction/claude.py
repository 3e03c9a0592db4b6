"""Extraction with Claude: the document itself goes in, the invoice comes back through a tool call.

PDFs are sent as a base64 ``document`` block, PNG/JPEG as an ``image`` block, HTML as
its visible text. ``tool_choice`` forces the ``record_invoice`` tool so the answer is
structured. The SDK's own retries are switched off (``max_retries=0``) and replaced by
one loop here: exponential backoff with jitter, honouring ``retry-after`` /
``retry-after-ms``, on 429 (rate limited), 529 (overloaded), other 5xx and connection
errors, so the delays are visible and testable. Any other API error fails at once.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anthropic

from app.extraction import media
from app.extraction.base import ExtractionError, ExtractionResult, Extractor, unsupported_media_type
from app.extraction.pricing import cost_usd
from app.extraction.schema import BASE_PROMPT, INVOICE_TOOL, TOOL_NAME, user_instructions
from app.extraction.text import html_text
from app.extraction.validation import confidence, json_safe, normalise, validate

if TYPE_CHECKING:
    import httpx2

log = logging.getLogger(__name__)

MAX_TOKENS = 8192
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # Claude API limit per image
MAX_PDF_BYTES = 32 * 1024 * 1024  # Claude API limit per request with a PDF
MAX_RETRY_AFTER = 60.0  # never sleep longer than this, whatever the server asks
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504, 529})
_UNCERTAIN_WORDS = ("uncertain", "unclear", "illegible", "unreadable", "ambiguous")


class ClaudeExtractor(Extractor):
    """Extractor backed by ``anthropic.AsyncAnthropic``.

    ``backoff_base``/``backoff_max`` shape the exponential backoff (attempt n waits
    ``min(backoff_max, backoff_base * 2**n)`` scaled by a random factor in [0.5, 1]);
    ``sleep`` is injectable so tests can record the delays instead of waiting.
    """

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        http_client: httpx2.AsyncClient | None = None,
        max_retries: int = 4,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        timeout: float = 120.0,
        base_url: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required for ClaudeExtractor")
        if not model:
            raise ValueError("model is required for ClaudeExtractor")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self.model = model
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._api_key = api_key
        self._owns_http_client = http_client is None
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            http_client=http_client,
            max_retries=0,
            timeout=timeout,
            base_url=base_url,
        )

    async def aclose(self) -> None:
        if self._owns_http_client:
            await self._client.close()

    async def _extract(
        self, content: bytes, media_type: str, prompt: str | None, vendor_name: str | None
    ) -> ExtractionResult:
        request = {
            "model": self.model,
            "max_tokens": MAX_TOKENS,
            "system": BASE_PROMPT,
            "tools": [INVOICE_TOOL],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
            "messages": [
                {"role": "user", "content": await self._content_blocks(content, media_type, prompt, vendor_name)}
            ],
        }
        message = await self._create_with_retries(request)
        return self._result(message, vendor_name)

    # -- request ---------------------------------------------------------------------------

    async def _content_blocks(
        self, content: bytes, media_type: str, prompt: str | None, vendor_name: str | None
    ) -> list[dict[str, Any]]:
        instructions = {"type": "text", "text": user_instructions(prompt, vendor_name)}
        if media_type == media.PDF:
            if len(content) > MAX_PDF_BYTES:
                raise ExtractionError(f"the PDF is larger than Claude accepts ({MAX_PDF_BYTES // 2**20} MB)")
            data = base64.standard_b64encode(content).decode("ascii")
            document = {"type": "document", "source": {"type": "base64", "media_type": media.PDF, "data": data}}
            return [document, instructions]
        if media_type in (media.PNG, media.JPEG):
            if len(content) > MAX_IMAGE_BYTES:
                raise ExtractionError(f"the image is larger than Claude accepts ({MAX_IMAGE_BYTES // 2**20} MB)")
            data = base64.standard_b64encode(content).decode("ascii")
            image = {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
            return [image, instructions]
        if media_type == media.HTML:
            text = await asyncio.to_thread(html_text, content)  # html.parser is CPU-bound on big pages
            if not text.strip():
                raise ExtractionError("the HTML document has no visible text")
            document_text = {"type": "text", "text": f"The invoice (visible text of an HTML page):\n\n{text}"}
            return [document_text, instructions]
        raise unsupported_media_type(media_type)

    async def _create_with_retries(self, request: dict[str, Any]) -> Any:
        attempt = 0
        while True:
            try:
                return await self._client.messages.create(**request)
            except anthropic.APIStatusError as exc:
                if exc.status_code not in RETRYABLE_STATUS or attempt >= self.max_retries:
                    raise ExtractionError(self._status_message(exc, attempt)) from None
                delay = self._delay(attempt, exc.response.headers)
                log.warning(
                    "claude returned %s; retry %d of %d in %.2fs",
                    exc.status_code,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
            except anthropic.APIConnectionError as exc:
                kind = "timed out" if isinstance(exc, anthropic.APITimeoutError) else "connection failed"
                if attempt >= self.max_retries:
                    raise ExtractionError(
                        f"Claude API {kind} after {attempt + 1} attempt(s); try again later"
                    ) from None
                delay = self._delay(attempt, None)
                log.warning("claude %s; retry %d of %d in %.2fs", kind, attempt + 1, self.max_retries, delay)
            await self._sleep(delay)
            attempt += 1

    def _delay(self, attempt: int, headers: Any) -> float:
        if headers is not None:
            for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
                value = headers.get(name)
                if value is None:
                    continue
                try:
                    seconds = float(value) * scale
                except ValueError:
                    continue  # an HTTP date: fall back to our own backoff
                if seconds >= 0:
                    return min(seconds, MAX_RETRY_AFTER)
        ceiling = min(self.backoff_max, self.backoff_base * 2**attempt)
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not cryptography)

    def _status_message(self, exc: anthropic.APIStatusError, attempt: int) -> str:
        status = exc.status_code
        if status == 401:
            return "Claude API rejected the API key (401); check ANTHROPIC_API_KEY"
        if status == 403:
            return "Claude API refused the request (403 permission denied)"
        detail = ""
        body = exc.body
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict):
                kind, text = error.get("type"), error.get("message")
                detail = ": ".join(str(part) for part in (kind, text) if part)
        detail = detail.replace(self._api_key, "[redacted]")[:300]
        tries = f" after {attempt + 1} attempts" if attempt else ""
        return f"Claude API error {status}{tries}" + (f": {detail}" if detail else "")

    # -- response --------------------------------------------------------------------------

    def _result(self, message: Any, vendor_name: str | None) -> ExtractionResult:
        answer = None
        for block in message.content or []:
            if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == TOOL_NAME:
                answer = block.input
                break
        if not isinstance(answer, dict):
            raise ExtractionError(
                f"Claude did not return the invoice (no {TOOL_NAME} tool call; stop_reason={message.stop_reason})"
            )
        raw = json_safe(answer)
        invoice, line_items, warnings = normalise(raw)
        if not invoice.get("vendor_name") and vendor_name:
            invoice["vendor_name"] = vendor_name
        findings = validate(invoice, line_items)
        score = confidence(invoice, line_items, findings)
        notes = raw.get("notes")
        if isinstance(notes, str) and any(word in notes.lower() for word in _UNCERTAIN_WORDS):
            score = round(max(0.0, score - 0.1), 2)
            warnings.append(f"model notes: {notes[:300]}")
        if message.stop_reason == "max_tokens":
            warnings.append(f"the answer was cut off at {MAX_TOKENS} output tokens; line items may be missing")
            score = round(score * 0.5, 2)

        usage = message.usage
        input_tokens = int(getattr(usage, "input_tokens", 0) or 0)
        output_tokens = int(getattr(usage, "output_tokens", 0) or 0)
        cost, price_warning = cost_usd(
            message.model or self.model,
            input_tokens,
            output_tokens,
            cache_creation_input_tokens=int(getattr(usage, "cache_creation_input_tokens", 0) or 0),
            cache_read_input_tokens=int(getattr(usage, "cache_read_input_tokens", 0) or 0),
        )
        if price_warning:
            log.warning("%s", price_warning)
            warnings.append(price_warning)
        return ExtractionResult(
            invoice=invoice,
            line_items=line_items,
            confidence=score,
            warnings=warnings + findings,
            model=message.model or self.model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=cost,
            raw=raw,
        )
