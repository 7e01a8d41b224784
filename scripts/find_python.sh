#!/usr/bin/env bash
# Print the path of a Python interpreter for this project (3.12 or newer), or stop with a message
# that says what to install. Used by scripts/bootstrap.sh, scripts/bootstrap_latest.sh and
# scripts/lock.sh.
#
# Candidates, first that runs and is new enough wins:
#   $PYTHON (if set, it must be suitable: it is never silently replaced)
#   python3.13, python3.12, python3 on PATH
#   pyenv's installed 3.13.x, then 3.12.x (pyenv's shims run a version only when it is selected,
#   so each candidate is run before it is chosen)
set -euo pipefail

MIN_MINOR=12

usable() {  # usable CMD: prints the interpreter's real path when CMD runs and is >= 3.MIN_MINOR
    local out
    out=$("$1" -c "import sys; assert sys.version_info >= (3, $MIN_MINOR); print(sys.executable)" \
        2>/dev/null) || return 1
    [ -n "$out" ] && echo "$out"
}

if [ -n "${PYTHON:-}" ]; then
    if usable "$PYTHON"; then exit 0; fi
    echo "error: PYTHON=$PYTHON is not a working Python 3.$MIN_MINOR or newer" \
        "($("$PYTHON" --version 2>&1 | head -1 || true))." >&2
    echo "       Point PYTHON at python3.13 or python3.12, or unset it to let this script search." >&2
    exit 2
fi

for candidate in python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && usable "$candidate"; then exit 0; fi
done

if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    for minor in 13 $MIN_MINOR; do
        for dir in $(ls -d "$root"/versions/3."$minor".* 2>/dev/null | sort -rV); do
            if [ -x "$dir/bin/python3" ] && usable "$dir/bin/python3"; then exit 0; fi
        done
    done
fi

cat >&2 <<MSG
error: no Python 3.$MIN_MINOR or newer found (tried \$PYTHON, python3.13, python3.12, python3$(
    command -v pyenv >/dev/null 2>&1 && echo ", pyenv's versions")).
       python3 here is: $(python3 --version 2>&1 | head -1 || echo "missing").
       Install Python 3.13 (python.org, your package manager, 'pyenv install 3.13',
       or 'uv python install 3.13') and run again, or set PYTHON=/path/to/python3.13.
MSG
exit 2
