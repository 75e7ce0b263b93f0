"""Initialize settles the inputs at the base ref before any model call, on real repositories:
a missing design or parent design, a design without Test Assertions, a link where a design
should be, CodeMySpec's spec place, and what expect=auto becomes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cts_contracts import Expect, InitializeData, ResultStatus, Step
from cts_contracts.naming import branch_name
from cts_contracts.step_requested import StepRequestedData
from cts_git_committer.service import GitSteps
from cts_testing.factories import step_request

from .conftest import Remote, git

SPEC = """# MyApp.Catalog.Products

## Functions

### list_products/1

**Test Assertions**:

- returns every product
- returns an empty list without products
"""


def initialize(remote: Remote, module: str, **overrides: Any) -> StepRequestedData:
    return step_request(
        Step.INITIALIZE,
        component={"module_name": module, "type": "repository"},
        repository={"url": remote.url, "base_ref": "main"},
        branch=branch_name(module.rsplit(".", 1)[-1]),
        **overrides,
    )


async def test_a_missing_design_fails_naming_the_ref_and_the_path(
    steps: GitSteps, remote: Remote, workspace_root: Path
) -> None:
    command = initialize(remote, "MyApp.Accounts.Nope")
    outcome = await steps(command)

    assert outcome.status is ResultStatus.ERROR
    assert outcome.summary == "design file not found"
    assert outcome.error_message == (
        "design file not found at main: docs/design/my_app/accounts/nope.md (nor CodeMySpec's "
        "docs/spec/my_app/accounts/nope.spec.md); commit it, or name another with "
        "component.design_file"
    )
    assert not (workspace_root / command.workspace).exists(), "nothing is checked out"


async def test_a_missing_parent_design_fails_and_the_applications_own_is_optional(
    steps: GitSteps, remote: Remote
) -> None:
    remote.commit_on("main", {"docs/design/my_app/billing/invoice.md": SPEC,
                              "docs/design/my_app/accounts.md": SPEC})  # fmt: skip
    outcome = await steps(initialize(remote, "MyApp.Billing.Invoice"))
    assert outcome.status is ResultStatus.ERROR
    assert (outcome.error_message or "").startswith(
        "parent context design not found at main: docs/design/my_app/billing.md"
    )
    context = await steps(initialize(remote, "MyApp.Accounts", expect=Expect.RED))
    assert context.status is ResultStatus.OK, context.error_message
    assert isinstance(context.data, InitializeData)
    assert context.data.parent_design_file is None


async def test_codemyspecs_spec_place_is_found_and_auto_becomes_red_or_green(
    steps: GitSteps, remote: Remote
) -> None:
    remote.commit_on("main", {"docs/spec/my_app/catalog/products.spec.md": SPEC,
                              "docs/spec/my_app/catalog.spec.md": "# MyApp.Catalog\n"})  # fmt: skip
    outcome = await steps(initialize(remote, "MyApp.Catalog.Products"))
    assert outcome.status is ResultStatus.OK, outcome.error_message
    data = outcome.data
    assert isinstance(data, InitializeData)
    assert (data.design_file, data.design_format, data.parent_design_file) == (
        "docs/spec/my_app/catalog/products.spec.md",
        "codemyspec",
        "docs/spec/my_app/catalog.spec.md",
    )
    assert (data.test_assertions, data.expect) == (2, Expect.RED)
    assert "expect red" in outcome.summary

    remote.commit_on(
        "main", {"lib/my_app/catalog/products.ex": "defmodule MyApp.Catalog.Products do\nend\n"}
    )
    again = await steps(initialize(remote, "MyApp.Catalog.Products"))
    assert isinstance(again.data, InitializeData)
    assert again.data.expect is Expect.GREEN


async def test_a_design_without_assertions_fails_unless_the_session_allows_it(
    steps: GitSteps, remote: Remote
) -> None:
    remote.commit_on("main", {"docs/design/my_app/accounts/plain.md": "# Plain\n\nNo list.\n"})
    strict = await steps(initialize(remote, "MyApp.Accounts.Plain"))
    assert strict.status is ResultStatus.ERROR
    assert (strict.error_message or "").startswith(
        "docs/design/my_app/accounts/plain.md at main lists no Test Assertions"
    )
    lenient = await steps(initialize(remote, "MyApp.Accounts.Plain", require_test_assertions=False))
    assert lenient.status is ResultStatus.OK, lenient.error_message
    assert isinstance(lenient.data, InitializeData)
    assert lenient.data.test_assertions == 0
    assert lenient.data.warnings == [
        "docs/design/my_app/accounts/plain.md lists no Test Assertions: the tests were written "
        "without them and not checked for alignment"
    ]


async def test_a_design_that_is_a_link_is_refused(steps: GitSteps, remote: Remote) -> None:
    clone = remote.path.with_name("linker")
    git("clone", "-q", "--template=", remote.url, str(clone))
    os.symlink("/etc/passwd", clone / "docs" / "design" / "my_app" / "accounts" / "linked.md")
    git("add", "-A", cwd=clone)
    git("commit", "-q", "-m", "a link", cwd=clone)
    git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=clone)

    outcome = await steps(initialize(remote, "MyApp.Accounts.Linked"))
    assert outcome.status is ResultStatus.ERROR
    assert "docs/design/my_app/accounts/linked.md is a symbolic link" in (
        outcome.error_message or ""
    )


async def test_a_redelivered_initialize_answers_what_it_settled(
    steps: GitSteps, remote: Remote
) -> None:
    command = initialize(remote, "MyApp.Accounts.UserRepository")
    first = await steps(command)
    second = await steps(command)
    assert "redelivered" in second.summary
    assert second.data == first.data
    assert isinstance(second.data, InitializeData)
    assert second.data.expect is Expect.RED
