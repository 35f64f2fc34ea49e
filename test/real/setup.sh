#!/usr/bin/env bash
# npm run real:setup [-- NAME...] — builds the real servers and tools of the real-server tier from the Go
# modules pinned in test/real/go/*/go.mod (+ go.sum), into a cache outside the checkout, keyed by
# the pinned versions; copies the pinned CRDs. Builds only what is missing and says what it did.
#
# It downloads nothing but Go modules (through the Go module proxy). Environment:
#   CKG_REAL_CACHE   cache folder (default ~/.cache/consul-k8s-gitops/real)
# Afterwards $CKG_REAL_CACHE/bin holds consul, etcd, kube-apiserver, kubectl, kustomize, helm and
# $CKG_REAL_CACHE/crds the CRD files. With NAMEs, only those tools are set up (no CRDs).
set -euo pipefail
only=" $* "

here=$(cd "$(dirname "$0")" && pwd)
cache=${CKG_REAL_CACHE:-$HOME/.cache/consul-k8s-gitops/real}
mkdir -p "$cache/bin" "$cache/store" "$cache/crds" "$cache/logs"

fail() { echo "real:setup: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 ||
  fail "the Go toolchain is needed to build the real servers: 'go' is not on PATH (install Go 1.26+)"
go_version=$(go env GOVERSION)

# The checksum database has no record of this Consul submodule version; its hash is pinned in
# test/real/go/consul/go.sum, which the go command checks instead.
export GONOSUMDB=github.com/hashicorp/consul/envoyextensions
# Builds are pinned by go.mod/go.sum: never let the go command edit them.
export GOFLAGS=-mod=readonly

# A failed go command: say whether the module proxy was the cause, then show the log tail.
explain_failure() {
  local what=$1 log=$2
  if grep -qE 'dial tcp|no such host|i/o timeout|connection refused|TLS handshake timeout|proxyconnect' "$log"; then
    echo "real:setup: the Go module proxy ($(go env GOPROXY)) is not reachable while $what" >&2
  else
    echo "real:setup: $what failed" >&2
  fi
  tail -n 30 "$log" >&2
  exit 1
}

# version_of DIR MODULE: the version DIR/go.mod pins for MODULE.
version_of() {
  awk -v m="$2" '$1 == "require" { $1 = ""; $0 = $0 } $1 == m && $2 ~ /^v/ { print $2; exit }' "$1/go.mod"
}

# key_of DIR: a short hash of everything that decides the build output.
key_of() {
  { cat "$1"/go.mod "$1"/go.sum; find "$1" -maxdepth 1 -name '*.go' -exec cat {} +; echo "$go_version"; } |
    sha256sum | cut -c1-12
}

# name | folder under test/real/go | package to build | module whose version names the build | -X flags
tools=(
  "consul|consul|github.com/hashicorp/consul|github.com/hashicorp/consul|"
  "etcd|etcd|.|go.etcd.io/etcd/server/v3|"
  "kube-apiserver|kube|k8s.io/kubernetes/cmd/kube-apiserver|k8s.io/kubernetes|k8s.io/component-base/version.gitVersion=@V k8s.io/component-base/version.gitMajor=@MAJOR k8s.io/component-base/version.gitMinor=@MINOR k8s.io/component-base/version.gitTreeState=clean"
  "kubectl|kube|k8s.io/kubernetes/cmd/kubectl|k8s.io/kubernetes|k8s.io/component-base/version.gitVersion=@V k8s.io/component-base/version.gitMajor=@MAJOR k8s.io/component-base/version.gitMinor=@MINOR k8s.io/client-go/pkg/version.gitVersion=@V k8s.io/client-go/pkg/version.gitMajor=@MAJOR k8s.io/client-go/pkg/version.gitMinor=@MINOR"
  "kustomize|kustomize|sigs.k8s.io/kustomize/kustomize/v5|sigs.k8s.io/kustomize/kustomize/v5|sigs.k8s.io/kustomize/api/provenance.version=@V"
  "helm|helm|helm.sh/helm/v3/cmd/helm|helm.sh/helm/v3|helm.sh/helm/v3/internal/version.version=@V"
)

start_all=$SECONDS
for row in "${tools[@]}"; do
  IFS='|' read -r name dir pkg module xflags <<<"$row"
  [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || continue
  moddir=$here/go/$dir
  version=$(version_of "$moddir" "$module")
  [ -n "$version" ] || fail "test/real/go/$dir/go.mod does not pin $module"
  target=$cache/store/$name-$version-$(key_of "$moddir")
  if [ -x "$target/$name" ]; then
    echo "real:setup: $name $version cached ($target)"
  else
    major=${version#v}; major=${major%%.*}
    minor=${version#v*.}; minor=${minor%%.*}
    ldflags="-s -w"
    for x in $xflags; do
      x=${x//@V/$version}; x=${x//@MAJOR/$major}; x=${x//@MINOR/$minor}
      ldflags="$ldflags -X $x"
    done
    log=$cache/logs/$name.log
    began=$SECONDS
    echo "real:setup: building $name $version (cold builds take minutes; log: $log)"
    mkdir -p "$target.tmp"
    (cd "$moddir" && go build -ldflags "$ldflags" -o "$target.tmp/$name" "$pkg") >"$log" 2>&1 ||
      explain_failure "building $name $version" "$log"
    rm -rf "$target" && mv "$target.tmp" "$target"
    echo "real:setup: built $name $version in $((SECONDS - began)) s"
  fi
  ln -sfn "$target/$name" "$cache/bin/$name"
done

[ "$only" = "  " ] || exit 0

# CRDs: download each pinned module (checked against go.sum) and copy the listed files.
crddir=$here/go/crds
log=$cache/logs/crds.log
declare -A module_dirs=()
while read -r module file; do
  case "$module" in '' | '#'*) continue ;; esac
  if [ -z "${module_dirs[$module]:-}" ]; then
    version=$(version_of "$crddir" "$module")
    [ -n "$version" ] || fail "test/real/go/crds/go.mod does not pin $module"
    dir=$(cd "$crddir" && go mod download -json "$module@$version" 2>"$log" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p') ||
      explain_failure "downloading $module $version" "$log"
    [ -n "$dir" ] || explain_failure "downloading $module $version" "$log"
    module_dirs[$module]=$dir
  fi
  [ -f "${module_dirs[$module]}/$file" ] || fail "$module has no $file"
  install -m 0644 "${module_dirs[$module]}/$file" "$cache/crds/$(basename "$file")"
done <"$crddir/crds.txt"
echo "real:setup: CRDs in $cache/crds ($(find "$cache/crds" -name '*.yaml' | wc -l) files)"
echo "real:setup: done in $((SECONDS - start_all)) s; binaries in $cache/bin"
