#!/bin/sh
# Runs wireplan's whole test suite, first installing what the end-to-end
# tests drive: Chromium renders the `wireplan plan --html` page (set
# WIREPLAN_CHROMIUM to use another binary). Arguments go to `cargo test`.
set -eu

cd "$(dirname "$0")/.."

if [ -z "${WIREPLAN_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
    echo "scripts/test.sh: installing chromium (Debian package) for the HTML report test" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
fi

exec cargo test "$@"
