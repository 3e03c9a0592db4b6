"""ClaudeExtractor against a mocked Messages API (httpx2.MockTransport): request shape, parsing, retries, errors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx2
import pytest

from app.extraction import ClaudeExtractor, ExtractionError, build_extractor
from app.extraction.schema import TOOL_NAME
from tests.extraction.samples import sample_bytes

pytestmark = pytest.mark.anyio

API_KEY = "sk-ant-test-0000-not-a-real-key"
MODEL = "claude-sonnet-5"

ANSWER: dict[str, Any] = {
    "invoice_number": "INV-2024-0042",
    "vendor_name": "ACME Cloud Services Inc.",
    "customer_name": "Globex Corporation",
    "customer_account_number": "GX-1001",
    "invoice_date": "2024-03-15",
    "due_date": "2024-04-14",
    "currency": "USD",
    "subtotal": 174.87,
    "total_taxes": "14.86",
    "total_amount": "$189.73",
    "amount_due": 189.73,
    "purchase_order_number": "PO-7781",
    "payment_terms": "Net 30",
    "line_items": [
        {
            "line_number": 1,
            "description": "Compute instances (hours)",
            "quantity": 720,
            "unit_price": 0.096,
            "total_amount": 69.12,
            "charge_type": "usage",
        },
        {
            "line_number": 2,
            "description": "Object storage GB-month",
            "quantity": 250,
            "unit_price": 0.023,
            "total_amount": 5.75,
        },
        {"line_number": 3, "description": "Support plan", "quantity": 1, "unit_price": 100, "total_amount": 100},
    ],
    "notes": None,
}


def message_response(answer: dict[str, Any] | None = ANSWER, *, stop_reason: str = "tool_use") -> httpx2.Response:
    content: list[dict[str, Any]] = [{"type": "text", "text": "Here is the invoice."}]
    if answer is not None:
        content.append({"type": "tool_use", "id": "toolu_01A", "name": TOOL_NAME, "input": answer})
    body = {
        "id": "msg_01XYZ",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 2150,
            "output_tokens": 480,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }
    return httpx2.Response(200, json=body, headers={"request-id": "req_test"})


def error_response(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return httpx2.Response(status, json=body, headers=headers or {})


class Recorder:
    """A MockTransport handler replaying responses in order and keeping each request body."""

    def __init__(self, *responses: httpx2.Response | Callable[[httpx2.Request], httpx2.Response]) -> None:
        self.responses = list(responses)
        self.requests: list[httpx2.Request] = []
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        self.bodies.append(json.loads(request.content))
        response = self.responses.pop(0)
        return response(request) if callable(response) else response


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_extractor(handler: Recorder, **kwargs: Any) -> tuple[ClaudeExtractor, httpx2.AsyncClient, Sleeps]:
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    sleeps = Sleeps()
    extractor = ClaudeExtractor(
        api_key=API_KEY, model=MODEL, http_client=client, backoff_base=0.001, backoff_max=0.004, sleep=sleeps, **kwargs
    )
    return extractor, client, sleeps


async def test_pdf_is_sent_as_a_document_with_a_forced_tool_and_the_answer_is_typed() -> None:
    pdf = sample_bytes("acme_us.pdf")
    handler = Recorder(message_response())
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    extractor = build_extractor(api_key=API_KEY, model=MODEL, http_client=client)
    assert isinstance(extractor, ClaudeExtractor)

    result = await extractor.extract(
        pdf, "application/pdf", prompt="Account numbers start with GX.", vendor_name="Acme"
    )
    await extractor.aclose()
    await client.aclose()

    (request,) = handler.requests
    assert request.url.path == "/v1/messages"
    # this SDK version sends the key as a bearer token; older ones used x-api-key
    assert API_KEY in (
        request.headers.get("x-api-key"),
        request.headers.get("authorization", "").removeprefix("Bearer "),
    )
    body = handler.bodies[0]
    assert body["model"] == MODEL
    assert body["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    (tool,) = body["tools"]
    assert tool["name"] == TOOL_NAME
    assert {"invoice_number", "invoice_date", "total_amount", "line_items"} <= set(tool["input_schema"]["required"])
    assert "unit_price" in tool["input_schema"]["properties"]["line_items"]["items"]["properties"]
    (message,) = body["messages"]
    document, text = message["content"]
    assert document["type"] == "document"
    assert document["source"] == {
        "type": "base64",
        "media_type": "application/pdf",
        "data": base64.standard_b64encode(pdf).decode(),
    }
    assert text["type"] == "text"
    assert "Account numbers start with GX." in text["text"] and "'Acme'" in text["text"]
    assert "record_invoice" in body["system"]

    assert result.model == "claude-sonnet-5"
    assert result.invoice["invoice_date"] == dt.date(2024, 3, 15)
    assert result.invoice["total_amount"] == Decimal("189.73")
    assert result.invoice["subtotal"] == Decimal("174.87")
    assert result.invoice["line_item_count"] == 3
    assert result.line_items[0]["unit_price"] == Decimal("0.0960")
    assert result.line_items[0]["charge_type"] == "usage"
    assert result.warnings == []
    assert result.confidence == 1.0
    assert (result.input_tokens, result.output_tokens) == (2150, 480)
    assert result.cost_usd == Decimal("0.009100")  # 2150 x $2/M + 480 x $10/M
    assert result.raw == json.loads(json.dumps(ANSWER))


@pytest.mark.parametrize("media_type", ["image/png", "image/jpeg"])
async def test_images_are_sent_as_image_blocks(media_type: str) -> None:
    handler = Recorder(message_response())
    extractor, client, _ = make_extractor(handler)
    image = sample_bytes("scan.png")
    await extractor.extract(image, media_type)
    await client.aclose()
    block = handler.bodies[0]["messages"][0]["content"][0]
    assert block == {
        "type": "image",
        "source": {"type": "base64", "media_type": media_type, "data": base64.standard_b64encode(image).decode()},
    }


async def test_html_is_sent_as_its_visible_text() -> None:
    handler = Recorder(message_response())
    extractor, client, _ = make_extractor(handler)
    await extractor.extract(sample_bytes("initrode_telecom.html"), "text/html")
    await client.aclose()
    block = handler.bodies[0]["messages"][0]["content"][0]
    assert block["type"] == "text"
    assert "TEL-88120" in block["text"]
    assert "<td" not in block["text"] and "window.analytics" not in block["text"]


async def test_429_then_success_retries_honouring_retry_after() -> None:
    handler = Recorder(
        error_response(
            429, "rate_limit_error", "Number of requests has exceeded your rate limit", {"retry-after": "0.02"}
        ),
        message_response(),
    )
    extractor, client, sleeps = make_extractor(handler)
    result = await extractor.extract(sample_bytes("acme_us.pdf"), "application/pdf")
    await client.aclose()
    assert len(handler.requests) == 2
    assert sleeps == [0.02]
    assert result.invoice["invoice_number"] == "INV-2024-0042"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "15"}, 0.015),
        ({"retry-after": "120"}, 60.0),  # capped: never sleep longer than MAX_RETRY_AFTER
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),  # a date: our own backoff
    ],
)
async def test_retry_after_variants(headers: dict[str, str], expected: float | None) -> None:
    handler = Recorder(error_response(429, "rate_limit_error", "slow down", headers), message_response())
    extractor, client, sleeps = make_extractor(handler)
    await extractor.extract(sample_bytes("acme_us.pdf"), "application/pdf")
    await client.aclose()
    (delay,) = sleeps
    if expected is None:
        assert 0.0005 <= delay <= 0.001
    else:
        assert delay == pytest.approx(expected)


async def test_529_backs_off_exponentially_with_jitter_then_gives_up() -> None:
    handler = Recorder(*[error_response(529, "overloaded_error", "Overloaded") for _ in range(4)])
    extractor, client, sleeps = make_extractor(handler, max_retries=3)
    with pytest.raises(ExtractionError) as caught:
        await extractor.extract(sample_bytes("acme_us.pdf"), "application/pdf")
    await client.aclose()
    assert len(handler.requests) == 4  # first try + 3 retries
    assert str(caught.value) == "Claude API error 529 after 4 attempts: overloaded_error: Overloaded"
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps):
        ceiling = min(0.004, 0.001 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling


async def test_400_fails_at_once_without_retry_and_without_the_key() -> None:
    handler = Recorder(
        error_response(400, "invalid_request_error", f"messages.0: bad document (key {API_KEY})"),
        message_response(),
    )
    extractor, client, sleeps = make_extractor(handler)
    with pytest.raises(ExtractionError) as caught:
        await extractor.extract(sample_bytes("acme_us.pdf"), "application/pdf")
    await client.aclose()
    assert len(handler.requests) == 1
    assert sleeps == []
    assert str(caught.value).startswith("Claude API error 400: invalid_request_error: messages.0: bad document")
    assert API_KEY not in str(caught.value)


async def test_401_names_the_setting_not_the_key() -> None:
    handler = Recorder(error_response(401, "authentication_error", "invalid x-api-key"))
    extractor, client, _ = make_extractor(handler)
    with pytest.raises(ExtractionError, match="check ANTHROPIC_API_KEY") as caught:
        await extractor.extract(sample_bytes("acme_us.pdf"), "application/pdf")
    await client.aclose()
    assert API_KEY not in str(caught.value)


async def test_connection_errors_are_retried_then_reported() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    handler = Recorder(refuse, refuse, message_response())
    extractor, client, sleeps = make_extractor(handler, max_retries=1)
    with pytest.raises(ExtractionError, match="connection failed after 2 attempt"):
        await extractor.extract(sample_bytes("acme_us.pdf"), "application/pdf")
    await client.aclose()
    assert len(sleeps) == 1


async def test_answer_without_the_tool_call_is_an_error() -> None:
    handler = Recorder(message_response(None, stop_reason="end_turn"))
    extractor, client, _ = make_extractor(handler)
    with pytest.raises(ExtractionError, match=r"no record_invoice tool call; stop_reason=end_turn"):
        await extractor.extract(sample_bytes("acme_us.pdf"), "application/pdf")
    await client.aclose()


async def test_inconsistent_answer_is_flagged_and_scored_down() -> None:
    answer = {**ANSWER, "total_amount": 250, "due_date": "2024-01-01", "notes": "Total is partly illegible."}
    handler = Recorder(message_response(answer, stop_reason="max_tokens"))
    extractor, client, _ = make_extractor(handler)
    result = await extractor.extract(sample_bytes("acme_us.pdf"), "application/pdf")
    await client.aclose()
    assert "due_date 2024-01-01 is before invoice_date 2024-03-15" in result.warnings
    assert "total_amount 250.00 != subtotal 174.87 + total_taxes 14.86 + total_fees 0 = 189.73" in result.warnings
    assert "model notes: Total is partly illegible." in result.warnings
    assert any("cut off" in warning for warning in result.warnings)
    assert result.confidence < 0.5


async def test_unknown_model_is_priced_with_the_fallback_and_says_so() -> None:
    def respond(request: httpx2.Request) -> httpx2.Response:
        response = message_response()
        body = json.loads(response.content)
        body["model"] = "claude-experimental-x"
        return httpx2.Response(200, json=body)

    handler = Recorder(respond)
    extractor, client, _ = make_extractor(handler)
    result = await extractor.extract(sample_bytes("acme_us.pdf"), "application/pdf")
    await client.aclose()
    assert result.cost_usd == Decimal("0.068250")  # 2150 x $15/M + 480 x $75/M (fallback)
    assert any("claude-experimental-x" in warning and "fallback" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    ("content", "media_type", "message"),
    [
        (b"", "application/pdf", "the file is empty"),
        (b"x" * (5 * 1024 * 1024 + 1), "image/png", "larger than Claude accepts"),
        (b"<html><body> </body></html>", "text/html", "no visible text"),
        (b"PK\x03\x04", "application/zip", "unsupported media type 'application/zip'"),
    ],
)
async def test_bad_input_fails_before_any_request(content: bytes, media_type: str, message: str) -> None:
    handler = Recorder()
    extractor, client, _ = make_extractor(handler)
    with pytest.raises(ExtractionError, match=message):
        await extractor.extract(content, media_type)
    await client.aclose()
    assert handler.requests == []


def test_constructor_validates_its_arguments() -> None:
    with pytest.raises(ValueError, match="api_key"):
        ClaudeExtractor(api_key="", model=MODEL)
    with pytest.raises(ValueError, match="max_retries must be >= 0, got -1"):
        ClaudeExtractor(api_key=API_KEY, model=MODEL, max_retries=-1)
