#!/usr/bin/env bash
# Writes an event file with est and reads it with the real tensorboard package (from PyPI, in a
# virtual environment under the build directory, made once).
set -euo pipefail
writer=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
venv=$work/venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import tensorboard" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet tensorboard
fi
rm -rf "$work/logs"
"$writer" "$work/logs"
"$venv/bin/python" "$here/read_events.py" "$work/logs"
