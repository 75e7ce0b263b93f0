"""What Initialize settles from the base ref before any model is called: the design document
and the parent context's design exist (CTS's place, else CodeMySpec's), the design lists Test
Assertions (or the session allows it not to), and what ``expect: auto`` becomes.

Everything is read from the mirror's objects at the base commit (``ls-tree``, ``cat-file``),
never from a working tree: a link is reported as a link, and a huge blob is never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from cts_contracts import Expect
from cts_contracts.step_requested import StepRequestedData
from cts_design import DesignFormat, format_of, read_assertions
from cts_design.locations import design_candidates, parent_design_candidates, parent_is_optional
from cts_git_committer.failures import StepFailure
from cts_git_committer.git_process import Git

MAX_DESIGN_BYTES = 512 * 1024
REGULAR_MODES = ("100644", "100755")
HOW_TO_LIST = (
    "add a `## Test Assertions` section of `describe`/`test` items, or CodeMySpec's "
    "`**Test Assertions**:` list under each `### function/arity` section"
)


class Settled(BaseModel):
    """Initialize's answer about the inputs; kept in the session state for a redelivery."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expect: Expect
    design_file: str
    design_format: DesignFormat
    parent_design_file: str | None
    test_assertions: int
    warnings: list[str] = []


@dataclass(frozen=True)
class Entry:
    mode: str
    oid: str
    size: int

    @property
    def regular(self) -> bool:
        return self.mode in REGULAR_MODES


class BaseTree:
    """Files of one commit of a bare repository."""

    def __init__(self, git: Git, env: dict[str, str], gitdir: Path, sha: str) -> None:
        self._git, self._env, self._gitdir, self._sha = git, env, gitdir, sha

    async def entries(self, paths: list[str]) -> dict[str, Entry]:
        args = ["--literal-pathspecs", f"--git-dir={self._gitdir}", "ls-tree", "-l", "-z",
                self._sha, "--", *paths]  # fmt: skip
        output = await self._git.run("ls-tree", args, env=self._env)
        found: dict[str, Entry] = {}
        for record in output.stdout.decode("utf-8", "replace").split("\0"):
            meta, _, path = record.partition("\t")
            fields = meta.split()
            if len(fields) == 4:
                size = int(fields[3]) if fields[3].isdigit() else 0
                found[path] = Entry(fields[0], fields[2], size)
        return found

    async def text(self, entry: Entry) -> str:
        args = [f"--git-dir={self._gitdir}", "cat-file", "blob", entry.oid]
        output = await self._git.run("cat-file", args, env=self._env)
        return output.stdout.decode("utf-8", "replace")


def _first(candidates: list[str], entries: dict[str, Entry], what: str, ref: str) -> str | None:
    for path in candidates:
        entry = entries.get(path)
        if entry is not None and not entry.regular:
            raise StepFailure(
                f"{what} is not a regular file",
                f"{what} at {ref}: {path} is a symbolic link or a submodule, which CTS does not "
                "follow; commit the document itself",
            )
        if entry is not None:
            return path
    return None


def _not_found(what: str, candidates: list[str], ref: str, field: str) -> StepFailure:
    also = f" (nor CodeMySpec's {candidates[1]})" if len(candidates) > 1 else ""
    return StepFailure(
        f"{what} not found",
        f"{what} not found at {ref}: {candidates[0]}{also}; commit it, or name another with "
        f"component.{field}",
    )


async def settle(tree: BaseTree, command: StepRequestedData) -> Settled:
    """The inputs, or a ``StepFailure`` a person can act on, naming the ref and the path."""
    component, ref = command.component, command.repository.base_ref
    designs = design_candidates(component)
    parents = parent_design_candidates(component)
    entries = await tree.entries([*designs, *parents, component.source_file])
    design = _first(designs, entries, "design file", ref)
    if design is None:
        raise _not_found("design file", designs, ref, "design_file")
    parent = _first(parents, entries, "parent context design", ref)
    if parent is None and parents and not parent_is_optional(component):
        raise _not_found("parent context design", parents, ref, "parent_design_file")
    entry = entries[design]
    if entry.size > MAX_DESIGN_BYTES:
        raise StepFailure(
            "design file too large",
            f"design file at {ref}: {design} is {entry.size} bytes; the limit is "
            f"{MAX_DESIGN_BYTES}",
        )
    found = read_assertions(await tree.text(entry))
    listed = len(found.tests) if found else 0
    warnings: list[str] = []
    if listed == 0 and command.require_test_assertions:
        raise StepFailure(
            "design has no Test Assertions",
            f"{design} at {ref} lists no Test Assertions: {HOW_TO_LIST}; or set "
            "options.require_test_assertions to false to generate tests without them",
        )
    if listed == 0:
        warnings.append(
            f"{design} lists no Test Assertions: the tests were written without them and "
            "not checked for alignment"
        )
    expect = command.expect
    if expect is Expect.AUTO:
        source = entries.get(component.source_file)
        expect = Expect.GREEN if source is not None and source.regular else Expect.RED
    return Settled(
        expect=expect,
        design_file=design,
        design_format=format_of(design, found),
        parent_design_file=parent,
        test_assertions=listed,
        warnings=warnings,
    )
