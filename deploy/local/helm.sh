#!/usr/bin/env bash
# A real helm binary for the chart tests, built with `go install` (the Go module proxy serves
# helm.sh/helm/v3), cached under .cache/bin like the local stack's FerretDB.
#
#   helm.sh install   build helm into .cache/bin once (later runs reuse it); prints its path
#   helm.sh path      print the path of the cached binary; exit 1 when it is not built yet
#   helm.sh <args>    run the cached helm (building it first if needed), e.g. helm.sh lint ...
#
# Settings (environment): CTS_HELM_VERSION (v3.22.0), CTS_CACHE_DIR (.cache).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${CTS_CACHE_DIR:-$repo/.cache}"
version="${CTS_HELM_VERSION:-v3.22.0}"
bin_dir="$cache/bin"
helm_bin="$bin_dir/helm"
stamp="$bin_dir/.helm-$version"

say() { printf '[helm] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

install_helm() {
  # The stamp names the version, so changing CTS_HELM_VERSION rebuilds instead of reusing.
  if [ -x "$helm_bin" ] && [ -f "$stamp" ]; then return; fi
  command -v go >/dev/null 2>&1 || die "Go 1.22 or newer is required to build helm"
  say "building helm $version with go install (first run only, 2-5 min)..."
  mkdir -p "$bin_dir"
  local tmp; tmp="$(mktemp -d "$bin_dir/.helm-build.XXXXXX")"
  # helm's release builds stamp their version and the Kubernetes version they default to (that
  # of their client-go) with -ldflags; a plain `go install` would claim Kubernetes 1.20 and
  # refuse charts that need newer. Read client-go's version from helm's own go.mod.
  local gomod kube_minor
  gomod="$(GOTOOLCHAIN=local go mod download -json "helm.sh/helm/v3@$version" \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  kube_minor="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod" | head -1)"
  [ -n "$kube_minor" ] || die "cannot read k8s.io/client-go's version from $gomod"
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version"
  local pkg
  for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
    ldflags="$ldflags -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$kube_minor"
  done
  # GOTOOLCHAIN=local: never download another Go toolchain (only module proxies are reachable).
  # CGO off: a static binary that does not depend on the machine's C library.
  if ! GOBIN="$tmp" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
      go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$version" >&2; then
    rm -rf "$tmp"; die "go install helm.sh/helm/v3/cmd/helm@$version failed"
  fi
  mv "$tmp/helm" "$helm_bin"
  rm -rf "$tmp"
  rm -f "$bin_dir"/.helm-v*
  touch "$stamp"
  say "helm ready: $helm_bin ($("$helm_bin" version --short 2>/dev/null || echo unknown))"
}

case "${1:-}" in
  install) install_helm; echo "$helm_bin" ;;
  path) if [ -x "$helm_bin" ] && [ -f "$stamp" ]; then echo "$helm_bin"; else exit 1; fi ;;
  "") echo "usage: $0 install|path|<helm arguments>" >&2; exit 2 ;;
  *) install_helm; exec "$helm_bin" "$@" ;;
esac
