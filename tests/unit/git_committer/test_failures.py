"""git's messages sorted into the answers a person can act on."""

from __future__ import annotations

import pytest

from cts_git_committer.failures import FailureKind, GitError, classify, failure_from


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        ("remote: Repository not found.\nfatal: repository 'https://h/x.git/' not found",
         FailureKind.NOT_FOUND),
        ("fatal: '/srv/x.git' does not appear to be a git repository\n"
         "fatal: Could not read from remote repository.", FailureKind.NOT_FOUND),
        ("fatal: Authentication failed for 'https://h/x.git/'", FailureKind.AUTH),
        ("fatal: could not read Username for 'https://h': terminal prompts disabled",
         FailureKind.AUTH),
        ("git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.",
         FailureKind.AUTH),
        ("fatal: unable to access 'https://h/x.git/': The requested URL returned error: 403",
         FailureKind.AUTH),
        ("fatal: unable to access 'https://h/': Could not resolve host: h", FailureKind.NETWORK),
        ("fatal: unable to access 'https://h/': Failed to connect to h port 443",
         FailureKind.NETWORK),
        ("error: RPC failed; curl 56 GnuTLS recv error (-9)\nfatal: early EOF",
         FailureKind.NETWORK),
        ("fatal: unable to access 'https://h/': The requested URL returned error: 502",
         FailureKind.NETWORK),
        ("ssh: connect to host h port 22: Connection timed out", FailureKind.NETWORK),
        ("fatal: bad object HEAD", FailureKind.OTHER),
    ],
)  # fmt: skip
def test_classify(stderr: str, kind: FailureKind) -> None:
    assert classify(stderr) is kind


def test_only_network_failures_are_transient() -> None:
    answers = {
        kind: failure_from(GitError("fetch", "why", kind), what="https://h/x.git")
        for kind in FailureKind
    }
    assert [kind for kind, answer in answers.items() if answer.transient] == [FailureKind.NETWORK]
    assert answers[FailureKind.NOT_FOUND].summary == "repository not found"
    assert answers[FailureKind.AUTH].summary == "authentication failed"
    assert answers[FailureKind.OTHER].summary == "git fetch failed"
    assert answers[FailureKind.AUTH].message == (
        "authentication failed: fetch https://h/x.git: why"
    )
