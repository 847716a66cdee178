#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs OneTrip with the pinned versions of
# requirements/constraints.txt. Re-runs only when pyproject.toml or the constraints change.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp="$venv/.onetrip-installed"
extras="${ONETRIP_EXTRAS:-test}"

is_py310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

# Candidates in order: $PYTHON, python3.10 on PATH (a pyenv shim may exist without being
# usable), then pyenv's own 3.10 installs, newest first.
find_python() {
    local candidate
    for candidate in ${PYTHON:-} "$(command -v python3.10 || true)" \
        $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python 2>/dev/null | sort -rV); do
        if [ -n "$candidate" ] && is_py310 "$candidate"; then echo "$candidate"; return 0; fi
    done
    return 1
}

if [ -x "$venv/bin/python" ] && ! is_py310 "$venv/bin/python"; then
    echo "bootstrap: .venv is not Python 3.10; recreating it" >&2
    rm -rf "$venv"
fi

if [ ! -x "$venv/bin/python" ]; then
    if ! python=$(find_python); then
        cat >&2 <<'MSG'
OneTrip needs Python 3.10 (Rasa Open Source 3.6, the last open-source Rasa, supports no newer
Python), and none was found: not as `python3.10` on PATH, not under pyenv (~/.pyenv/versions/3.10.*).
Install it with `pyenv install 3.10` (or your distribution's python3.10 and python3.10-venv
packages), or point PYTHON at a Python 3.10 interpreter, e.g. `make run PYTHON=/opt/py310/bin/python`.
MSG
        exit 3
    fi
    echo "bootstrap: creating .venv with $("$python" --version 2>&1) ($python)"
    "$python" -m venv "$venv"
    rm -f "$stamp"
fi

# The web widget's browser dependency (socket.io-client, served by the hall at
# /widget/socket.io.min.js) from package-lock.json; node_modules/ is git-ignored.
npm_stamp=node_modules/.onetrip-installed
npm_want=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$npm_want" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "bootstrap: installing the web widget's socket.io client (npm ci)"
        npm ci --no-audit --no-fund --loglevel=error
        echo "$npm_want" > "$npm_stamp"
    else
        echo "bootstrap: npm not found; skipping the web widget's socket.io client" \
             "(install Node.js/npm and re-run to use the widget at /widget.js)" >&2
    fi
fi

want=$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -c1-16)-$extras
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

echo "bootstrap: installing OneTrip and its pinned dependencies into .venv (first time: a few minutes)"
"$venv/bin/python" -m pip install -qq --disable-pip-version-check --upgrade "pip>=24,<26"
PIP_CONSTRAINT=requirements/constraints.txt "$venv/bin/python" -m pip install -qq \
    --disable-pip-version-check -e ".[$extras]"
echo "$want" > "$stamp"
echo "bootstrap: done"
