#!/usr/bin/env bash
# The Debian packages the test suite needs, installed when they are missing and we may:
#   scripts/system-packages.sh            (make test: never fails, never prompts)
#   scripts/system-packages.sh --require  (CI: fails unless every package is installed)
#
# postgresql: make test-postgres; chromium and fonts-wqy-microhei: the browser tests (and
# npm, when no npm is on the PATH: the accessibility test's axe-core, installed from the npm
# registry into tests/a11y);
# redis-server: the tests of shared rate limits; libpango-1.0-0 and libpangoft2-1.0-0:
# WeasyPrint's PDF receipts (with fonts-wqy-microhei for their Chinese). Missing packages are installed with apt-get
# when running as root or with passwordless sudo. Otherwise the script says which are missing
# and the command that installs them, and the tests needing them are skipped (pytest lists them
# at the end of its run). Nothing touches the network when every package is present.
set -euo pipefail

PACKAGES=(postgresql chromium fonts-wqy-microhei redis-server libpango-1.0-0 libpangoft2-1.0-0)
AXE_DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/a11y"

require=
case "${1:-}" in
    "") ;;
    --require) require=1 ;;
    *)
        echo "usage: $0 [--require]" >&2
        exit 2
        ;;
esac

# axe-core (tests/a11y/package.json, its lock file pinned) for the accessibility test, from
# the npm registry when it is not there yet.
install_axe() {
    if [ -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        echo "axe-core: npm missing; install it with: sudo apt-get install -y npm" >&2
        give_up
        return 0
    fi
    echo "axe-core: installing into tests/a11y"
    if ! (cd "$AXE_DIR" && npm ci --no-audit --no-fund --loglevel=error </dev/null); then
        echo "axe-core: npm ci failed; run: (cd tests/a11y && npm ci)" >&2
        give_up
    fi
}

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
# npm may come with Node.js from elsewhere than Debian (its nodejs then holds npm)
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi
if [ "${#missing[@]}" -eq 0 ]; then
    echo "system packages: ${PACKAGES[*]} installed"
    install_axe
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
install_axe
