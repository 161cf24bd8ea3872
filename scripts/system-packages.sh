#!/usr/bin/env bash
# The Debian packages the test suite needs, installed when they are missing and we may:
#   scripts/system-packages.sh            (make test: never fails, never prompts)
#   scripts/system-packages.sh --require  (CI: fails unless every package is installed)
#
# postgresql: make test-postgres; chromium and fonts-wqy-microhei: the browser tests;
# redis-server: the tests of shared rate limits; libpango-1.0-0 and libpangoft2-1.0-0:
# WeasyPrint's PDF receipts (with fonts-wqy-microhei for their Chinese). Missing packages are installed with apt-get
# when running as root or with passwordless sudo. Otherwise the script says which are missing
# and the command that installs them, and the tests needing them are skipped (pytest lists them
# at the end of its run). Nothing touches the network when every package is present.
set -euo pipefail

PACKAGES=(postgresql chromium fonts-wqy-microhei redis-server libpango-1.0-0 libpangoft2-1.0-0)

require=
case "${1:-}" in
    "") ;;
    --require) require=1 ;;
    *)
        echo "usage: $0 [--require]" >&2
        exit 2
        ;;
esac

# Without --require a problem is reported and the suite runs anyway (its tests skip).
give_up() {
    if [ -n "$require" ]; then
        exit 1
    fi
    exit 0
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system packages: not a Debian system; the suite wants ${PACKAGES[*]} (tests needing them are skipped)" >&2
    give_up
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "system packages: ${PACKAGES[*]} installed"
    exit 0
fi

INSTALL="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "system packages missing: ${missing[*]}" >&2
    echo "install them with: sudo $INSTALL" >&2
    echo "(tests that need them are skipped)" >&2
    give_up
fi

echo "system packages: installing ${missing[*]}"
# env: sudo does not pass DEBIAN_FRONTEND on; </dev/null: apt never waits for an answer.
apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
if ! { "${apt[@]}" update </dev/null && \
    "${apt[@]}" install -y --no-install-recommends "${missing[@]}" </dev/null; }; then
    echo "system packages: installing ${missing[*]} failed; install them with: sudo $INSTALL" >&2
    echo "(tests that need them are skipped)" >&2
    give_up
fi
