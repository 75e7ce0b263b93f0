"""Bounded retries: network failures only, growing delays with jitter."""

from __future__ import annotations

import pytest

from cts_git_committer.backoff import Backoff
from cts_git_committer.failures import FailureKind, GitError


class Flaky:
    def __init__(self, failures: list[FailureKind]) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise GitError("fetch", "boom", self.failures.pop(0))
        return "done"


async def test_network_failures_are_retried_until_success() -> None:
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    flaky = Flaky([FailureKind.NETWORK, FailureKind.NETWORK])
    backoff = Backoff(attempts=3, first_delay_s=1.0, max_delay_s=30)
    assert await backoff.run(flaky, sleep=sleep) == "done"
    assert flaky.calls == 3
    assert 0.5 <= slept[0] <= 1.0
    assert 1.0 <= slept[1] <= 2.0


async def test_the_last_network_failure_is_raised_after_the_bound() -> None:
    async def sleep(delay: float) -> None:
        return None

    flaky = Flaky([FailureKind.NETWORK] * 5)
    with pytest.raises(GitError) as raised:
        await Backoff(attempts=3, first_delay_s=0).run(flaky, sleep=sleep)
    assert raised.value.kind is FailureKind.NETWORK
    assert flaky.calls == 3


@pytest.mark.parametrize("kind", [FailureKind.AUTH, FailureKind.NOT_FOUND, FailureKind.OTHER])
async def test_other_failures_are_not_retried(kind: FailureKind) -> None:
    flaky = Flaky([kind])
    with pytest.raises(GitError):
        await Backoff(attempts=5, first_delay_s=0).run(flaky)
    assert flaky.calls == 1


def test_delays_are_capped() -> None:
    backoff = Backoff(attempts=10, first_delay_s=2, max_delay_s=5)
    assert all(2.5 <= backoff.delay(retry) <= 5 for retry in range(3, 10))
