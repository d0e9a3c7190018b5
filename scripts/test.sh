#!/usr/bin/env bash
# Installs what wireplan's tests need and runs every test, the real-runtime
# ones included. CI calls this through .ci/run; so can you.
#
#   scripts/test.sh            # everything
#   scripts/test.sh --fast     # skip installs; formatting, lints, tests, benchmarks compile
#
# Debian packages are installed when running as root; tools from npm and
# PyPI go into .tools/ (git-ignored), never into the system.
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
[[ "${1:-}" == "--fast" ]] && fast=1

step() { printf '\n==> %s\n' "$*"; }

apt_packages=(chromium neovim)

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
npm_tools=(@microsoft/sarif-multitool@5.7.0 @microsoft/jest-sarif@1.0.0-beta.0)

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

# The VS Code extension's packages (its client library and @vscode/vsce ^3,
# which packages it), pinned by its package-lock.json, into
# editors/vscode/node_modules (git-ignored).
install_vscode() {
    local stamp="editors/vscode/node_modules/.installed-$(cat editors/vscode/package.json editors/vscode/package-lock.json | sha256sum | cut -c1-16)"
    [[ -f "$stamp" ]] && return
    if ! command -v npm >/dev/null; then
        echo "error: the tests need npm (Node.js 20) to install the VS Code extension's packages" >&2
        exit 1
    fi
    step "installing the VS Code extension's npm packages into editors/vscode/node_modules"
    (cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
}

if ((fast == 0)); then
    install_apt
    install_npm
    install_vscode
fi

export WIREPLAN_TOOLS="$PWD/.tools"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A failing test says in one line what is wrong and how to fix it; a
# backtrace per panic buries that line (set RUST_BACKTRACE=1 to see them).
export RUST_BACKTRACE="${WIREPLAN_BACKTRACE:-0}"
# The parser's differential fuzzing against the kdl crate gets a larger
# budget here than in a plain `cargo test` (inputs per generator).
export WIREPLAN_FUZZ_CASES="${WIREPLAN_FUZZ_CASES:-10000}"

step "formatting"
cargo fmt --check

step "lints"
cargo clippy --locked --all-targets -- -D warnings

# The real-runtime tests (SARIF validators, Chromium, ...) are `#[ignore]`d
# in a plain `cargo test`, which needs nothing but Rust; here they run, and
# each fails in one line naming this script when its runtime is missing.
step "tests, the real-runtime ones included"
cargo test --locked --all-features -- --include-ignored

step "benchmarks compile"
cargo check --locked --benches
