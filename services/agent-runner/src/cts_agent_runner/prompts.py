"""What the model is told. The system prompt is the same for every session (so it caches); the
first user message carries the session's facts and the *paths* the model must read itself.

No session, account or project id is ever in a prompt: the model has no use for them, and
they would only make otherwise identical prompts differ.
"""

from __future__ import annotations

from cts_agent_runner.conversation import Message
from cts_agent_runner.project_context import ProjectContext
from cts_contracts import Expect, Step
from cts_contracts.step_requested import StepRequestedData

STEP_MARKER = "Step: {step}"
"""First line of every step prompt; the scripted server selects conversations by it."""

SYSTEM_PROMPT = """\
You are the test-writing agent of CTS (Component Test Sessions). You write ExUnit tests and \
fixture modules for one component of an Elixir/Phoenix project, working only through your \
file tools inside the session's workspace (a git working copy).

How you work:
- Read the design documents you are given by path before writing anything; read the parent \
context's design, the similar components and any existing code you need.
- Create a file with write_file; change part of a file with edit_file (an exact, unique \
string replaced). You may write only the session's test file, its fixture file and files \
under test/support/; any other write is refused.
- Follow the component design's Test Assertions exactly. They come in one of two formats.
  CTS's: one section listing describe and test names:

  ## Test Assertions

  - describe "create_user/1"
    - test "inserts a user with valid attributes"

  CodeMySpec's: a "### function/arity" section per function, each with its own list:

  ### create_user/1

  **Test Assertions**:
  - inserts a user with valid attributes

  Either way, write one `describe "fun/arity"` block per function, and inside it one \
`test "..."` per listed item, with exactly the listed text, in the listed order, and no other \
describe or test blocks: tests the design does not list count against you.
- Follow the rules below. CTS's built-in rules come first; the repository's own rules come \
after them and win wherever they disagree.
- Put reusable test data builders in the fixtures module and use them from the tests.
- When the files are written, answer with a short summary and stop calling tools.
"""


def _expectation(command: StepRequestedData) -> str:
    component = command.component
    if command.expect is Expect.RED:
        return (
            f"Mode red (TDD): {component.module_name} does not exist yet; the tests are written "
            "first. They must compile and fail only because the component is missing. Do not "
            f"create or change {component.source_file} or anything else under lib/."
        )
    if command.expect is Expect.GREEN:
        return (
            f"Mode green: {component.module_name} exists in {component.source_file}; read it. "
            "The tests must compile and pass against it."
        )
    return "Mode none: CTS will not run these tests; they must still compile."


def _project(context: ProjectContext) -> list[str]:
    if context.description is None:
        return []
    where = (
        ""
        if context.description_source == "the request"
        else (f" (from {context.description_source})")
    )
    return [f"Project{where}: {context.description}", ""]


def _similar(context: ProjectContext) -> list[str]:
    if not context.similar:
        return []
    lines = ["", "Similar components, for the project's own patterns (read what helps):"]
    for similar in context.similar:
        files = ", ".join(f"{what} {path}" for what, path in similar.files)
        lines.append(f"- {similar.module_name}: {files or 'none of its files exist yet'}")
    return lines


def generate_prompt(command: StepRequestedData, context: ProjectContext) -> str:
    component = command.component
    lines = [STEP_MARKER.format(step=Step.GENERATE_TESTS_AND_FIXTURES.value), ""]
    lines += _project(context)
    lines.append(f"Component: {component.name} ({component.module_name}), type {component.type}")
    if component.description:
        lines.append(f"Description: {component.description}")
    lines += ["", _expectation(command), "", "Read these files yourself (read_file):"]
    lines.append(f"- the component design: {component.design_file}")
    if component.parent_design_file:
        lines.append(f"- the parent context design: {component.parent_design_file}")
    if command.expect is Expect.GREEN:
        lines.append(f"- the component source: {component.source_file}")
    lines += _similar(context)
    lines += [
        "",
        "Write:",
        f"- the test file {component.test_file} (module {component.module_name}Test)",
        f"- the fixture module {component.fixture_module} in {component.fixture_file}",
        "",
        "Follow the rules in the system prompt and the design's Test Assertions exactly.",
    ]
    return "\n".join(lines)


def opening_messages(context: ProjectContext, command: StepRequestedData) -> list[Message]:
    """A conversation's first message: the generate prompt (a Fix without a stored
    conversation starts from it too)."""
    text = generate_prompt(command, context)
    return [{"role": "user", "content": [{"type": "text", "text": text}]}]


def fix_prompt(command: StepRequestedData) -> str:
    component = command.component
    errors = command.previous_errors or "(RunTests gave no report)"
    return "\n".join(
        [
            STEP_MARKER.format(step=Step.FIX_COMPILATION_ERRORS.value),
            f"Fix attempt {command.fix_attempt}: RunTests did not meet the "
            f"'{command.expect.value}' expectation. Its report:",
            "",
            "<run_tests_report>",
            errors,
            "</run_tests_report>",
            "",
            _expectation(command),
            f"Fix {component.test_file} and {component.fixture_file} (or other files under "
            "test/support/). Earlier file contents in this conversation may be shortened: read "
            "a file again before you change it, then change it with edit_file or write it in "
            "full with write_file. Keep following the design's Test Assertions. Answer with a "
            "short summary when done.",
        ]
    )
