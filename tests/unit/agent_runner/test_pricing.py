"""Costs from list prices keyed by exact model id: cache reads and both cache-write lifetimes
priced apart, Haiku 5.5's long-prompt rates, and models with no price priced on the safe side."""

from __future__ import annotations

import pytest

from cts_agent_runner.model import TokenUsage
from cts_agent_runner.pricing import LIST_PRICES, Pricer, Prices, cost_usd, prices_for

M = 1_000_000


def test_prices_are_found_by_exact_model_id_only() -> None:
    assert prices_for("claude-sonnet-5-5", LIST_PRICES) == Prices(
        input=2, cache_write=2.5, cache_write_1h=4, cache_read=0.10, output=10
    )
    assert prices_for("claude-sonnet-5", LIST_PRICES).cache_read == 0.20  # type: ignore[union-attr]
    assert prices_for("claude-opus-5-5", LIST_PRICES).input == 4  # type: ignore[union-attr]
    # No family prefix matching: a new id is not silently priced as a neighbour.
    assert prices_for("claude-sonnet-5-5-20270101", LIST_PRICES) is None
    assert prices_for("claude-sonnet", LIST_PRICES) is None


def test_every_token_kind_has_its_own_rate() -> None:
    sonnet = LIST_PRICES["claude-sonnet-5-5"]
    usage = TokenUsage(input=M, output=M, cache_read=M, cache_write=3 * M, cache_write_1h=M)
    # input 2 + output 10 + reads 0.10 + two million 5-minute writes at 2.50 + one 1-hour at 4
    assert cost_usd(usage, sonnet) == pytest.approx(2 + 10 + 0.10 + 5 + 4)


def test_a_long_haiku_5_5_prompt_is_priced_at_the_long_rates_on_every_token() -> None:
    haiku = LIST_PRICES["claude-haiku-5-5"]
    short = TokenUsage(input=60_000, output=10_000, cache_read=40_000)
    assert cost_usd(short, haiku) == pytest.approx((60_000 * 0.10 + 10_000 * 0.50
                                                    + 40_000 * 0.01) / M)  # fmt: skip
    long = TokenUsage(input=60_000, output=10_000, cache_read=40_001)
    assert cost_usd(long, haiku) == pytest.approx((60_000 * 0.50 + 10_000 * 2.50
                                                   + 40_001 * 0.05) / M)  # fmt: skip


def test_a_model_with_no_price_is_priced_at_the_dearest_rates_and_warned_about(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pricer = Pricer(LIST_PRICES)
    usage = TokenUsage(input=M, output=M)
    assert pricer.cost(usage, "claude-future-9") == pytest.approx(10 + 50)
    assert pricer.cost(usage, "claude-future-9") == pytest.approx(60)
    assert pricer.cost(usage, "claude-sonnet-5-5") == pytest.approx(12)
    logged = capsys.readouterr()
    assert (logged.out + logged.err).count("no list price") == 1
    assert not pricer.has_price("claude-future-9")
