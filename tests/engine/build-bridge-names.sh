#!/usr/bin/env bash
# Builds tests/engine/bridge_names (the Terraform-to-Pulumi name conversion of
# pulumi-terraform-bridge, at the version its go.mod requires) into a cache folder outside
# the repository, like build-pulumi.sh builds the CLI:
#   ${AKEYLESS_GATEWAY_ORG_CACHE:-~/.cache/akeyless-gateway-org}/bridge-names-<version>/bridge-names
# Does nothing when it is there. Prints the binary's path on stdout, the time on stderr.
# The conversion lives in the bridge's pkg/tfbridge (TerraformToPulumiNameV2); its
# implementation package is internal, so pkg/tfbridge is the smallest one a program may import.
set -euo pipefail

module_dir="$(cd "$(dirname "$0")/bridge_names" && pwd)"
export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null; then
  echo "build-bridge-names: no Go toolchain (go) on PATH or in /usr/local/go/bin" >&2
  exit 1
fi
version="$(cd "$module_dir" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi-terraform-bridge/v3)"
cache_root="${AKEYLESS_GATEWAY_ORG_CACHE:-$HOME/.cache/akeyless-gateway-org}"
binary="$cache_root/bridge-names-$version/bridge-names"
if [[ -x "$binary" ]]; then
  echo "build-bridge-names: already built at $binary" >&2
  echo "$binary"
  exit 0
fi
start=$SECONDS
mkdir -p "$cache_root/bridge-names-$version"
(cd "$module_dir" && go build -o "$binary.partial" .)
mv "$binary.partial" "$binary"
echo "build-bridge-names: built $binary in $((SECONDS - start)) s" >&2
echo "$binary"
