"""What a fake executor answers for each step (the tests' executors and the benchmark's).

The answer is the example the step's contract model documents (``cts_core.steps`` says which
model a step answers with), so a new step needs no entry here and a fake answer can never
drift from the contract.
"""

from __future__ import annotations

import functools

from cts_contracts import Step, StepDataModel
from cts_core import kind_of


@functools.cache
def sample_data(step: Step) -> StepDataModel:
    """The documented example of ``step``'s data model, naming ``step`` (two steps may share
    a model)."""
    model = kind_of(step).result
    example = model.model_json_schema(mode="validation")["examples"][0]
    return model.model_validate({**example, "step": step.value})


def sample_summary(step: Step) -> str:
    return f"{kind_of(step).label} done (scripted)"
