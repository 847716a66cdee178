#!/usr/bin/env bash
# The whole suite, as `make test` and CI run it: data validation, the model, then pytest
# (unit, integration, end-to-end on loopback ports, browser). Exit status is the suite's.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 \
       PYTHONWARNINGS=ignore::DeprecationWarning HF_HUB_OFFLINE=1
status=0

# Each step says how long the run has taken so far: CI has 25 minutes, and this shows where they go.
step() { printf '\n\033[1m== %s\033[0m (at %ds)\n' "$*" "$SECONDS"; }

step "browser for the UI tests"
bash scripts/ensure_chromium.sh || { echo "test: Chromium is not available; browser tests will fail" >&2; }

step "catalogue schema"
$BIN/onetrip catalogue validate data/catalogue || exit 1

step "catalogue provenance audit (no new unchecked fact beyond data/catalogue/audit-baseline.yml)"
$BIN/onetrip catalogue audit data/catalogue > /dev/null || {
    echo "test: the catalogue audit found facts without a checked basis that the baseline does not know" >&2; exit 1; }

step "import layering (import-linter contracts in pyproject.toml)"
$BIN/lint-imports --no-cache 2>&1 | grep -E "KEPT|BROKEN|Contracts:|->|import" | grep -v "^Searching" || true
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

step "Rasa model"
$BIN/onetrip train || exit 1

step "rasa data validate"
$BIN/rasa data validate --data data/nlu data/rules data/stories \
    --domain domain.yml --config config.yml 2>&1 | grep -vE "DeprecationWarning|declare_namespace|pkg_resources|^\s*$" 
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

run_pytest() {
    # pytest exits 5 when it collected nothing: a suite that ran no test is broken, say so.
    # A hung test is failed by pytest-timeout (pyproject.toml); should a worker hang where
    # SIGALRM cannot reach, `timeout` ends the whole process group after PYTEST_BUDGET seconds,
    # so CI stops with a reason inside its 25 minutes instead of being killed without one.
    timeout -k 30 "$PYTEST_BUDGET" $BIN/python -m pytest "$@"
    local rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "test: pytest collected no tests for: $*" >&2
        return 1
    fi
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "test: pytest did not finish within ${PYTEST_BUDGET}s and was stopped: $*" >&2
    fi
    return "$rc"
}

# Two workers (these machines have two cores; ONETRIP_TEST_WORKERS for more), each test file on
# one worker so that a file's servers start once. Every stack takes free ports and its own var/.
step "pytest (SQLite, ${ONETRIP_TEST_WORKERS:=2} workers)"
PYTEST_BUDGET=${ONETRIP_PYTEST_BUDGET:-900}  # about 400 s on a quiet two-core machine
run_pytest -q -p no:cacheprovider -n "$ONETRIP_TEST_WORKERS" --dist loadfile --durations=12 tests || status=1

# The hall's suite again on PostgreSQL when one is reachable (CI has one at 127.0.0.1:5432).
pg_url="${ONETRIP_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
if $BIN/python - "$pg_url" <<'PY' 2>/dev/null
import sys, sqlalchemy
sqlalchemy.create_engine(sys.argv[1]).connect().close()
PY
then
    step "pytest (hall on PostgreSQL)"
    PYTEST_BUDGET=${ONETRIP_PYTEST_BUDGET:-400}  # about 90 s on a quiet two-core machine
    # Each worker's session creates a database of its own on that server (tests/hall/conftest.py).
    DATABASE_URL="$pg_url" run_pytest -q -p no:cacheprovider -n "$ONETRIP_TEST_WORKERS" --dist loadfile tests/hall || status=1
else
    echo "test: PostgreSQL at $pg_url not reachable; the PostgreSQL run of the hall suite is skipped"
    if [ "${CI:-}" = "true" ]; then status=1; fi
fi

step "done: exit $status"
exit $status
