"""Phoenix naming conventions: where a module's files live by default."""

from __future__ import annotations

import re
import uuid

_ACRONYM_BOUNDARY = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")

SESSION_NAMESPACE = uuid.UUID("6f1c7d2e-3b0a-4c59-9a57-2f0c1d8e4b11")
"""Fixed namespace so a session id is a pure function of its idempotency key."""


def underscore(segment: str) -> str:
    """Elixir's ``Macro.underscore`` for one alias: ``UserRepository`` -> ``user_repository``."""
    snake = _ACRONYM_BOUNDARY.sub(r"\1_\2", segment)
    return _WORD_BOUNDARY.sub(r"\1_\2", snake).lower()


def module_path(module_name: str) -> str:
    """``MyApp.Accounts.UserRepository`` -> ``my_app/accounts/user_repository``."""
    return "/".join(underscore(part) for part in module_name.split("."))


def source_file(module_name: str) -> str:
    return f"lib/{module_path(module_name)}.ex"


def test_file(module_name: str) -> str:
    return f"test/{module_path(module_name)}_test.exs"


def design_file(module_name: str) -> str:
    return f"docs/design/{module_path(module_name)}.md"


def parent_design_file(module_name: str) -> str | None:
    """The design of the enclosing context, e.g. ``MyApp.Accounts`` for a repository in it."""
    parts = module_name.split(".")
    if len(parts) < 2:
        return None
    return design_file(".".join(parts[:-1]))


def fixture_module(module_name: str) -> str:
    return f"{module_name}Fixtures"


def fixture_file(module_name: str) -> str:
    """Fixtures live under ``test/support/fixtures/`` mirroring the module path below the app."""
    parts = module_name.split(".")
    below_app = parts[1:] if len(parts) > 1 else parts
    return f"test/support/fixtures/{module_path('.'.join(below_app))}_fixtures.ex"


def branch_name(component_name: str) -> str:
    """``component-test-session-for-<sanitized name>``, safe as a git ref."""
    cleaned = re.sub(r"[^a-z0-9_-]", "-", component_name.lower())
    cleaned = re.sub(r"-+", "-", cleaned).strip("-")
    return f"component-test-session-for-{cleaned or 'component'}"


def session_id_for(account_id: str, project_id: str, request_id: str) -> str:
    """Deterministic session id: a re-published request is the same session, and a client
    knows the id to follow before the orchestrator has seen the request."""
    return str(uuid.uuid5(SESSION_NAMESPACE, f"{account_id}/{project_id}/{request_id}"))


def workspace_relpath(account_id: str, project_id: str, session_id: str) -> str:
    """Where executors find a session's working copy, relative to ``CTS_WORKSPACE_ROOT``."""
    return f"{account_id}/{project_id}/{session_id}"
