#!/usr/bin/env bash
# buf breaking against the previous commit on main (the contracts must stay wire- and source-compatible).
# LIVETRUST_BREAKING_BASE overrides the git ref to compare against.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${LIVETRUST_BREAKING_BASE:-HEAD~1}"
if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
  echo "buf breaking: no $base to compare against (first commit); skipped"
  exit 0
fi
if ! git cat-file -e "$base:buf.yaml" 2>/dev/null; then
  echo "buf breaking: $base has no contracts yet; skipped"
  exit 0
fi
.tools/node_modules/.bin/buf breaking --against ".git#ref=$base"
echo "buf breaking: compatible with $base"
