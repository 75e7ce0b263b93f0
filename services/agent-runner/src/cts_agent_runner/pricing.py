"""Cost estimates from a configurable price table (USD per million tokens)."""

from __future__ import annotations

from cts_agent_runner.model import TokenUsage
from cts_agent_runner.settings import Prices
from cts_contracts import Usage


def prices_for(model: str, table: dict[str, Prices]) -> Prices:
    """The longest table key that prefixes ``model``; ``default`` otherwise (zero if absent)."""
    matches = [key for key in table if key != "default" and model.startswith(key)]
    if matches:
        return table[max(matches, key=len)]
    return table.get("default", Prices(input=0, output=0, cache_read=0, cache_write=0))


def cost_usd(usage: TokenUsage, prices: Prices) -> float:
    total = (
        usage.input * prices.input
        + usage.output * prices.output
        + usage.cache_read * prices.cache_read
        + usage.cache_write * prices.cache_write
    )
    return round(total / 1_000_000, 6)


def usage_summary(usage: TokenUsage, *, model: str, table: dict[str, Prices]) -> Usage:
    return Usage(
        input_tokens=usage.input,
        output_tokens=usage.output,
        cache_read_tokens=usage.cache_read,
        cache_write_tokens=usage.cache_write,
        cost_usd=cost_usd(usage, prices_for(model, table)),
    )
