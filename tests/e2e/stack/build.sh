#!/usr/bin/env bash
# Builds the real servers the e2e tier runs against, from the Go module proxy, into a cache
# outside the repository keyed by version, so a second run builds nothing.
#   kube-apiserver, kubectl  (k8s.io/kubernetes, through a wrapper module: k/k cannot be
#                             `go install`ed because its go.mod replaces staging modules locally)
#   kube-controller-manager  (the same module and wrapper: garbage collection of owned objects
#                             and namespace deletion, so e2e tests both for real)
#   etcd                      (go.etcd.io/etcd/server/v3, same wrapper approach)
#   netbird-server, netbird   (github.com/netbirdio/netbird ./combined and ./client, CGO on)
#   helm                      (helm.sh/helm/v3)
#   promtool                  (github.com/prometheus/prometheus: the alert rules' tests)
# Usage: build.sh [--print-dir]   (NBACCESS_E2E_CACHE overrides ~/.cache/nbaccess-e2e)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${NBACCESS_E2E_CACHE:-$HOME/.cache/nbaccess-e2e}
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=${CGO_ENABLED:-1}

kube_dir=$cache/kubernetes-$KUBERNETES_VERSION
kcm_dir=$cache/controller-manager-$KUBERNETES_VERSION
etcd_dir=$cache/etcd-$ETCD_VERSION
netbird_dir=$cache/netbird-$NETBIRD_VERSION
helm_dir=$cache/helm-$HELM_VERSION
promtool_dir=$cache/promtool-$PROMETHEUS_VERSION

if [ "${1:-}" = "--print-dir" ]; then
  echo "$cache"; exit 0
fi
command -v go >/dev/null || { echo "build.sh: no Go toolchain on PATH" >&2; exit 3; }
mkdir -p "$cache"

say() { printf '[build] %s\n' "$*" >&2; }
timed() {  # timed <label> <command...>: runs the command and reports its wall time
  local label=$1; shift
  local t0=$SECONDS
  "$@"
  say "$label built in $((SECONDS - t0))s"
}

# A throwaway module that requires $1@$2 and replaces every module that $1's go.mod requires
# at v0.0.0 (k/k's staging modules) with the published version $3 of that module.
wrapper_module() {
  local dir=$1 mod=$2 ver=$3 staging_ver=${4:-}
  rm -rf "$dir/src" && mkdir -p "$dir/src" && cd "$dir/src"
  go mod init nbaccess-e2e/wrapper >/dev/null 2>&1
  go mod edit -go=1.26.0 -require="$mod@$ver"
  if [ -n "$staging_ver" ]; then
    local gomod
    gomod=$(go mod download -json "$mod@$ver" | jq -r .GoMod)
    awk '$2 == "v0.0.0" && $1 ~ /^k8s\.io\// {print $1}' "$gomod" | sort -u | while read -r m; do
      go mod edit -replace="$m=$m@$staging_ver"
    done
  fi
}

# Version ldflags, so clients see a real version.
kube_stamp() {
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local stamp="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp="$stamp -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    stamp="$stamp -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$stamp"
}

# kube_wrapper <dir> <cmd...>: the k/k wrapper module with tools.go importing those commands.
kube_wrapper() {
  local dir=$1; shift
  wrapper_module "$dir" k8s.io/kubernetes "$KUBERNETES_VERSION" "v0.${KUBERNETES_VERSION#v1.}"
  { printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for cmd in "$@"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$cmd"; done
    printf ')\n'; } > tools.go
  go mod tidy >/dev/null
}

build_kubernetes() {
  kube_wrapper "$kube_dir" kube-apiserver kubectl
  go build -trimpath -ldflags "$(kube_stamp)" -o "$kube_dir/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  go build -trimpath -ldflags "$(kube_stamp)" -o "$kube_dir/bin/kubectl" k8s.io/kubernetes/cmd/kubectl
}

build_controller_manager() {
  kube_wrapper "$kcm_dir" kube-controller-manager
  go build -trimpath -ldflags "$(kube_stamp)" -o "$kcm_dir/bin/kube-controller-manager" \
    k8s.io/kubernetes/cmd/kube-controller-manager
}

build_etcd() {
  wrapper_module "$etcd_dir" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
  go mod tidy >/dev/null
  go build -trimpath -ldflags "-s -w" -o "$etcd_dir/bin/etcd" go.etcd.io/etcd/server/v3
}

build_netbird() {
  local src
  src=$(go mod download -json "github.com/netbirdio/netbird@$NETBIRD_VERSION" | jq -r .Dir)
  rm -rf "$netbird_dir/src" && mkdir -p "$netbird_dir" && cp -r "$src" "$netbird_dir/src"
  chmod -R u+w "$netbird_dir/src" && cd "$netbird_dir/src"
  # Only the desktop UI (client/ui) needs wails, and NetBird's go.mod replaces it with a fork
  # version the module proxy refuses (403); neither binary we build imports it.
  go mod edit -droprequire github.com/wailsapp/wails/v3 -dropreplace github.com/wailsapp/wails/v3
  local ld="-s -w -X github.com/netbirdio/netbird/version.version=${NETBIRD_VERSION#v}"
  go build -trimpath -ldflags "$ld" -o "$netbird_dir/bin/netbird-server" ./combined
  go build -trimpath -ldflags "$ld" -o "$netbird_dir/bin/netbird" ./client
  cd "$cache" && rm -rf "$netbird_dir/src"
}

build_helm() {
  wrapper_module "$helm_dir" helm.sh/helm/v3 "$HELM_VERSION"
  printf '//go:build tools\n\npackage tools\n\nimport _ "helm.sh/helm/v3/cmd/helm"\n' > tools.go
  go mod tidy >/dev/null
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    -o "$helm_dir/bin/helm" helm.sh/helm/v3/cmd/helm
}

build_promtool() {
  wrapper_module "$promtool_dir" github.com/prometheus/prometheus "$PROMETHEUS_VERSION"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/prometheus/prometheus/cmd/promtool"\n' > tools.go
  go mod tidy >/dev/null
  go build -trimpath -ldflags "-s -w" -o "$promtool_dir/bin/promtool" \
    github.com/prometheus/prometheus/cmd/promtool
}

# Each target is complete only when its marker exists, so an interrupted build is redone.
ensure() {
  local name=$1 dir=$2 fn=$3
  if [ -f "$dir/.complete" ]; then
    say "$name: cached in $dir"
    return
  fi
  say "$name: building into $dir"
  ( timed "$name" "$fn" )
  rm -rf "$dir/src"
  touch "$dir/.complete"
}

total0=$SECONDS
ensure "kubernetes $KUBERNETES_VERSION (kube-apiserver, kubectl)" "$kube_dir" build_kubernetes
ensure "kube-controller-manager $KUBERNETES_VERSION" "$kcm_dir" build_controller_manager
ensure "etcd $ETCD_VERSION" "$etcd_dir" build_etcd
ensure "netbird $NETBIRD_VERSION (netbird-server, netbird client)" "$netbird_dir" build_netbird
ensure "helm $HELM_VERSION" "$helm_dir" build_helm
ensure "promtool $PROMETHEUS_VERSION" "$promtool_dir" build_promtool
say "stack binaries ready in $cache ($((SECONDS - total0))s)"
