#!/usr/bin/env bash
# Set everything up (a virtual environment with the project and its test tools) and run the whole
# test suite. Extra arguments go to pytest. Needs only Python 3.11+; PostgreSQL and Redis tests
# run when STUDYPLANNER_TEST_DATABASE_URL / STUDYPLANNER_TEST_REDIS_URL are set, else they skip.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${STUDYPLANNER_VENV:-.venv}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[test]"
exec "$venv/bin/python" -m pytest "$@"
