"""Agent-runner settings (``CTS_`` environment variables, plus ``ANTHROPIC_API_KEY``)."""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, Field, SecretStr, model_validator

from cts_runtime.settings import ServiceSettings

DEFAULT_MODEL = "claude-sonnet-5-5"
"""The newest Claude Sonnet id in the installed SDK's ``ModelParam`` list (anthropic 2.12)."""


class Prices(BaseModel):
    """USD per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float = Field(ge=0)
    cache_write: float = Field(ge=0)


def _default_prices() -> dict[str, Prices]:
    # List prices per model family at the time of writing; estimates, so configurable
    # (CTS_AGENT_PRICES='{"claude-sonnet": {"input": 3, ...}}'). The longest matching prefix
    # of the model id wins; "default" covers the rest.
    return {
        "claude-sonnet": Prices(input=3, output=15, cache_read=0.3, cache_write=3.75),
        "claude-opus": Prices(input=5, output=25, cache_read=0.5, cache_write=6.25),
        "claude-haiku": Prices(input=1, output=5, cache_read=0.1, cache_write=1.25),
        "default": Prices(input=3, output=15, cache_read=0.3, cache_write=3.75),
    }


class AgentRunnerSettings(ServiceSettings):
    service_name: str = "agent-runner"

    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_API_KEY", "CTS_ANTHROPIC_API_KEY"),
        description="Never logged; any placeholder works against the scripted server",
    )
    anthropic_base_url: str | None = Field(
        default=None, description="None = the real API; the scripted server's URL in tests"
    )
    anthropic_max_retries: int = Field(
        default=4, ge=0, le=10, description="SDK retries of 408/409/429/5xx/connection errors"
    )
    anthropic_timeout_s: float = Field(default=300, gt=0, description="One API request")

    agent_model: str = Field(default=DEFAULT_MODEL, description="When the command names none")
    agent_max_turns: int = Field(default=30, ge=1, le=200, description="Model calls per step")
    agent_max_output_tokens: int = Field(default=16_000, ge=256, description="Per model call")
    agent_max_step_tokens: int = Field(
        default=3_000_000, ge=1000, description="All tokens billed in one step (the budget)"
    )
    agent_deadline_s: float = Field(
        default=900, gt=0, description="Wall clock for one step's tool-use loop"
    )
    agent_prices: dict[str, Prices] = Field(
        default_factory=_default_prices,
        description="USD per million tokens by model-id prefix (longest match wins, "
        "'default' for the rest), for the cost in results",
    )

    agent_read_cap_bytes: int = Field(default=64 * 1024, ge=1024, description="One read_file")
    agent_write_cap_bytes: int = Field(default=256 * 1024, ge=1024, description="One write")
    agent_transcript_cap_bytes: int = Field(
        default=1024 * 1024, ge=16 * 1024, description="A step's stored transcript"
    )
    agent_transcript_tool_text_cap: int = Field(
        default=8000, ge=200, description="Tool results and written contents kept per block"
    )
    agent_rules_cap_bytes: int = Field(default=32 * 1024, ge=1024, description="Per rules file")

    claim_lease_s: float = Field(default=60, gt=0, description="A claim without renewal expires")
    claim_heartbeat_s: float = Field(default=15, gt=0, description="How often a claim renews")

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> AgentRunnerSettings:
        if self.claim_heartbeat_s >= self.claim_lease_s:
            raise ValueError("claim_heartbeat_s must be shorter than claim_lease_s")
        return self
