#!/usr/bin/env bash
# Make DIR a virtual environment of the interpreter scripts/find_python.sh chooses, recreating it
# when it was made with another Python version; print that version (e.g. 3.13).
#   scripts/make_venv.sh .venv
# Used by scripts/bootstrap.sh (.venv, the lock) and scripts/bootstrap_latest.sh (.venv-latest).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
python=$(bash scripts/find_python.sh)
minor='import sys; print("%d.%d" % sys.version_info[:2])'
version=$("$python" -c "$minor")
if [ -x "$dir/bin/python" ] && [ "$("$dir/bin/python" -c "$minor" 2>/dev/null)" != "$version" ]
then
    echo "Recreating $dir with Python $version ($python)." >&2
    rm -rf "$dir"
fi
if [ ! -x "$dir/bin/python" ]; then
    echo "Creating $dir with Python $version ($python)." >&2
    "$python" -m venv "$dir"
fi
echo "$version"
