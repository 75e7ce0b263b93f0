"""Cost estimates from the price table."""

from __future__ import annotations

import pytest

from cts_agent_runner.model import TokenUsage
from cts_agent_runner.pricing import cost_usd, prices_for, usage_summary
from cts_agent_runner.settings import DEFAULT_MODEL, AgentRunnerSettings, Prices


def test_the_longest_matching_prefix_prices_a_model() -> None:
    table = {
        "claude-sonnet": Prices(input=3, output=15, cache_read=0.3, cache_write=3.75),
        "claude-sonnet-5": Prices(input=4, output=16, cache_read=0.4, cache_write=4),
        "default": Prices(input=1, output=1, cache_read=1, cache_write=1),
    }
    assert prices_for("claude-sonnet-5-5", table).input == 4
    assert prices_for("claude-sonnet-4-6", table).input == 3
    assert prices_for("gpt", table).input == 1
    assert prices_for("gpt", {}).input == 0


def test_cost_counts_every_token_kind() -> None:
    prices = Prices(input=3, output=15, cache_read=0.3, cache_write=3.75)
    usage = TokenUsage(input=1_000_000, output=100_000, cache_read=2_000_000, cache_write=400_000)
    assert cost_usd(usage, prices) == pytest.approx(3 + 1.5 + 0.6 + 1.5)


def test_the_default_table_prices_the_default_model() -> None:
    settings = AgentRunnerSettings()
    summary = usage_summary(TokenUsage(input=1000, output=1000), model=DEFAULT_MODEL,
                            table=settings.agent_prices)  # fmt: skip
    assert summary.input_tokens == 1000
    assert summary.cost_usd == pytest.approx(0.018)
