"""``SessionRequested``: a client asks CTS to write tests for one component."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from cts_contracts import naming
from cts_contracts.credentials import userinfo_problem
from cts_contracts.enums import Expect
from cts_contracts.envelope import CloudEvent, Contract, Scoped
from cts_contracts.fields import ModuleName, RelativePath, ShortText, Text
from cts_contracts.test_command import TestCommand

SESSION_REQUESTED_TYPE: Final = "dev.cts.session.requested.v1"

LabelKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,63}$")]
"""No '.' or '$': label keys become document keys, which MongoDB-compatible stores restrict."""
ComponentType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]


def _check_ref(value: str) -> str:
    if value.startswith("-") or ".." in value or value.endswith((".lock", "/", ".")):
        raise ValueError(f"not a usable git ref name: {value!r}")
    return value


GitRef = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9._/-]{1,200}$"), AfterValidator(_check_ref)
]


class SimilarComponent(Contract):
    """A component whose design, code and tests show the agent the project's patterns."""

    module_name: ModuleName
    design_file: RelativePath | None = Field(
        default=None, description="Default: docs/design/<module path>.md"
    )
    source_file: RelativePath | None = Field(
        default=None, description="Default: lib/<module path>.ex"
    )
    test_file: RelativePath | None = Field(
        default=None, description="Default: test/<module path>_test.exs"
    )


_EXAMPLE = "MyApp.Accounts.UserRepository"

DEFAULTED_FROM_MODULE_NAME: Final[dict[str, str]] = {
    "name": f"the last alias of module_name, e.g. {_EXAMPLE.rsplit('.', 1)[-1]}",
    "source_file": f"lib/<module path>.ex, e.g. {naming.source_file(_EXAMPLE)}",
    "design_file": f"docs/design/<module path>.md, e.g. {naming.design_file(_EXAMPLE)}",
    "parent_design_file": "the design_file of the enclosing module, e.g. "
    f"{naming.parent_design_file(_EXAMPLE)} (none for a one-alias module)",
    "test_file": f"test/<module path>_test.exs, e.g. {naming.test_file(_EXAMPLE)}",
    "fixture_file": "test/support/fixtures/<module path below the app alias>_fixtures.ex, e.g. "
    f"{naming.fixture_file(_EXAMPLE)}",
    "fixture_module": f"module_name + Fixtures, e.g. {naming.fixture_module(_EXAMPLE)}",
}
"""What a producer may leave out of ``component``, and what it becomes (for ``_EXAMPLE``)."""


def _describe_defaults(schema: dict[str, Any]) -> None:
    # The model fills these in before validation, so to a producer they are optional: the
    # committed schema says so, and says what each becomes.
    schema["required"] = [f for f in schema["required"] if f not in DEFAULTED_FROM_MODULE_NAME]
    schema["description"] = (
        "The component under test. Every path defaults from module_name (Phoenix conventions); "
        "<module path> is module_name with each alias underscored, e.g. "
        f"{_EXAMPLE} -> {naming.module_path(_EXAMPLE)}."
    )
    for field, default in DEFAULTED_FROM_MODULE_NAME.items():
        prop = schema["properties"][field]
        prop.pop("default", None)
        rule = prop.get("description", "")
        prop["description"] = f"{rule} Optional: defaults to {default}.".strip()


class Component(Contract):
    """The component under test. Paths default from ``module_name`` (Phoenix conventions)."""

    model_config = ConfigDict(json_schema_extra=_describe_defaults)

    name: ShortText = Field(description="Human name, e.g. UserRepository.")
    module_name: ModuleName
    type: ComponentType = Field(description="Selects rules, e.g. repository, context, schema")
    description: Text | None = None
    source_file: RelativePath
    design_file: RelativePath
    parent_design_file: RelativePath | None = None
    test_file: RelativePath
    fixture_file: RelativePath
    fixture_module: ModuleName
    similar_components: list[SimilarComponent] = Field(default_factory=list, max_length=10)

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_module_name(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or not isinstance(raw.get("module_name"), str):
            return raw
        module = raw["module_name"]
        defaults = {
            "name": module.rsplit(".", 1)[-1],
            "source_file": naming.source_file(module),
            "design_file": naming.design_file(module),
            "parent_design_file": naming.parent_design_file(module),
            "test_file": naming.test_file(module),
            "fixture_file": naming.fixture_file(module),
            "fixture_module": naming.fixture_module(module),
        }
        return {**defaults, **{k: v for k, v in raw.items() if v is not None}}


class Repository(Contract):
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="git URL (https, ssh, file when allowed), without credentials: a URL with "
        "user info (https://user:token@...) is refused; the git-committer holds the tokens",
    )
    base_ref: GitRef = "main"
    push: bool = False

    @model_validator(mode="after")
    def _no_option_or_transport_injection(self) -> Repository:
        if self.url.startswith("-"):
            raise ValueError("repository.url must not start with '-'")
        if "::" in self.url.split("/", 1)[0]:
            raise ValueError("repository.url must not use a '<transport>::' remote helper")
        if any(ch in self.url for ch in "\x00\n\r"):
            raise ValueError("repository.url must not contain control characters")
        problem = userinfo_problem(self.url)
        if problem is not None:
            raise ValueError(problem)
        return self


class SessionOptions(Contract):
    expect: Expect = Field(
        default=Expect.AUTO,
        description="red, green, none, or auto: red when the component's source_file is absent "
        "at the base ref, green when it is there (Initialize decides and records it)",
    )
    max_fix_attempts: int = Field(default=3, ge=0, le=10)
    alignment_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Share of the design's Test Assertions the tests must match; unset: the "
        "test-runner's CTS_ALIGNMENT_THRESHOLD (0.9)",
    )
    alignment_counts_extra_tests: bool | None = Field(
        default=None,
        description="Tests the design does not list lower the alignment score; unset: yes for "
        "CodeMySpec specs, no for CTS designs",
    )
    require_test_assertions: bool = Field(
        default=True,
        description="A design without Test Assertions fails Initialize; false: the tests are "
        "generated anyway, with a warning in the outcome and no alignment check",
    )
    model: ShortText | None = None
    max_cost_usd: float | None = Field(
        default=None,
        gt=0,
        le=100_000,
        description="Model spend in USD after which the session ends with an error; None = the "
        "agent-runner's default (CTS_AGENT_MAX_SESSION_COST_USD)",
    )
    test_command: TestCommand | None = None
    labels: dict[LabelKey, ShortText] = Field(default_factory=dict, max_length=20)


class SessionRequestedData(Scoped):
    request_id: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The client's idempotency key: the same key is the same session",
    )
    session_type: Literal["component_test"] = "component_test"
    project_description: Text | None = Field(
        default=None,
        description="What the project is, for the agent; default: the first paragraph of the "
        "repository's README",
    )
    component: Component
    repository: Repository
    options: SessionOptions = Field(default_factory=SessionOptions)

    @property
    def session_id(self) -> str:
        return naming.session_id_for(self.account_id, self.project_id, self.request_id)


class SessionRequested(CloudEvent):
    type: Literal["dev.cts.session.requested.v1"] = SESSION_REQUESTED_TYPE
    data: SessionRequestedData
