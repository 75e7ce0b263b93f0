"""Where a component's design documents are looked for at the base ref.

CTS's convention is ``docs/design/<module path>.md``; CodeMySpec keeps specs at
``docs/spec/<module path>.spec.md``. A path off the convention (one the request chose) is the
only one tried; the conventional one falls back to CodeMySpec's place when absent.
"""

from __future__ import annotations

from cts_contracts import Component, naming


def spec_file(module_name: str) -> str:
    """CodeMySpec's place: ``MyApp.Accounts`` -> ``docs/spec/my_app/accounts.spec.md``."""
    return f"docs/spec/{naming.module_path(module_name)}.spec.md"


def enclosing(module_name: str) -> str | None:
    parts = module_name.split(".")
    return ".".join(parts[:-1]) if len(parts) > 1 else None


def design_candidates(component: Component) -> list[str]:
    """The component's design document, in order of preference."""
    if component.design_file != naming.design_file(component.module_name):
        return [component.design_file]
    return [component.design_file, spec_file(component.module_name)]


def parent_design_candidates(component: Component) -> list[str]:
    parent = component.parent_design_file
    if parent is None:
        return []
    module = enclosing(component.module_name)
    if module is None or parent != naming.design_file(module):
        return [parent]
    return [parent, spec_file(module)]


def parent_is_optional(component: Component) -> bool:
    """A defaulted parent of a two-alias module is the application's own design
    (``docs/design/my_app.md`` for ``MyApp.Accounts``), which projects rarely write: it is
    left out when absent. Any other parent design must exist."""
    module = enclosing(component.module_name)
    return (
        module is not None
        and "." not in module
        and component.parent_design_file == naming.design_file(module)
    )
