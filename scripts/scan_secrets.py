#!/usr/bin/env python3
"""Fail when a credential, token or secret key appears in the notebooks, the built book or logs.

    python scripts/scan_secrets.py [PATH ...]

Without paths it scans the tutorial notebooks (``notebooks/**/*.ipynb`` and ``*.py``) and
everything text under ``_build/`` (the built site ``_build/html``, the executed notebooks, and the
logs that ``scripts/test.sh`` writes, e.g. ``_build/book-build.log``). Directories are walked;
binary files (PNG screenshots, HDF5 granules) and files over 50 MB are skipped. HTML is scanned
twice: as written, and as its text without tags and entities (syntax highlighting splits a JSON
key from its value with ``<span>`` tags).

What it looks for (`PATTERNS`): AWS access key ids (``AKIA``/``ASIA`` + 16), AWS session tokens,
40-character secret keys near the word "secret", ``accessKeyId``/``secretAccessKey``/
``sessionToken`` values, JWTs (``eyJ...``: Earthdata Login tokens are JWTs), Bearer tokens,
``EARTHDATA_PASSWORD=`` values, ``.netrc`` password entries, private keys; and the Earthdata
sandbox's own secrets (`sandbox_secrets`): its dummy password, and the header that starts every
token its Earthdata Login issues. Placeholders such as ``your_password`` or ``<password>`` are
allowed. Findings are printed with the value redacted; the exit status is 1 when there are any.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = ("notebooks", "_build")
NOTEBOOK_SUFFIXES = frozenset({".ipynb", ".py"})
SKIP_DIRS = frozenset({".git", ".ipynb_checkpoints", "__pycache__", "screenshots", "downloads"})
MAX_BYTES = 50 * 1024 * 1024

# A value that only stands for a secret: empty, <...>, ..., ***, xxx, your_*, $VAR, ${VAR}, %VAR%,
# {...}, or the words themselves.
PLACEHOLDER = re.compile(
    r"(?i)^(?:|<[^>]*>|\.{3}|\u2026|\*+|x+|your[_-]?\w*|my[_-]?\w*|\$\{?\w+\}?|%\w+%|\{[^}]*\}"
    r"|password|secret|token|changeme|redacted|placeholder|example\w*|none|null)$"
)
_TOKEN = r"A-Za-z0-9/+_\-"


@dataclass(frozen=True)
class Pattern:
    """One kind of secret. The first named group that matched holds the secret (else the match)."""

    name: str
    regex: re.Pattern[str]
    check_placeholder: bool = False
    mixed_case: bool = False

    def findall(self, text: str) -> Iterator[tuple[int, str]]:
        """(offset, secret) of each match that is not a placeholder."""
        for match in self.regex.finditer(text):
            groups = [v for v in match.groupdict().values() if v is not None]
            value = groups[0] if groups else match.group(0)
            value = value.strip().strip("\"'").rstrip(".,;:!?)")
            if self.check_placeholder and (PLACEHOLDER.match(value) or _looks_like_code(value)):
                continue
            if self.mixed_case and not _mixed(value):
                continue
            yield match.start(), value


def _looks_like_code(value: str) -> bool:
    """An expression rather than a literal: ``getpass()``, ``os.environ[...]``."""
    return any(c in value for c in "()[]") or value.startswith(("os.", "getpass"))


def _mixed(value: str) -> bool:
    """Random keys mix upper case, lower case and digits (a hex digest or a word does not)."""
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


PATTERNS: tuple[Pattern, ...] = (
    Pattern("AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")),
    Pattern(
        "AWS session token",
        re.compile(r"(?:FwoGZXIvYXdzE|IQoJb3JpZ2luX2Vj)[A-Za-z0-9/+=_\-]{20,}"),
    ),
    Pattern(
        "secret key (40 characters near 'secret')",
        re.compile(
            rf"(?i)secret[^\n]{{0,120}}?(?<![{_TOKEN}])(?P<value>[{_TOKEN}]{{40}})(?![{_TOKEN}=])"
        ),
        mixed_case=True,
    ),
    Pattern(
        "credential value in JSON or a dict",
        re.compile(
            r"(?i)[\"'](?:accessKeyId|secretAccessKey|sessionToken|aws_access_key_id"
            r"|aws_secret_access_key|aws_session_token|access_token)[\"']\s*:\s*"
            r"(?P<value>\"[^\"\n]{8,}\"|'[^'\n]{8,}')"
        ),
        check_placeholder=True,
    ),
    Pattern(
        "JWT (e.g. an Earthdata Login token)", re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")
    ),
    Pattern(
        "Bearer token",
        re.compile(r"\bBearer\s+(?P<value>(?=[A-Za-z0-9._~+/\-]*\d)[A-Za-z0-9._~+/\-]{20,}=*)"),
        check_placeholder=True,
    ),
    Pattern(
        "EARTHDATA_PASSWORD value",
        re.compile(
            r"EARTHDATA_PASSWORD[\"'\]]*[ \t]*(?:=|:)(?!=)[ \t]*"
            r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"';&|<>]+)"
        ),
        check_placeholder=True,
    ),
    Pattern(
        ".netrc password",
        re.compile(
            r"(?im)\bmachine[ \t]+\S+[ \t]+login[ \t]+\S+[ \t]+password[ \t]+(?P<value>[^\s\"'<`]+"
            r"|<[^>\s]*>)|^[ \t]*password[ \t]+(?P<alone>\S+)[ \t]*$"
        ),
        check_placeholder=True,
    ),
    Pattern("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
)


def sandbox_secrets() -> list[Pattern]:
    """Patterns for the Earthdata sandbox's own secrets, read from its code.

    Its one Earthdata Login password (``sandbox.config.EDL_PASSWORD``), and the first segment of
    every token its Earthdata Login issues (a JWT whose header is always the same: issued once
    here to read it). Its S3 keys (``ASIA`` + 16) and session tokens (``FwoGZXIvYXdzE...``) have
    the real AWS forms, which `PATTERNS` covers. Empty where the sandbox is not installed.
    """
    try:
        from sandbox.config import EDL_PASSWORD
        from sandbox.edl import TokenStore
    except ImportError:
        return []
    header = TokenStore().create("scan").access_token.split(".")[0]  # type: ignore[union-attr]
    return [
        Pattern("the sandbox's Earthdata password", re.compile(re.escape(EDL_PASSWORD))),
        Pattern(
            "a token issued by the sandbox's Earthdata Login",
            re.compile(re.escape(header) + r"\.[\w-]+\.[\w-]+"),
        ),
    ]


def literal_patterns(values: Iterable[str]) -> list[Pattern]:
    """Patterns for exact secret values (e.g. credentials a running sandbox just issued)."""
    return [
        Pattern(f"known secret #{i}", re.compile(re.escape(v)))
        for i, v in enumerate(values, 1)
        if v
    ]


@dataclass(frozen=True)
class Finding:
    """A secret found in a file; `__str__` shows it redacted."""

    path: Path
    line: int
    kind: str
    value: str

    @property
    def redacted(self) -> str:
        keep = 4 if len(self.value) >= 12 else 0
        return f"{self.value[:keep]}...({len(self.value)} characters)"

    def __str__(self) -> str:
        try:
            shown = self.path.relative_to(ROOT)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}: {self.kind}: {self.redacted}"


def _text_of_html(text: str) -> str:
    """The visible text of HTML (tags dropped, entities decoded), lines kept where they were."""
    return html.unescape(re.sub(r"<[^>]*>", lambda tag: "\n" * tag.group(0).count("\n"), text))


def scan_text(text: str, path: Path, patterns: Iterable[Pattern]) -> list[Finding]:
    """Every secret in ``text`` (HTML also as its visible text), one finding per line and kind."""
    views = [text]
    if path.suffix in (".html", ".htm"):
        views.append(_text_of_html(text))
    found: dict[tuple[int, str, str], Finding] = {}
    for view in views:
        for pattern in patterns:
            for offset, value in pattern.findall(view):
                line = view.count("\n", 0, offset) + 1
                found.setdefault(
                    (line, pattern.name, value), Finding(path, line, pattern.name, value)
                )
    return list(found.values())


def _files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    for child in sorted(path.rglob("*")):
        if child.is_file() and not SKIP_DIRS.intersection(child.relative_to(path).parts[:-1]):
            if path.name == "notebooks" and child.suffix not in NOTEBOOK_SUFFIXES:
                continue
            yield child


def _read_text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", errors="replace")


def scan_paths(paths: Iterable[Path], extra: Iterable[Pattern] = ()) -> tuple[list[Finding], int]:
    """Scan files and directories; return the findings and how many text files were read."""
    patterns = [*PATTERNS, *sandbox_secrets(), *extra]
    findings: list[Finding] = []
    scanned = 0
    for root in paths:
        for file in _files(root):
            text = _read_text(file)
            if text is None:
                continue
            scanned += 1
            findings += scan_text(text, file, patterns)
    return findings, scanned


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths", nargs="*", type=Path, help="files or folders (default: %(default)s)"
    )
    parser.add_argument(
        "--allow-missing", action="store_true", help="skip default paths that do not exist"
    )
    args = parser.parse_args(argv)
    paths = args.paths or [ROOT / p for p in DEFAULT_PATHS]
    missing = [p for p in paths if not p.exists()]
    if missing and not args.allow_missing:
        print(
            f"scan_secrets: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr
        )
        return 2
    findings, scanned = scan_paths([p for p in paths if p.exists()])
    for finding in findings:
        print(finding)
    where = ", ".join(str(p) for p in paths)
    if findings:
        print(
            f"scan_secrets: {len(findings)} secret(s) in {scanned} files ({where})", file=sys.stderr
        )
        return 1
    print(f"scan_secrets: no secrets in {scanned} files ({where})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
