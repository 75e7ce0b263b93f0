"""What a model call costs, from list prices keyed by exact model id (USD per million tokens).

Read on 2026-12-02 from Anthropic's pricing page (https://platform.claude.com/docs/en/about-claude/pricing)
and the model overview pages (https://platform.claude.com/docs/en/models/<model>/overview):
base input, 5-minute cache writes, 1-hour cache writes, cache hits, output. Sonnet 5.5's cache
hits were cut from $0.20 to $0.10 on 2026-10-07; the overview page snapshot we could read still
showed $0.20, the live pricing page (as price trackers that follow it report, checked
2026-10-24 and 2026-12-01) shows $0.10: we use $0.10. Haiku 5.5 costs five times as much for a
prompt over 100,000 tokens (input, cache reads and writes counted), on every token of that
call. Prices change: override any of them with ``CTS_AGENT_PRICES`` (JSON, merged over these).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from cts_agent_runner.model import TokenUsage
from cts_contracts import Usage
from cts_runtime.logs import get_logger

log = get_logger(__name__)


class Rates(BaseModel):
    """USD per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float = Field(ge=0)
    cache_write: float = Field(ge=0, description="5-minute cache writes")
    cache_write_1h: float = Field(ge=0, description="1-hour cache writes")


class LongPrompt(BaseModel):
    threshold_tokens: int = Field(gt=0)
    rates: Rates


class Prices(Rates):
    long_prompt: LongPrompt | None = Field(
        default=None, description="Rates for a call whose prompt is over the threshold"
    )


def _p(inp: float, w5: float, w1: float, read: float, out: float) -> Prices:
    return Prices(input=inp, cache_write=w5, cache_write_1h=w1, cache_read=read, output=out)


_FABLE_5_2 = _p(8, 10, 16, 0.20, 40)
_FABLE_5_1 = _p(10, 12.50, 20, 0.25, 50)
_FABLE_5 = _p(10, 12.50, 20, 1, 50)
_OPUS_5 = _p(5, 6.25, 10, 0.50, 25)
_SONNET_4 = _p(3, 3.75, 6, 0.30, 15)
_HAIKU_4_5 = _p(1, 1.25, 2, 0.10, 5)
_HAIKU_5_5_LONG = LongPrompt(threshold_tokens=100_000, rates=_p(0.50, 0.625, 1.00, 0.05, 2.50))
_HAIKU_5_5 = _p(0.10, 0.125, 0.20, 0.01, 0.50).model_copy(update={"long_prompt": _HAIKU_5_5_LONG})

LIST_PRICES: dict[str, Prices] = {
    "claude-fable-5-2": _FABLE_5_2,
    "claude-mythos-5-2": _FABLE_5_2,
    "claude-fable-5-1": _FABLE_5_1,
    "claude-mythos-5-1": _FABLE_5_1,
    "claude-fable-5": _FABLE_5,
    "claude-mythos-5": _FABLE_5,
    "claude-opus-5-5": _p(4, 5, 8, 0.20, 20),
    "claude-opus-5": _OPUS_5,
    "claude-opus-4-8": _OPUS_5,
    "claude-opus-4-7": _OPUS_5,
    "claude-opus-4-6": _OPUS_5,
    "claude-opus-4-5": _OPUS_5,
    "claude-opus-4-5-20251101": _OPUS_5,
    "claude-sonnet-5-5": _p(2, 2.50, 4, 0.10, 10),
    "claude-sonnet-5": _p(2, 2.50, 4, 0.20, 10),
    "claude-sonnet-4-6": _SONNET_4,
    "claude-sonnet-4-5": _SONNET_4,
    "claude-sonnet-4-5-20250929": _SONNET_4,
    "claude-haiku-5-5": _HAIKU_5_5,
    "claude-haiku-4-5": _HAIKU_4_5,
    "claude-haiku-4-5-20251001": _HAIKU_4_5,
}


def unknown_model_prices(table: dict[str, Prices]) -> Prices:
    """For a model with no price: the dearest of each rate in the table, so that its reported
    cost and the USD budget err on the side of too much, never too little."""
    rates = [p.model_dump(exclude={"long_prompt"}) for p in table.values()] or [
        _FABLE_5_1.model_dump(exclude={"long_prompt"})
    ]
    return Prices(**{key: max(r[key] for r in rates) for key in rates[0]})


def prices_for(model: str, table: dict[str, Prices]) -> Prices | None:
    return table.get(model)


def cost_usd(usage: TokenUsage, prices: Prices) -> float:
    """One call's cost: the long-prompt rates apply to every token of a call over the threshold."""
    rates: Rates = prices
    if prices.long_prompt is not None and usage.prompt > prices.long_prompt.threshold_tokens:
        rates = prices.long_prompt.rates
    short_lived = usage.cache_write - usage.cache_write_1h
    total = (
        usage.input * rates.input
        + usage.output * rates.output
        + usage.cache_read * rates.cache_read
        + short_lived * rates.cache_write
        + usage.cache_write_1h * rates.cache_write_1h
    )
    return total / 1_000_000


class Pricer:
    """Prices calls by the model that answered them; warns once per model with no price."""

    def __init__(self, table: dict[str, Prices]) -> None:
        self._table = table
        self._fallback = unknown_model_prices(table)
        self._warned: set[str] = set()

    def has_price(self, model: str) -> bool:
        return model in self._table

    def cost(self, usage: TokenUsage, model: str) -> float:
        prices = prices_for(model, self._table)
        if prices is None:
            if model not in self._warned:
                self._warned.add(model)
                log.warning(NO_PRICE, model=model)
            prices = self._fallback
        return cost_usd(usage, prices)


NO_PRICE = (
    "no list price for this model: its calls are priced at the dearest rates known (set "
    "CTS_AGENT_PRICES to price it)"
)


def usage_summary(usage: TokenUsage, *, cost: float) -> Usage:
    return Usage(
        input_tokens=usage.input,
        output_tokens=usage.output,
        cache_read_tokens=usage.cache_read,
        cache_write_tokens=usage.cache_write,
        cost_usd=round(cost, 6),
    )
