#!/usr/bin/env bash
# Builds the Pulumi CLI for the end-to-end tests, at the version .pulumi-version pins (the one the
# workflows install; tests/engine/pulumi/go.mod requires the same),
# into a cache folder outside the repository:
#   ${AKEYLESS_GATEWAY_ORG_CACHE:-~/.cache/akeyless-gateway-org}/pulumi-<version>/bin/ (e.g. pulumi-v3.274.1)
# holding `pulumi` (the real CLI, from github.com/pulumi/pulumi/pkg/v3/cmd/pulumi),
# `pulumi-language-python` (tests/engine/pulumi/languagehost: Pulumi's own Python host is not
# served by the Go module proxy: see languagehost/main.go) and the Python SDK's scripts that
# ship in the sdk/v3 module at the same version: the exec shim and the dynamic-provider plugin.
# Does nothing when that folder is complete. Prints the folder on stdout, the time on stderr.
#
# pkg/go.mod has `replace` directives, which `go install pkg@version` refuses; the wrapper
# module tests/engine/pulumi requires pkg/v3 and sdk/v3 at the same version and repeats the one
# replace that matters outside the pulumi repository (atotto/clipboard; the other one,
# sdk/v3 => ../sdk, is what requiring sdk/v3 at the same version stands for).
set -euo pipefail

module_dir="$(cd "$(dirname "$0")/pulumi" && pwd)"
export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null; then
  echo "build-pulumi: no Go toolchain (go) on PATH or in /usr/local/go/bin" >&2
  exit 1
fi

# One version for the workflows and these tests: .pulumi-version; go.mod must require it.
version="v$(tr -d '[:space:]' < "$module_dir/../../../.pulumi-version")"
required="$(cd "$module_dir" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
if [[ "$required" != "$version" ]]; then
  echo "build-pulumi: .pulumi-version is $version but $module_dir/go.mod requires $required;" \
    "update go.mod (go get github.com/pulumi/pulumi/pkg/v3@$version sdk/v3@$version, go mod tidy)" >&2
  exit 1
fi
cache_root="${AKEYLESS_GATEWAY_ORG_CACHE:-$HOME/.cache/akeyless-gateway-org}"
bin="$cache_root/pulumi-$version/bin"
wanted=(pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)

complete=true
for file in "${wanted[@]}"; do
  [[ -x "$bin/$file" ]] || complete=false
done
if $complete; then
  echo "build-pulumi: Pulumi $version already built in $bin" >&2
  echo "$bin"
  exit 0
fi

start=$SECONDS
mkdir -p "$cache_root"
staging="$(mktemp -d "$cache_root/.pulumi-$version.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/bin"

# The version both binaries report (the CLI's release builds stamp it the same way).
ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
(
  cd "$module_dir"
  go build -ldflags "$ldflags" -o "$staging/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  go build -ldflags "$ldflags" -o "$staging/bin/pulumi-language-python" ./languagehost
)
sdk_dir="$(cd "$module_dir" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$staging/bin/"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$staging/bin/"

rm -rf "$cache_root/pulumi-$version"
chmod 0755 "$staging"
mv "$staging" "$cache_root/pulumi-$version"
trap - EXIT
echo "build-pulumi: built Pulumi $version in $bin in $((SECONDS - start)) s" >&2
echo "$bin"
