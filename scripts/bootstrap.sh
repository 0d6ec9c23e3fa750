# Sourced by scripts/run and scripts/test: makes .venv with Kasa and its tools installed.
# Needs only Python 3.11+ and, on Debian/Ubuntu, apt for python3-venv when it is missing.
set -euo pipefail

KASA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KASA_VENV:-$KASA_ROOT/.venv}"

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "kasa: Python 3.11 or newer is needed" >&2
  return 1
}

apt_install() {
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
  else
    echo "kasa: please install $* with your package manager" >&2
    return 1
  fi
}

make_venv() {
  local python
  python="$(find_python)"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "kasa: making a virtual environment in $VENV" >&2
    if ! "$python" -m venv "$VENV" >/dev/null 2>&1; then
      rm -rf "$VENV"
      apt_install python3-venv
      "$python" -m venv "$VENV"
    fi
  fi
}

# install_kasa [extra]: installs the package (editable) with the pinned versions.
install_kasa() {
  local extra="${1:-}"
  make_venv
  local spec="$KASA_ROOT"
  [ -n "$extra" ] && spec="$KASA_ROOT[$extra]"
  echo "kasa: installing Kasa${extra:+ with its $extra tools} and its pinned libraries (a minute or two the first time)" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip 2>/dev/null || true
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    -c "$KASA_ROOT/requirements/constraints.txt" -e "$spec" 2>&1 |
    grep -v -e '^WARNING: Location' -e 'BuildBackendWarning' || true
  "$VENV/bin/python" -c 'import kasa' # fails loudly if the install did not work
}

have_mariadb() {
  local name
  for name in mariadbd mysqld; do
    command -v "$name" >/dev/null 2>&1 && return 0
    [ -x "/usr/sbin/$name" ] && return 0
  done
  return 1
}

# ensure_mariadb: the integration tests start a private MariaDB server from the OS
# packages (their own data folder and port); install the packages when missing.
ensure_mariadb() {
  [ -n "${KASA_TEST_MARIADB_URL:-}" ] && return 0
  have_mariadb && return 0
  echo "== installing mariadb-server from the OS packages (for the database tests)"
  if ! apt_install mariadb-server; then
    echo "kasa: could not install mariadb-server; the MariaDB tests cannot run" >&2
    return 1
  fi
}
