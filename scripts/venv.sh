#!/usr/bin/env bash
# Source me: makes target/venv (once, or again when the requirements change) and puts it first
# on PATH. Nothing is installed outside the repository.
set -euo pipefail
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$_root/target/venv"
_req="$_root/scripts/requirements-test.txt"
_stamp="$VENV/.requirements.sha256"
_want=$(sha256sum "$_req" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$_stamp" 2>/dev/null)" != "$_want" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$_req"
  echo "$_want" > "$_stamp"
fi
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
