"""helpers' readers through ``earthaccess.open`` (its default settings) against the sandbox, in
both regions: S3 in us-west-2, HTTPS with Earthdata Login elsewhere; the values are h5py's, and
the chunk reader keeps many requests in flight."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_http import run_python

from sandbox.granules import ensure_granules
from sandbox.service import Sandbox

READ = r"""
import json, time
import earthaccess, h5py, numpy as np
import helpers

earthaccess.login()
(granule,) = earthaccess.search_data(
    short_name="ATL03", granule_name="ATL03_20181015124359_02580106_007*", count=1
)
names = ["h_ph", "delta_time", "signal_conf_ph"]
rows = slice(1000, 400_000)
f = earthaccess.open([granule])[0]
t0 = time.perf_counter()
ds = helpers.read_atl03_beam(f, "gt1l", names, along_track=True, subset=rows)
seconds = time.perf_counter() - t0
with h5py.File(f, "r") as h5:  # h5py alone, and the chunk reader given the h5py.File's datasets
    plain = [h5[f"gt1l/heights/{n}"][rows] for n in names]
    chunked = helpers.read_chunked_many([h5[f"gt1l/heights/{n}"] for n in names], f, rows)
print(json.dumps({
    "filesystem": type(f.fs).__name__,
    "readers_identical": all(np.array_equal(ds[n].values, p) for n, p in zip(names, plain)),
    "chunks_identical": all(np.array_equal(c, p) for c, p in zip(chunked, plain)),
    "photons": ds.sizes["photon"],
    "time_dtype": str(ds["time"].dtype),
    "seconds": seconds,
}))
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


def test_readers_match_h5py_in_both_regions(real_sandbox: Sandbox) -> None:
    filesystem = "S3FileSystem" if real_sandbox.region == "us-west-2" else "HTTPFileSystem"
    got = run_python(real_sandbox, READ, timeout=300)
    assert got["filesystem"] == filesystem
    assert got["readers_identical"] and got["chunks_identical"]
    assert got["photons"] == 399_000 and got["time_dtype"] == "datetime64[ns]"
