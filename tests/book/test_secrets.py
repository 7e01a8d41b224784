"""No credential, token or secret key in the built book, the executed notebooks or the logs.

`scripts/scan_secrets.py` scans ``_build/`` (site, executed notebooks, ``_build/*.log`` written by
``scripts/test.sh``); the notebooks themselves are scanned by ``tests/test_scan_secrets.py``.
The last test starts a real Earthdata sandbox, takes the Earthdata Login token and the S3
credentials it issues, plants them in a copy of the site and of a log, and shows that the scan
catches every one of them by its form (not because it was told the values).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from book_site import ROOT, site_pages

_spec = importlib.util.spec_from_file_location("scan_secrets", ROOT / "scripts" / "scan_secrets.py")
scan_secrets = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("scan_secrets", scan_secrets)
_spec.loader.exec_module(scan_secrets)

BUILD = ROOT / "_build"

# Run under `python -m sandbox run`: log in as the sandbox's learner, ask both DAACs for S3
# credentials, and write what was issued to the file named by argv[1] (mode 0600).
_ISSUE = """
import json, os, sys
import earthaccess
earthaccess.login(strategy="environment")
issued = {"password": os.environ["EARTHDATA_PASSWORD"],
          "token": earthaccess.__auth__.token["access_token"]}
for daac in ("NSIDC", "PODAAC"):
    for name, value in earthaccess.get_s3_credentials(daac=daac).items():
        if name != "expiration":
            issued[f"{daac} {name}"] = value
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as out:
    json.dump(issued, out)
"""


def test_the_built_book_and_logs_hold_no_secret(site: Path):
    findings, scanned = scan_secrets.scan_paths([BUILD])
    assert scanned >= len(site_pages(site)), scanned
    assert not findings, "secrets in the build:\n  " + "\n  ".join(map(str, findings))


def test_the_build_log_is_scanned_when_present(site: Path):
    logs = sorted(BUILD.glob("*.log"))
    if not logs:
        pytest.skip("no logs in _build/ (scripts/test.sh writes _build/book-build.log)")
    files = {f for f in scan_secrets._files(BUILD)}
    assert set(logs) <= files


@pytest.fixture(scope="module")
def issued_by_sandbox(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The password, EDL token and S3 credentials of a real, freshly started sandbox."""
    out = tmp_path_factory.mktemp("issued") / "issued.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARTHDATA_")}
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "run", "--", sys.executable, "-c", _ISSUE, str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    issued = json.loads(out.read_text())
    assert {"password", "token", "NSIDC accessKeyId", "PODAAC sessionToken"} <= set(issued)
    # Nothing the sandbox printed while running shows them.
    for value in issued.values():
        assert value not in result.stdout + result.stderr
    return issued


def test_secrets_issued_by_a_real_sandbox_are_caught(
    site: Path, issued_by_sandbox: dict[str, str], tmp_path: Path
):
    copy = tmp_path / "_build"
    shutil.copytree(site, copy / "html", ignore=shutil.ignore_patterns("_images", "_static"))
    assert not scan_secrets.scan_paths([copy])[0], "the copy is not clean to start with"

    page = next(p for p in site_pages(copy / "html") if p.startswith("notebooks/"))
    names = sorted(issued_by_sandbox)
    for index, name in enumerate(names):
        # Each value alone, on its own line, with no telling key next to it: found by its form.
        value = issued_by_sandbox[name]
        if index % 2:
            log = copy / f"planted-{index}.log"
            log.write_text(f"step {index} done\n{value}\nnext\n")
        else:
            target = copy / "html" / page
            output = f'<div class="output stream"><pre>{value}</pre></div>'
            target.write_text(target.read_text().replace("</body>", output + "</body>", 1))

    findings, _ = scan_secrets.scan_paths([copy])
    found = {f.value for f in findings}
    missed = [name for name in names if not any(issued_by_sandbox[name] in v for v in found)]
    # A bare 40-character secret key, without "secret" next to it, is not recognisable by form;
    # it is caught whenever it is shown as what it is (tests/test_scan_secrets.py).
    assert set(missed) <= {"NSIDC secretAccessKey", "PODAAC secretAccessKey"}, missed
    for name in names:
        assert all(issued_by_sandbox[name] not in str(f) for f in findings)

    keyed = copy / "keyed.log"
    keyed.write_text(json.dumps({"secretAccessKey": issued_by_sandbox["NSIDC secretAccessKey"]}))
    assert any(f.path == keyed for f in scan_secrets.scan_paths([copy])[0])
