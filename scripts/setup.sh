#!/usr/bin/env bash
# Prepare a Debian/Ubuntu machine for the ISP addons: everything except Odoo itself.
# Idempotent: a second run installs nothing and only makes sure PostgreSQL is up.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

# Odoo first: without it nothing else makes sense. (It prints the folder of the odoo package.)
odoo_path=$("$PYTHON" scripts/tasks.py check-odoo)

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "error: make setup installs Debian packages and needs root or sudo" >&2
    exit 1
fi

# Debian packages: PostgreSQL, wkhtmltopdf (invoice PDFs), Chromium (portal tours),
# fonts for the PDFs. Installed only when one is missing.
packages=(postgresql postgresql-client wkhtmltopdf chromium fonts-dejavu-core)
missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt_log=$(mktemp)
    if ! { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; \
        } >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        echo "error: apt-get could not install ${missing[*]} (full output in $apt_log)" >&2
        exit 1
    fi
    rm -f "$apt_log"
fi

# Python packages into the interpreter that imports odoo; the OCA addon wheels without their
# requirement on Odoo itself, which is installed already (their other requirements are in
# requirements.txt).
if ! "$PYTHON" scripts/tasks.py check-requirements; then
    echo "setup: installing Python packages from requirements.txt and requirements-odoo-addons.txt"
    if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
        echo "error: $PYTHON has no pip: install it (apt-get install python3-pip) or use a virtual environment with Odoo" >&2
        exit 1
    fi
    marker="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')/EXTERNALLY-MANAGED"
    if [ -f "$marker" ] && [ -z "${PIP_BREAK_SYSTEM_PACKAGES:-}" ]; then
        echo "error: $PYTHON is managed by the system: install the packages of requirements.txt with apt," \
            "run Odoo from a virtual environment (PYTHON=/path/to/venv/bin/python), or set PIP_BREAK_SYSTEM_PACKAGES=1" >&2
        exit 1
    fi
    "$PYTHON" -m pip install --quiet --disable-pip-version-check -r requirements.txt
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-odoo-addons.txt
fi
# The wheels install their addons under site-packages/odoo/addons/: `import odoo` must still find
# the Odoo found above, and their addons must import with it.
"$PYTHON" scripts/tasks.py check-odoo-addons --odoo="$odoo_path"

# PostgreSQL: start the local cluster when no server answers.
if ! pg_isready -q; then
    echo "setup: starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
        read -r version cluster _ < <(pg_lsclusters -h | head -n 1)
        "${SUDO[@]}" pg_ctlcluster "$version" "$cluster" start
    else
        "${SUDO[@]}" service postgresql start
    fi
    for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
    pg_isready -q || { echo "error: PostgreSQL did not start" >&2; exit 1; }
fi

# A database role for the user who runs Odoo (Odoo refuses to run as 'postgres').
role=$(id -un)
if [ "$role" = "postgres" ]; then
    echo "error: do not run Odoo as the 'postgres' user" >&2
    exit 1
fi
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
exists=$(as_postgres psql -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$role'")
if [ "$exists" != "1" ]; then
    echo "setup: creating PostgreSQL role $role"
    as_postgres createuser --superuser "$role"
fi

echo "setup: ready ($("$PYTHON" scripts/tasks.py odoo-version), $(psql -d postgres -tAc 'SHOW server_version' | cut -d' ' -f1) PostgreSQL, $(wkhtmltopdf --version | cut -d' ' -f2) wkhtmltopdf)"
