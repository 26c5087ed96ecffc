#!/usr/bin/env bash
# Set everything up and run the demo on the embedded default (SQLite, folder broker, emulators):
# no Docker, Redis or PostgreSQL needed. Extra arguments go to `studyplanner demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${STUDYPLANNER_VENV:-.venv}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[flower]"
exec "$venv/bin/studyplanner" demo "$@"
