#!/bin/sh
# System packages the test suite needs beyond Python (docs/deploy.md is tested with the real
# nginx and Caddy from apt). One list, one place: add a package here when a test needs one.
#
#   sh scripts/system-packages.sh install   as root on Debian/Ubuntu: apt-get installs what is
#                                           missing; otherwise prints the command and goes on
#   sh scripts/system-packages.sh check     prints what is missing (exit 1 if anything is)
#
# Tests that need a missing package skip with one sentence, or fail when CI=true.
set -eu

# command-name:debian-package
NEEDED="nginx:nginx caddy:caddy sqlite3:sqlite3"

missing=""
for pair in $NEEDED; do
    command="${pair%%:*}"
    package="${pair#*:}"
    if ! command -v "$command" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$command" ]; then
        missing="$missing $package"
    fi
done

case "${1:-check}" in
check)
    if [ -n "$missing" ]; then
        echo "missing system packages:$missing (apt-get install$missing)"
        exit 1
    fi
    ;;
install)
    [ -z "$missing" ] && exit 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "Some tests will skip: install the system packages with: apt-get install$missing" >&2
        exit 0
    fi
    # Packages only: their services must not start (ports 80/443) on a test machine.
    policy=/usr/sbin/policy-rc.d
    added_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        added_policy=1
    fi
    status=0
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends $missing >/dev/null; } || status=$?
    [ -n "$added_policy" ] && rm -f "$policy"
    exit "$status"
    ;;
*)
    echo "usage: $0 check|install" >&2
    exit 2
    ;;
esac
