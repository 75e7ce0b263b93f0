"""What both steps share: settings, paths, locks, the git environment and the mirrors."""

from __future__ import annotations

from dataclasses import dataclass

from cts_contracts.naming import branch_name
from cts_contracts.step_requested import StepRequestedData
from cts_git_committer.backoff import Backoff
from cts_git_committer.failures import StepFailure
from cts_git_committer.git_env import GitEnvironment
from cts_git_committer.git_process import Git
from cts_git_committer.layout import Layout
from cts_git_committer.locks import Locks
from cts_git_committer.mirror import Mirrors
from cts_git_committer.redaction import Redactor
from cts_git_committer.remote_url import RemoteUrl, UrlRejected, credentials_in, parse_remote_url
from cts_git_committer.settings import GitCommitterSettings
from cts_git_committer.tenants import Tenants


@dataclass
class StepContext:
    settings: GitCommitterSettings
    layout: Layout
    locks: Locks
    env: GitEnvironment
    mirrors: Mirrors
    backoff: Backoff

    @classmethod
    def create(cls, settings: GitCommitterSettings, env: GitEnvironment) -> StepContext:
        layout, locks = Layout(settings.workspace_root), Locks()
        backoff = Backoff(
            settings.git_network_attempts,
            settings.git_retry_delay_s,
            settings.git_retry_max_delay_s,
        )
        return cls(settings, layout, locks, env, Mirrors(layout, locks, env, backoff), backoff)

    def url(self, command: StepRequestedData) -> RemoteUrl:
        """The command's repository, checked; with a tenants file, only one its tenant was
        given, carrying the tenant's credential."""
        try:
            url = parse_remote_url(
                command.repository.url, allow_file=self.settings.git_allow_file_urls
            )
        except UrlRejected as exc:
            raise StepFailure("repository URL rejected", str(exc)) from None
        tenants_file = self.settings.git_tenants_file
        if tenants_file is None:
            return url
        try:
            tenants = Tenants.load(tenants_file)
        except (OSError, ValueError) as exc:
            raise StepFailure("tenants configuration unusable",
                              f"CTS_GIT_TENANTS_FILE: {type(exc).__name__}") from None  # fmt: skip
        return tenants.resolve(command.account_id, command.project_id, url)

    def branch(self, command: StepRequestedData) -> str:
        expected = branch_name(command.component.name)
        if command.branch != expected:
            raise StepFailure(
                "unexpected branch name",
                f"the command names branch {command.branch!r} but component "
                f"{command.component.name!r} makes {expected!r}",
            )
        return expected

    def redactor(self, raw_url: str = "") -> Redactor:
        """Redacts the service token and whatever credentials ``raw_url`` carries."""
        return Redactor(self.env.secrets(*credentials_in(raw_url)))

    def git(self, url: RemoteUrl) -> Git:
        redact = Redactor(self.env.secrets(*url.secrets))
        return Git(redact, network_timeout_s=self.settings.git_command_timeout_s)
