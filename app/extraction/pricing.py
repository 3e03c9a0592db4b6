"""What a Claude call costs, from its token usage.

Prices are US dollars per million tokens (input, output), Anthropic's published list
prices for the standard API tier at prompts up to 200k tokens
(https://platform.claude.com/docs/en/about-claude/pricing), as collected on
2025-11-25 in the public price list simonw/llm-prices (data/anthropic.json). Update the
table when Anthropic changes prices or adds models; batch, long-context and regional
prices are not modelled.

Cache writes (5 minute) cost 1.25x the input price and cache reads 0.1x, as documented
on the same page. This extractor does not use prompt caching, so those are normally 0.

A model that is not in the table is priced with FALLBACK_PRICE, the most expensive
entry, so cost is never under-reported; the result carries a warning saying so.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple


class Price(NamedTuple):
    input_per_mtok: Decimal
    output_per_mtok: Decimal


def _p(input_price: str, output_price: str) -> Price:
    return Price(Decimal(input_price), Decimal(output_price))


PRICES: dict[str, Price] = {
    "claude-3-haiku": _p("0.25", "1.25"),
    "claude-3-5-haiku": _p("0.80", "4"),
    "claude-3-5-sonnet": _p("3", "15"),
    "claude-3-7-sonnet": _p("3", "15"),
    "claude-3-opus": _p("15", "75"),
    "claude-haiku-4-5": _p("1", "5"),
    "claude-sonnet-4": _p("3", "15"),
    "claude-sonnet-4-5": _p("3", "15"),
    "claude-opus-4": _p("15", "75"),
    "claude-opus-4-1": _p("15", "75"),
    "claude-opus-4-5": _p("5", "25"),
    "claude-opus-4-6": _p("5", "25"),
    "claude-opus-4-7": _p("5", "25"),
    "claude-opus-4-8": _p("5", "25"),
    "claude-sonnet-5": _p("2", "10"),
    "claude-sonnet-5-5": _p("2", "10"),
    "claude-opus-5": _p("5", "25"),
    "claude-opus-5-5": _p("4", "20"),
    "claude-fable-5": _p("10", "50"),
    "claude-fable-5-1": _p("10", "50"),
    "claude-mythos-5": _p("10", "50"),
}

FALLBACK_PRICE = max(PRICES.values(), key=lambda price: price.output_per_mtok)
CACHE_WRITE_FACTOR = Decimal("1.25")
CACHE_READ_FACTOR = Decimal("0.1")
MILLION = Decimal(1_000_000)
_DATE_SUFFIX = re.compile(r"-\d{8}$")


def price_for(model: str) -> Price | None:
    """The price of ``model`` ("claude-sonnet-4-5-20250929" and "claude-sonnet-4-5" alike), or None."""
    name = _DATE_SUFFIX.sub("", model.strip().lower()).replace(".", "-")
    return PRICES.get(name)


def cost_usd(
    model: str,
    input_tokens: int,
    output_tokens: int,
    *,
    cache_creation_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
) -> tuple[Decimal, str | None]:
    """(cost in USD to 6 places, warning or None). Unknown models are priced with FALLBACK_PRICE."""
    price = price_for(model)
    warning = None
    if price is None:
        price = FALLBACK_PRICE
        warning = (
            f"no price on file for model {model!r}: cost estimated with the fallback price "
            f"(${price.input_per_mtok}/${price.output_per_mtok} per million input/output tokens)"
        )
    total = (
        input_tokens * price.input_per_mtok
        + cache_creation_input_tokens * price.input_per_mtok * CACHE_WRITE_FACTOR
        + cache_read_input_tokens * price.input_per_mtok * CACHE_READ_FACTOR
        + output_tokens * price.output_per_mtok
    ) / MILLION
    return total.quantize(Decimal("0.000001")), warning
