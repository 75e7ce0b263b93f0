"""Agent-runner settings (``CTS_`` environment variables, plus ``ANTHROPIC_API_KEY``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator

from cts_agent_runner.pricing import LIST_PRICES, Prices
from cts_runtime.settings import ServiceSettings

DEFAULT_MODEL = "claude-sonnet-5-5"
"""The newest Claude Sonnet id in the installed SDK's ``ModelParam`` list (anthropic 2.12)."""
WHOLE_FILE_TOKENS = 16_000
"""Room one reply needs besides its thinking: a whole test file in one write_file call."""

Effort = Literal["low", "medium", "high", "xhigh", "max"]


class AgentRunnerSettings(ServiceSettings):
    service_name: str = "agent-runner"
    max_in_flight: int = Field(
        default=128,
        ge=1,
        le=1024,
        description="Agent steps run at once (one per session): a step mostly waits for the "
        "model, so one replica holds many conversations",
    )

    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_API_KEY", "CTS_ANTHROPIC_API_KEY"),
        description="Never logged; any placeholder works against the scripted server",
    )
    anthropic_base_url: str | None = Field(
        default=None, description="None = the real API; the scripted server's URL in tests"
    )
    anthropic_max_retries: int = Field(
        default=1, ge=0, le=1,
        description="SDK retries of a call that failed before its reply began (each retry of a "
        "generation is billed again); after that the step's own transient handling takes over",
    )  # fmt: skip
    anthropic_idle_timeout_s: float = Field(
        default=120, gt=0, description="A streamed call that sends nothing for this long fails"
    )
    anthropic_connect_timeout_s: float = Field(
        default=15, gt=0, description="Opening the connection to the Messages API"
    )
    agent_progress_interval_s: float = Field(
        default=15, gt=0, description="How often a streaming call logs its progress"
    )

    agent_model: str = Field(default=DEFAULT_MODEL, description="When the command names none")
    agent_thinking: Literal["adaptive", "budget", "off"] = Field(
        default="adaptive",
        description="adaptive: the model decides how much to think; budget: extended thinking "
        "with agent_thinking_budget_tokens; off: thinking disabled (not every model allows it)",
    )
    agent_thinking_budget_tokens: int = Field(
        default=16_000, ge=1024, description="Thinking tokens per call with agent_thinking=budget"
    )
    agent_effort: Effort | None = Field(
        default=None, description="output_config.effort, for models that take it; None = the "
        "model's default",
    )  # fmt: skip
    agent_max_turns: int = Field(default=30, ge=1, le=200, description="Model calls per step")
    agent_max_output_tokens: int = Field(
        default=64_000, ge=4096, description="max_tokens of one call: thinking plus a whole file"
    )
    agent_max_session_cost_usd: float = Field(
        default=20.0, gt=0,
        description="The session's model spend when its request sets no max_cost_usd",
    )  # fmt: skip
    agent_deadline_s: float = Field(
        default=900, gt=0, description="Wall clock for one step's tool-use loop"
    )
    agent_prices: dict[str, Prices] = Field(
        default_factory=lambda: dict(LIST_PRICES),
        description="USD per million tokens by exact model id; entries given here are merged "
        "over the list prices",
    )

    agent_read_cap_bytes: int = Field(default=64 * 1024, ge=1024, description="One read_file")
    agent_write_cap_bytes: int = Field(default=256 * 1024, ge=1024, description="One write")
    agent_transcript_cap_bytes: int = Field(
        default=1024 * 1024, ge=16 * 1024, description="A step's stored transcript"
    )
    agent_transcript_tool_text_cap: int = Field(
        default=8000, ge=200, description="Tool results and written contents kept per block"
    )
    agent_checkpoint_cap_bytes: int = Field(
        default=8 * 1024 * 1024, ge=64 * 1024,
        description="A step's conversation kept verbatim after each turn, to resume from",
    )  # fmt: skip
    agent_rules_cap_bytes: int = Field(default=32 * 1024, ge=1024, description="Per rules file")

    claim_lease_s: float = Field(default=60, gt=0, description="A claim without renewal expires")
    claim_heartbeat_s: float = Field(default=15, gt=0, description="How often a claim renews")

    @field_validator("agent_prices", mode="before")
    @classmethod
    def _merge_over_list_prices(cls, value: Any) -> Any:
        return {**LIST_PRICES, **value} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _consistent(self) -> AgentRunnerSettings:
        if self.claim_heartbeat_s >= self.claim_lease_s:
            raise ValueError("claim_heartbeat_s must be shorter than claim_lease_s")
        if self.agent_thinking == "budget" and (
            self.agent_max_output_tokens < self.agent_thinking_budget_tokens + WHOLE_FILE_TOKENS
        ):
            raise ValueError(
                "agent_max_output_tokens must leave room for a whole file beside the thinking "
                f"budget: at least agent_thinking_budget_tokens + {WHOLE_FILE_TOKENS}"
            )
        return self

    def thinking_param(self) -> dict[str, Any]:
        if self.agent_thinking == "budget":
            return {"type": "enabled", "budget_tokens": self.agent_thinking_budget_tokens}
        if self.agent_thinking == "off":
            return {"type": "disabled"}
        return {"type": "adaptive"}

    def output_config(self) -> dict[str, Any] | None:
        return {"effort": self.agent_effort} if self.agent_effort else None
