#!/usr/bin/env bash
# Builds (or reuses) the pinned control-plane binaries for `pnpm e2e` and prints the directory
# that holds them. Usage: e2e/build.sh [--cached] kubernetes|kwok|argocd|cert-manager|external-secrets
# With --cached it builds nothing: it prints the directory and exits 0 when that build is cached,
# exits 1 otherwise (CI runs tier 2 only on a warm cache, docs/e2e.md).
# The cache lives outside the repository and is keyed by the component's version, the hash of its
# wrapper go.sum and the Go version, so a pin change rebuilds and an unchanged pin costs nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache_root="${ZT_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zt-eks-gitops/e2e}"
go_version="$(go env GOVERSION)"
cached_only=''
if [ "${1:-}" = --cached ]; then
  cached_only=1
  shift
fi
# not_cached <dir>: with --cached, exit 1 unless <dir> holds a complete build.
not_cached() { [ -z "$cached_only" ] || [ -f "$1/.complete" ] || exit 1; }

# key <module dir> <version> [file...]: <name>-<version>-<go>-<first 12 hex of sha256(go.mod +
# go.sum + the files named)>; name the module's own sources when they are more than imports.
key() {
  local sum mod="$1" version="$2"
  shift 2
  sum="$(cat "$mod/go.mod" "$mod/go.sum" "$@" | sha256sum | cut -c1-12)"
  printf '%s-%s-%s\n' "$(basename "$mod")" "$version" "$go_version-$sum"
}

# build_into <dir> <module dir> <ldflags> <package...>: go build every package into <dir>/bin,
# via a temporary directory renamed at the end so an interrupted build never looks finished.
build_into() {
  local dir="$1" mod="$2" ldflags="$3"
  shift 3
  not_cached "$dir"
  if [ -f "$dir/.complete" ]; then
    return 0
  fi
  local tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/bin"
  echo "e2e: building $(basename "$dir") (cold: 15-30 min on 2 cores; cached afterwards)" >&2
  local start=$SECONDS
  (cd "$mod" && go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$tmp/bin/" "$@") >&2
  # Argo CD's main package is .../cmd, so go build names its binary `cmd`.
  if [ -f "$tmp/bin/cmd" ]; then mv "$tmp/bin/cmd" "$tmp/bin/argocd"; fi
  echo "e2e: built $(basename "$dir") in $((SECONDS - start)) s" >&2
  touch "$tmp/.complete"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

case "${1:-}" in
kubernetes)
  mod="$here/go/kubernetes"
  version="$(cd "$mod" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
  major="${version#v}"; major="${major%%.*}"
  minor="${version#v*.}"; minor="${minor%%.*}"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  dir="$cache_root/$(key "$mod" "$version")"
  build_into "$dir" "$mod" "$ldflags" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl ./cmd/etcd
  echo "$dir/bin"
  ;;
argocd)
  # One binary; it acts as the component its file name (or ARGOCD_BINARY_NAME) names.
  mod="$here/go/argocd"
  version="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/argoproj/argo-cd/v3)"
  dir="$cache_root/$(key "$mod" "$version")"
  build_into "$dir" "$mod" "-s -w -X github.com/argoproj/argo-cd/v3/common.version=${version#v}" github.com/argoproj/argo-cd/v3/cmd
  echo "$dir/bin"
  ;;
cert-manager)
  # The webhook and a controller of cert-manager's own packages (tier 2): e2e/go/cert-manager.
  mod="$here/go/cert-manager"
  version="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/cert-manager/cert-manager)"
  dir="$cache_root/$(key "$mod" "$version" "$mod"/cert-manager-*/main.go)"
  build_into "$dir" "$mod" "-s -w" ./cert-manager-controller ./cert-manager-webhook
  echo "$dir/bin"
  ;;
external-secrets)
  # Tier 2: ESO's webhook/certcontroller command and a controller of its reconcilers
  # (e2e/go/external-secrets), from the module zip with the fake provider and generator only.
  mod="$here/go/external-secrets"
  version="$(awk '$1 == "github.com/external-secrets/external-secrets" && $2 ~ /^v/ { print $2; exit }' "$mod/go.mod")"
  dir="$cache_root/$(key "$mod" "$version" "$mod"/external-secrets*/main.go $(find "$mod/overrides" -type f | sort))"
  not_cached "$dir"
  if [ ! -f "$dir/.complete" ]; then
    # The zip as the module proxy serves it, checked against the checksum database (go mod
    # download verifies), then copied: files beneath GOMODCACHE can be neither edited nor overlaid.
    src="$(cd "$mod" && GOFLAGS=-mod=mod go mod download -json "github.com/external-secrets/external-secrets@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
    [ -d "$src" ] || { echo "error: e2e/build.sh: external-secrets $version: no module directory" >&2; exit 1; }
    rm -rf "$mod/.src"
    cp -r "$src" "$mod/.src"
    chmod -R u+w "$mod/.src"
    (cd "$mod/overrides" && find . -type f -exec cp {} "../.src/{}" \;)
  fi
  build_into "$dir" "$mod" "-s -w" ./external-secrets ./external-secrets-controller
  rm -rf "$mod/.src"
  echo "$dir/bin"
  ;;
kwok)
  version=v0.8.0
  dir="$cache_root/kwok-$version-$go_version"
  not_cached "$dir"
  if [ ! -f "$dir/.complete" ]; then
    echo "e2e: building kwok $version" >&2
    rm -rf "$dir.tmp.$$"
    GOBIN="$dir.tmp.$$/bin" go install "sigs.k8s.io/kwok/cmd/kwok@$version" >&2
    touch "$dir.tmp.$$/.complete"
    rm -rf "$dir"
    mv "$dir.tmp.$$" "$dir"
  fi
  echo "$dir/bin"
  ;;
*)
  echo "error: e2e/build.sh: unknown component '${1:-}' (expected kubernetes, argocd, cert-manager, external-secrets or kwok)" >&2
  exit 2
  ;;
esac
