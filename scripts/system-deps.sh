#!/bin/sh
# System packages the test suite needs, installed as root by CI before the tests (Debian; idempotent).
#
# - Chromium and CJK fonts for the browser tests (tests/web/test_browser.py): failing to install them fails CI.
# - PostgreSQL with role geoplan (password geoplan, CREATEDB) and database geoplan_test for the store tests
#   against PostgreSQL: if it cannot be installed or started this only warns, and those tests skip.
# - fonts-noto-cjk (embedded in the PDF reports) and poppler-utils (pdftotext, pdffonts, pdftoppm check them in
#   tests/test_report.py): failing to install them fails CI.
#
# Usage: sudo sh scripts/system-deps.sh
set -eu

PG_USER=geoplan
PG_PASSWORD=geoplan
PG_DATABASE=geoplan_test

say() { printf 'system-deps: %s\n' "$*"; }
warn() { printf 'system-deps: WARNING: %s\n' "$*" >&2; }

APT_UPDATED=
apt_install() {
    if [ -z "$APT_UPDATED" ]; then
        apt-get update -q || return 1
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# --- Chromium (required) ---------------------------------------------------------------------------------------
if [ -x /usr/bin/chromium ]; then
    say "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    if ! installed fonts-noto-cjk; then
        apt_install fonts-noto-cjk || warn "could not install fonts-noto-cjk: Chinese text may render as boxes"
    fi
else
    say "installing chromium and fonts-noto-cjk"
    apt_install chromium fonts-noto-cjk || { echo "system-deps: ERROR: could not install chromium" >&2; exit 1; }
    [ -x /usr/bin/chromium ] || { echo "system-deps: ERROR: /usr/bin/chromium missing after install" >&2; exit 1; }
fi

# --- PDF reports (required): the CJK font they embed, and poppler's pdftotext/pdffonts/pdftoppm that check them ---
if ! installed fonts-noto-cjk; then
    say "installing fonts-noto-cjk"
    apt_install fonts-noto-cjk || { echo "system-deps: ERROR: could not install fonts-noto-cjk" >&2; exit 1; }
fi
if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdffonts >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
    say "installing poppler-utils"
    apt_install poppler-utils || { echo "system-deps: ERROR: could not install poppler-utils" >&2; exit 1; }
    command -v pdftotext >/dev/null 2>&1 || { echo "system-deps: ERROR: pdftotext missing after install" >&2; exit 1; }
fi
say "poppler-utils present: $(pdftotext -v 2>&1 | head -n 1)"

# --- PostgreSQL (optional) -------------------------------------------------------------------------------------
# Commands in a function called from an `if` do not stop on errors (set -e is off there): every step says `|| return`.
as_postgres() { su postgres -s /bin/sh -c "$1"; }

pg_online() { pg_lsclusters -h 2>/dev/null | awk '$4 == "online" { found = 1 } END { exit !found }'; }

postgres_setup() {
    if ! command -v pg_lsclusters >/dev/null 2>&1 || ! installed postgresql; then
        say "installing postgresql"
        apt_install postgresql || return 1
    fi
    if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
        version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
        say "creating cluster $version main"
        pg_createcluster "$version" main || return 1
    fi
    if ! pg_online; then
        cluster=$(pg_lsclusters -h | awk 'NR == 1 { print $1, $2 }')
        say "starting PostgreSQL cluster $cluster"
        # shellcheck disable=SC2086  # "VERSION NAME" splits into two arguments on purpose
        pg_ctlcluster $cluster start || service postgresql start || return 1
    fi
    tries=0
    until pg_isready -q -h 127.0.0.1 -p 5432; do
        tries=$((tries + 1))
        [ "$tries" -lt 30 ] || { warn "PostgreSQL does not answer on 127.0.0.1:5432"; return 1; }
        sleep 1
    done
    if [ "$(as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'\"")" != 1 ]; then
        say "creating role $PG_USER"
        as_postgres "psql -q -c \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\"" || return 1
    fi
    if [ "$(as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'\"")" != 1 ]; then
        say "creating database $PG_DATABASE"
        as_postgres "createdb -O $PG_USER $PG_DATABASE" || return 1
    fi
    say "PostgreSQL ready: postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:5432/$PG_DATABASE"
}

if ! postgres_setup; then
    warn "PostgreSQL is not available; the PostgreSQL store tests will be skipped"
fi
