"""helpers' concurrent reader through earthaccess against the sandbox, in both regions: S3 with
presigned range requests in us-west-2, HTTPS with Earthdata Login elsewhere; same values as h5py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_http import run_python

from sandbox.granules import ensure_granules
from sandbox.service import Sandbox

READ = r"""
import json, warnings
import earthaccess, helpers

warnings.simplefilter("error", RuntimeWarning)  # the fast path must not fall back to h5py
helpers.login()
(granule,) = earthaccess.search_data(
    short_name="ATL03", granule_name="ATL03_20181015124359_02580106_007*", count=1
)
names = ["h_ph", "delta_time", "signal_conf_ph"]
f = helpers.open_granule(granule)
with helpers.count_requests() as count:
    fast = helpers.read_atl03_beam(f, "gt1l", names, along_track=True, subset=slice(1000, 400_000))
f.close()
f = helpers.open_granule(granule)
plain = helpers.read_atl03_beam(f, "gt1l", names, along_track=True, subset=slice(1000, 400_000),
                                fast=False)
print(json.dumps({
    "filesystem": type(f.fs).__name__,
    "identical": bool(fast.identical(plain)),
    "photons": fast.sizes["photon"],
    "requests": count.requests,
    "mib": count.bytes / 2**20,
}))
f.close()
"""


@pytest.fixture(scope="module", params=["us-west-2", "elsewhere"])
def real_sandbox(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sandbox]:
    """The sandbox with the real practice granules (the session's small catalog has no beams)."""
    sandbox = Sandbox(
        request.param,
        port_base=0,
        cache_dir=tmp_path_factory.mktemp(f"cache-{request.param}"),
        granules=ensure_granules(),
    ).start()
    yield sandbox
    sandbox.stop()


def test_fast_read_matches_h5py_in_both_regions(real_sandbox: Sandbox) -> None:
    filesystem = "S3FileSystem" if real_sandbox.region == "us-west-2" else "HTTPFileSystem"
    got = run_python(real_sandbox, READ, timeout=300)
    assert got["filesystem"] == filesystem
    assert got["identical"] and got["photons"] == 399_000
    assert got["requests"] > 3 and got["mib"] > 1  # it went through the counted fast path
