"""What the newest-releases job runs on, and, when it fails, which new release broke what.

Run with the interpreter of the environment to describe (``.venv-latest/bin/python``)::

    python scripts/stack_report.py versions                     # Python, key packages, vs the lock
    python scripts/stack_report.py same-as-lock                 # exit 0: nothing newer than lock
    python scripts/stack_report.py failures RESULTS.xml [...]   # failed tests and the new releases
                                                                # their tracebacks pass through

A failed test is attributed to a package when its traceback names a file of that package's
installation (``site-packages/earthaccess/...``) and the installed release differs from
``requirements/lock.txt``; packages that differ from the lock but appear in no traceback are
listed after, as suspects. The exit status is 0: the caller decides whether the job failed.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
#: Reported first, in this order: what the tutorials call.
KEY = (
    "earthaccess",
    "python-cmr",
    "xarray",
    "pandas",
    "numpy",
    "h5py",
    "s3fs",
    "fsspec",
    "aiobotocore",
    "aiohttp",
    "matplotlib",
    "cartopy",
    "pyresample",
    "dask",
    "jupyter-book",
    "nbval",
    "moto",
)
_SITE = re.compile(r"site-packages[/\\]([A-Za-z0-9_.]+)")
_ANSI = re.compile(r"(\x1b|#x1B)\[[0-9;]*m")
#: Installers, not dependencies: never in the lock, never the cause.
TOOLING = frozenset({"pip", "setuptools", "wheel"})
#: Lines of a failure that say what went wrong (nbval's first line only says "cell failed").
_TELLING = re.compile(r"(Error|Exception|mismatch|Missing|differ|assert|Warning)")


def read_lock(path: Path = LOCK) -> dict[str, str]:
    """``name -> version`` of the ``name==version`` lines of a pip lock file."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


def installed() -> dict[str, str]:
    """``name -> version`` of every distribution in this interpreter's environment."""
    return {
        canonicalize_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()
    }


def differences(now: Mapping[str, str], lock: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Packages whose installed version is not the lock's: ``name -> (installed, lock)``.

    >>> differences({"a": "2", "b": "1", "c": "1"}, {"a": "1", "b": "1"})
    {'a': ('2', '1'), 'c': ('1', 'not in the lock')}
    """
    return {
        name: (version, lock.get(name, "not in the lock"))
        for name, version in sorted(now.items())
        if lock.get(name) != version and name not in TOOLING | {"earthdata-cloud-tutorials"}
    }


def module_owners() -> dict[str, set[str]]:
    """Top-level import name -> the distributions that install it (``yaml`` -> ``pyyaml``)."""
    owners: dict[str, set[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        owners.setdefault(module, set()).update(canonicalize_name(d) for d in dists)
    return owners


def packages_in(text: str, owners: Mapping[str, set[str]]) -> set[str]:
    """Distributions whose installed files a traceback names.

    >>> sorted(packages_in('File ".../site-packages/earthaccess/results.py", line 3',
    ...                    {"earthaccess": {"earthaccess"}}))
    ['earthaccess']
    """
    found = set()
    for module in _SITE.findall(text):
        module = module.split(".")[0] if not module.endswith(".py") else module[:-3]
        found |= owners.get(module, set())
    return found


def failed_tests(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """``(test id, failure text)`` of every failed or errored test case in JUnit XML files."""
    failed = []
    for path in paths:
        if not path.is_file():
            continue
        for case in ET.parse(path).getroot().iter("testcase"):
            for problem in (*case.findall("failure"), *case.findall("error")):
                name = f"{case.get('classname', '')}::{case.get('name', '')}".lstrip(":")
                failed.append((name, f"{problem.get('message', '')}\n{problem.text or ''}"))
    return failed


def summary_line(text: str) -> str:
    r"""The line of a failure that says most: the first naming an error or a mismatch.

    >>> summary_line("\x1b[91mNotebook cell execution failed\x1b[0m\n mismatch 'stdout'\n")
    "mismatch 'stdout'"
    """
    lines = [_ANSI.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    telling = [line for line in lines[1:] if _TELLING.search(line)]
    return ((telling or lines or [""])[0])[:160]


def versions_report(now: Mapping[str, str], lock: Mapping[str, str]) -> str:
    """Python and the key packages, each with the lock's version when it differs."""
    lines = [f"Python {platform.python_version()} ({sys.executable})"]
    for name in KEY:
        if name in now:
            pinned = lock.get(name)
            note = "" if pinned == now[name] else f"   (lock: {pinned or 'not pinned'})"
            lines.append(f"  {name:<14} {now[name]}{note}")
    changed = differences(now, lock)
    lines.append(
        f"{len(changed)} of {len(now)} installed packages differ from requirements/lock.txt"
    )
    return "\n".join(lines)


def failures_report(
    failed: list[tuple[str, str]],
    now: Mapping[str, str],
    lock: Mapping[str, str],
    owners: Mapping[str, set[str]],
) -> str:
    """Each failed test with the new releases its traceback passes through, then the rest."""
    changed = differences(now, lock)
    if not failed:
        return "No failed tests."
    lines = [f"{len(failed)} test(s) failed on the newest releases:"]
    blamed: set[str] = set()
    for name, text in failed:
        through = sorted(packages_in(text, owners) & changed.keys())
        blamed.update(through)
        first = summary_line(text)
        lines.append(f"- {name}\n    {first}")
        if through:
            shown = ", ".join(f"{p} {changed[p][0]} (lock {changed[p][1]})" for p in through)
            lines.append(f"    its traceback passes through releases newer than the lock: {shown}")
        else:
            lines.append("    its traceback names no package whose release differs from the lock")
    suspects = [p for p in changed if p not in blamed]
    if suspects:
        lines.append("Other packages whose releases differ from the lock (suspects, by name):")
        lines += [f"  {p} {changed[p][0]} (lock {changed[p][1]})" for p in suspects]
    lines.append(
        "To confirm one: .venv-latest/bin/pip install 'NAME==LOCKED' and re-run the failed test."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("versions", help="Python and the key packages, against the lock")
    commands.add_parser(
        "same-as-lock", help="exit 0 when every installed release is the lock's (tooling aside)"
    )
    failures = commands.add_parser("failures", help="failed tests and the releases they touch")
    failures.add_argument("junit", nargs="+", type=Path, help="JUnit XML files of pytest runs")
    args = parser.parse_args(argv)
    now, lock = installed(), read_lock()
    if args.command == "versions":
        print(versions_report(now, lock))
    elif args.command == "same-as-lock":
        return 1 if differences(now, lock) else 0
    else:
        print(failures_report(failed_tests(args.junit), now, lock, module_owners()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
