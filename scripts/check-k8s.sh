#!/usr/bin/env bash
# Offline checks of the Kubernetes deployment: render every overlay with `kubectl kustomize` (no cluster,
# no network), then run tests/deploy (strict schema validation against Kubernetes 1.30 and the
# invariants docs/operations.md relies on). Exits non-zero on any failure.
#
#   bash scripts/check-k8s.sh            (PYTHON=... to use another interpreter than .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
OVERLAYS=(dev prod prod-full prod-mtls)

if ! command -v kubectl >/dev/null 2>&1; then
  echo "check-k8s: kubectl is required (it renders the kustomize overlays offline)" >&2
  exit 1
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for overlay in "${OVERLAYS[@]}"; do
  if ! kubectl kustomize "deploy/k8s/overlays/$overlay" >"$out/$overlay.yaml" 2>"$out/$overlay.err"; then
    echo "check-k8s: overlays/$overlay does not render:" >&2
    cat "$out/$overlay.err" >&2
    exit 1
  fi
  echo "rendered overlays/$overlay: $(grep -c '^kind:' "$out/$overlay.yaml") objects"
done

# CI=1: a missing kubectl or validator fails the tests instead of skipping them.
CI=1 "$PYTHON" -m pytest -q -p no:cacheprovider tests/deploy
