# syntax=docker/dockerfile:1.7
# CTS: one image for the orchestrator, agent-runner and git-committer (target "runtime"), and a
# variant that also carries Elixir and Erlang for the test-runner (target "test-runner").
# Built from the repository root:
#   docker build --target runtime -t cts .
#   docker build --target test-runner -t cts-test-runner .
# Run a service: docker run cts orchestrator   (see deploy/docker/entrypoint.sh)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: a virtual environment with the services and their dependencies -------------------
FROM ${PYTHON_IMAGE} AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src

# Dependencies first: this layer changes only when uv.lock or a member's pyproject.toml does.
# Every workspace member's pyproject.toml must be here for uv to read the workspace.
COPY pyproject.toml uv.lock ./
COPY contracts/pyproject.toml contracts/
COPY libs/cts-core/pyproject.toml libs/cts-core/
COPY libs/cts-design/pyproject.toml libs/cts-design/
COPY libs/cts-store/pyproject.toml libs/cts-store/
COPY libs/cts-runtime/pyproject.toml libs/cts-runtime/
COPY libs/cts-testing/pyproject.toml libs/cts-testing/
COPY libs/cts-client/pyproject.toml libs/cts-client/
COPY libs/cts-demo/pyproject.toml libs/cts-demo/
COPY services/orchestrator/pyproject.toml services/orchestrator/
COPY services/agent-runner/pyproject.toml services/agent-runner/
COPY services/test-runner/pyproject.toml services/test-runner/
COPY services/git-committer/pyproject.toml services/git-committer/
ARG PACKAGES="--package cts-orchestrator --package cts-agent-runner --package cts-test-runner --package cts-git-committer --package cts-client"
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace ${PACKAGES}

# Then the code, installed non-editable: the runtime stage needs the environment only.
COPY contracts contracts
COPY libs libs
COPY services services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable ${PACKAGES}

# ---- runtime: slim, non-root, read-only friendly ----------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# git: the git-committer's clones and commits; tini: PID 1 that reaps git's and mix's children.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git tini ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 10001 cts \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin cts \
    && mkdir -p /workspace && chown 10001:10001 /workspace
COPY --from=build /app/.venv /app/.venv
COPY deploy/docker/entrypoint.sh /usr/local/bin/cts-entrypoint
# HOME on /tmp: the root filesystem is read-only in Kubernetes; /tmp is an emptyDir there.
ENV PATH=/app/.venv/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CTS_HTTP_HOST=0.0.0.0 \
    CTS_HTTP_PORT=8080 \
    CTS_WORKSPACE_ROOT=/workspace \
    CTS_LOG_FORMAT=json
WORKDIR /workspace
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=3 \
    CMD ["cts-entrypoint", "healthcheck", "/healthz"]
ENTRYPOINT ["tini", "--", "cts-entrypoint"]
CMD ["orchestrator"]

# ---- test-runner: the runtime plus Elixir and Erlang (Debian's packages), Hex and rebar3 -------
# bubblewrap is the sandbox every untrusted command runs in; setpriv (util-linux) is already
# there. The sandbox sees /usr, not /app: a pytest run uses this image's own python and pytest,
# and the loopback forwarder in front of every sandboxed command runs on this python too.
FROM runtime AS test-runner
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends elixir bubblewrap \
    && rm -rf /var/lib/apt/lists/* \
    && python -m pip install --no-cache-dir "pytest>=8,<9"
# Hex and rebar3 are installed now, at build time, into a MIX_HOME that every sandboxed
# command sees read-only (CTS_SANDBOX_READONLY_PATHS): at run time dependency fetches reach
# only the hosts the test-runner's proxy allows, and nothing may change the archives.
ENV MIX_HOME=/opt/mix
RUN mix local.hex --force \
    && mix local.rebar --force \
    && chmod -R a+rX,go-w /opt/mix
ENV CTS_SANDBOX_READONLY_PATHS=/opt/mix \
    LANG=C.UTF-8
USER 10001:10001
CMD ["test-runner"]
