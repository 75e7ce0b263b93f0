"""CTS event contracts: versioned pydantic models (CloudEvents 1.0), topics, JSON Schemas."""

from cts_contracts.dead_letter import DeadLetter
from cts_contracts.enums import Executor, Expect, ResultStatus, SessionStatus, Step
from cts_contracts.envelope import CloudEvent
from cts_contracts.session_finished import Outcome, SessionFinished, SessionFinishedData
from cts_contracts.session_requested import (
    Component,
    Repository,
    SessionOptions,
    SessionRequested,
    SessionRequestedData,
    SimilarComponent,
)
from cts_contracts.step_completed import (
    AgentData,
    Alignment,
    Diagnostic,
    FinalizeData,
    InitializeData,
    PrepareProjectData,
    RunTestsData,
    StepCompleted,
    StepCompletedData,
    StepData,
    StepDataModel,
    TestCase,
    Toolchain,
    Usage,
)
from cts_contracts.step_requested import StepRequested, StepRequestedData

__all__ = [
    "AgentData",
    "Alignment",
    "CloudEvent",
    "Component",
    "DeadLetter",
    "Diagnostic",
    "Executor",
    "Expect",
    "FinalizeData",
    "InitializeData",
    "Outcome",
    "PrepareProjectData",
    "Repository",
    "ResultStatus",
    "RunTestsData",
    "SessionFinished",
    "SessionFinishedData",
    "SessionOptions",
    "SessionRequested",
    "SessionRequestedData",
    "SessionStatus",
    "SimilarComponent",
    "Step",
    "StepCompleted",
    "StepCompletedData",
    "StepData",
    "StepDataModel",
    "StepRequested",
    "StepRequestedData",
    "TestCase",
    "Toolchain",
    "Usage",
]
