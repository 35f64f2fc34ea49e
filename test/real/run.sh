#!/usr/bin/env bash
# npm run test:real — the real-server tier: build what is missing, then run its suites.
# In CI (CI=true) nothing may skip: a missing toolchain fails the run. Elsewhere a machine without
# Go skips the whole tier with one line saying so.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v go >/dev/null 2>&1 && [ "${CI:-}" != "true" ]; then
  echo "real tier skipped: the Go toolchain (go) is not on PATH; it builds Consul and kube-apiserver (see test/README.md)"
  exit 0
fi
bash test/real/setup.sh
exec npx jest --config jest.real.config.js "$@"
