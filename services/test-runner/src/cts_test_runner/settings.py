"""Test-runner settings (``CTS_`` environment variables); safe local defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from cts_runtime.settings import ServiceSettings
from cts_test_runner.database_settings import DatabaseSettings
from cts_test_runner.dependency_settings import DependencySettings


class TestRunnerSettings(ServiceSettings, DependencySettings, DatabaseSettings):
    __test__ = False  # not a pytest test class

    service_name: str = "test-runner"
    test_timeout_s: float = Field(
        default=600, gt=0, description="Whole run (compile + tests); the process group is killed"
    )
    test_output_cap_bytes: int = Field(
        default=2 * 1024 * 1024, ge=4096, description="Output kept: the first and last halves"
    )
    test_env_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra variable names passed to the tests (comma-separated)",
    )
    test_concurrency: int = Field(default=1, ge=1, le=64, description="Runs at once per replica")
    max_in_flight: int = Field(
        default=0,
        ge=0,
        le=1024,
        description="RunTests commands taken at once; 0 (the default) means test_concurrency: "
        "a command taken beyond the slots would wait for one while its deadline runs",
    )
    test_runner: Literal["auto", "exunit", "pytest"] = Field(
        default="auto", description="auto: pytest for a .py test file, ExUnit otherwise"
    )
    test_build_cache: bool = Field(
        default=True, description="Reuse a per-project build under <workspace_root>/.build-cache"
    )
    test_warnings_as_errors: bool = Field(
        default=True, description="Compiler warnings in the generated files fail the run"
    )
    alignment_threshold: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="Share of the design's Test Assertions (describe/test pairs) the tests "
        "must match; below it the run is an error (a session's alignment_threshold wins)",
    )
    alignment_fail_on_unexpected: bool = Field(
        default=False, description="Tests the design does not list fail the run even above it"
    )

    test_max_starts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Starts of one RunTests that never finished (the runner died) before it is "
        "answered with an error instead of being run again",
    )
    sandbox: Literal["bubblewrap", "none"] = Field(
        default="bubblewrap",
        description="Where untrusted commands run; 'none' is for development machines only",
    )
    sandbox_uid: int = Field(
        default=65534, ge=1, description="User the sandbox runs as when the service is root"
    )
    sandbox_gid: int = Field(default=65534, ge=1, description="Its group")
    sandbox_readonly_paths: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Extra host paths the sandbox sees read-only at the same place "
        "(comma-separated; e.g. a Mix/Hex home baked into the image)",
    )
    sandbox_mount_proc: bool = Field(
        default=True,
        description="A /proc of the sandbox's own PID namespace (off where the cluster "
        "forbids mounting one)",
    )
    sandbox_scratch: Path | None = Field(
        default=None,
        description="Where each run's private copy of the working tree is made (default: the "
        "system temporary directory); never on the shared workspace volume",
    )

    @model_validator(mode="after")
    def _window_is_the_slots(self) -> Self:
        if self.max_in_flight == 0:
            self.max_in_flight = self.test_concurrency
        return self

    @field_validator("test_env_allow", "sandbox_readonly_paths", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value
