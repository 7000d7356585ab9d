#!/usr/bin/env bash
# `make demo`: the operator's main job on a local default. Starts the real test stack
# (etcd, kube-apiserver, netbird-server; built on first use), installs the CRDs, runs
# `nbaccess run`, applies the guide's three-tier example and shows what converged.
# The stack and the operator keep running afterwards so you can poke at them; the last lines
# say how to stop them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=${PYTHON:-.venv/bin/python}
namespace=${DEMO_NAMESPACE:-orders-prod}
state=${NBACCESS_STACK_DIR:-$HOME/.cache/nbaccess-e2e/run}

if [ "${1:-}" = stop ]; then
  if [ -f "$state/operator.pid" ]; then kill "$(cat "$state/operator.pid")" 2>/dev/null || true; fi
  exec "$py" -m tests.e2e.stack down
fi

. tests/e2e/stack/versions.env
kubectl="$(bash tests/e2e/stack/build.sh --print-dir)/kubernetes-$KUBERNETES_VERSION/bin/kubectl"

echo "== starting the stack (state in $state)" >&2
eval "$("$py" -m tests.e2e.stack up)"
export KUBECONFIG NETBIRD_API_URL NETBIRD_API_TOKEN

echo "== installing the CRDs" >&2
"$kubectl" apply --server-side -f crds/ >/dev/null
"$kubectl" wait --for=condition=Established crd --all --timeout=60s >/dev/null

if [ -f "$state/operator.pid" ] && kill -0 "$(cat "$state/operator.pid")" 2>/dev/null; then
  echo "== the operator is already running (pid $(cat "$state/operator.pid"))" >&2
else
  echo "== starting the operator (log: $state/operator.log, metrics: :${NBACCESS_METRICS_PORT:-8080})" >&2
  NBACCESS_METRICS_PORT=${NBACCESS_METRICS_PORT:-8080} \
    nohup .venv/bin/nbaccess run --all-namespaces >"$state/operator.log" 2>&1 &
  echo $! >"$state/operator.pid"
fi

echo "== applying examples/three-tier to namespace $namespace" >&2
"$kubectl" create namespace "$namespace" --dry-run=client -o yaml | "$kubectl" apply -f - >/dev/null
"$kubectl" apply -n "$namespace" -f examples/three-tier/ >/dev/null
if ! "$kubectl" wait -n "$namespace" --for=condition=Ready netbird --all --timeout=180s >/dev/null; then
  echo "not everything became Ready; the operator log ends with:" >&2
  tail -n 30 "$state/operator.log" >&2
  "$kubectl" get netbird -n "$namespace" -o wide
  exit 1
fi
"$kubectl" get netbird -n "$namespace" -o wide
cat >&2 <<MSG

Done. The declared groups, posture checks and policies now exist in NetBird ($NETBIRD_API_URL).
  export KUBECONFIG=$KUBECONFIG
  $kubectl get netbird -n $namespace
  curl -s localhost:${NBACCESS_METRICS_PORT:-8080}/metrics | grep ^nbaccess_
Stop everything: make demo-stop
MSG
