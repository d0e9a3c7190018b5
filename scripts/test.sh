#!/usr/bin/env bash
# Installs what wireplan's tests need and runs every test, the real-runtime
# ones included. CI calls this through .ci/run; so can you.
#
#   scripts/test.sh            # everything
#   scripts/test.sh --fast     # skip installs; formatting, tests, benchmarks compile
#
# Debian packages are installed when running as root; tools from npm and
# PyPI go into .tools/ (git-ignored), never into the system.
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
[[ "${1:-}" == "--fast" ]] && fast=1

step() { printf '\n==> %s\n' "$*"; }

apt_packages=(chromium)

install_apt() {
    local missing=()
    for pkg in "${apt_packages[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        return
    fi
    if [[ $(id -u) -ne 0 ]]; then
        echo "error: the tests need these Debian packages: ${missing[*]}" >&2
        echo "       install them (sudo apt-get install ${missing[*]}) or run this script as root" >&2
        exit 1
    fi
    step "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# npm tools, pinned, into .tools/ (git-ignored).
# node-red: 4.1.x runs on Node 20 (5.x needs Node 22); >= 4.1.0 for `skipBodyParsing`.
npm_tools=(@microsoft/sarif-multitool@5.7.0 @microsoft/jest-sarif@1.0.0-beta.0 node-red@4.1.15)

install_npm() {
    local stamp=".tools/.installed-$(printf '%s\n' "${npm_tools[@]}" | sha256sum | cut -c1-16)"
    [[ -f "$stamp" ]] && return
    if ! command -v npm >/dev/null; then
        echo "error: the tests need npm (Node.js 20) to install ${npm_tools[*]}" >&2
        exit 1
    fi
    step "installing npm tools into .tools/: ${npm_tools[*]}"
    mkdir -p .tools
    [[ -f .tools/package.json ]] || echo '{"private": true}' > .tools/package.json
    (cd .tools && npm install --no-audit --no-fund --loglevel=error "${npm_tools[@]}")
    touch "$stamp"
}

if ((fast == 0)); then
    install_apt
    install_npm
fi

export WIREPLAN_TOOLS="$PWD/.tools"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The parser's differential fuzzing against the kdl crate gets a larger
# budget here than in a plain `cargo test` (inputs per generator).
export WIREPLAN_FUZZ_CASES="${WIREPLAN_FUZZ_CASES:-10000}"

step "formatting"
cargo fmt --check

step "tests"
cargo test --locked --all-features

step "benchmarks compile"
cargo check --locked --benches
