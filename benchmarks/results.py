"""What a benchmark run produces, shared by `benchmarks.run` (which measures) and
`benchmarks.report` (which renders): the variables read, one `Row` per measurement, the whole
`BenchmarkResult`, and its JSON form (``results.json``).

Neither `run` nor `report` imports the other: both import this module, which imports neither.

Examples
--------
>>> import tempfile, pathlib
>>> result = BenchmarkResult(command="", size_bytes=1, bandwidth=0.0, latencies_ms=[0.0], cores=1)
>>> result.rows.append(Row("v007", 0.0, "h5py", 3, 300, 100, 1, 3, 1.0, 0.5, 0.5, True))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "results.json"
>>> save_results(result, path)
>>> again = load_results(path)
>>> again == result, again.rows[0].over_read, again.rows[0].wall_over_floor
(True, 3.0, 2.0)

Fields added later have defaults, so that the results of earlier versions still load (their
rows were all measured with the allocator recorded in ``machine["allocator"]``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BEAM_VARIABLES", "NAMES", "BenchmarkResult", "Row", "load_results", "save_results"]

BEAM_VARIABLES = ("h_ph", "lat_ph", "lon_ph", "dist_ph_along", "delta_time")
NAMES = tuple(f"gt1l/heights/{v}" for v in BEAM_VARIABLES)
"""The variables every reader reads: gt1l's five photon variables."""

BUCKET = "nsidc-cumulus-prod-protected"
PREFIX = "ATLAS/ATL03"
"""Where the emulators serve the benchmark granules: ``<cache>/<BUCKET>/<PREFIX>/<layout>/``."""


@dataclass
class Row:
    """One reader on one granule at one latency."""

    layout: str
    latency_ms: float
    reader: str
    gets: int
    bytes_moved: int
    bytes_needed: int
    connections: int
    depth: int
    wall: float
    cpu: float
    floor: float
    identical: bool
    error: str = ""
    floor_isal: float = 0.0
    """The floor with ISA-L's inflate time instead of zlib's (stricter)."""
    emulator_cpu: float = 0.0
    """CPU seconds the S3 emulator spent serving the reader (last run), on the same cores."""
    walls: list[float] = field(default_factory=list)
    """Every timed run's wall time, in the order run (`wall` is their median); [] in results
    written before they were kept."""
    round_trips: int | None = None
    """Dependent round trips before the first request for chunk data (last run; see
    `benchmarks.layout.round_trips_before_data`); None if not measured or no data request."""
    rss_before: int = 0
    """Resident memory (bytes) of the reading process just before its first read; 0 if not
    measured."""
    peak_rss: int = 0
    """Peak resident memory (bytes) of the reading process during its first read."""
    output_bytes: int = 0
    """Bytes of the arrays the reader returned."""
    later_extra_peak: int = 0
    """The largest extra peak (bytes) of the runs after the first in the same process (0 if
    there were none, or not measured)."""
    allocator: str = ""
    """glibc's settings in the reading process: "" for its defaults (a plain process, as a
    notebook kernel runs), else what `benchmarks.run.keep_freed_memory` set."""

    @property
    def over_read(self) -> float:
        """Bytes moved / bytes needed."""
        return self.bytes_moved / self.bytes_needed if self.bytes_needed else float("nan")

    @property
    def wall_over_floor(self) -> float:
        """Wall time / floor."""
        return self.wall / self.floor if self.floor else float("nan")

    @property
    def slowest_over_median(self) -> float:
        """The slowest timed run / the median (nan without the runs)."""
        return max(self.walls) / self.wall if self.walls and self.wall else float("nan")

    @property
    def extra_peak(self) -> int:
        """Peak resident memory during the read above the memory before it (bytes)."""
        return max(0, self.peak_rss - self.rss_before)

    @property
    def extra_peak_over_output(self) -> float:
        """`extra_peak` / `output_bytes` (nan if not measured)."""
        if not (self.output_bytes and self.peak_rss):
            return float("nan")
        return self.extra_peak / self.output_bytes


@dataclass
class BenchmarkResult:
    """Everything the report needs."""

    command: str
    size_bytes: int
    bandwidth: float
    latencies_ms: list[float]
    cores: int
    rows: list[Row] = field(default_factory=list)
    needs: dict[str, dict[str, Any]] = field(default_factory=dict)
    emulator: dict[str, float] = field(default_factory=dict)
    pairing: dict[str, Any] | None = None
    machine: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    readers: dict[str, tuple[str, str]] = field(default_factory=dict)
    seconds: float = 0.0
    finished: str = ""
    """When the run ended, ``YYYY-MM-DD HH:MM UTC``."""
    warmup: bool = False
    """Whether fast readers ran once untimed before their timed runs (see `run_one`)."""
    repeats: int = 3
    """Timed runs of a fast reader (3 before this field existed)."""
    slow_runs: int = 1
    """Timed runs of a reader slower than `repeat_below` (no warm-up)."""
    repeat_below: float = 15.0
    """Seconds: a reader whose first run is faster gets a warm-up and `repeats` timed runs."""
    child_processes: bool = False
    """Whether each reader ran in a fresh child process (forked from one that has imported the
    libraries), and its peak memory was measured there."""
    memory_method: str = ""
    """How the peak resident memory was measured ("" if it was not)."""
    tuned_allocator: str = ""
    """The glibc settings of the second, labelled run of every reader ("" if none)."""


def save_results(result: BenchmarkResult, path: Path) -> None:
    """Save `result` as JSON (what `load_results` reads back)."""
    Path(path).write_text(
        json.dumps(
            {**asdict(result), "rows": [asdict(r) for r in result.rows]}, indent=1, default=str
        )
    )


def load_results(path: Path) -> BenchmarkResult:
    """The `BenchmarkResult` that a run saved as JSON (``results.json`` beside the report)."""
    try:
        data = json.loads(Path(path).read_text())
        legacy_allocator = data.get("machine", {}).get("allocator", "")
        rows = [
            Row(**row) if "allocator" in row else Row(**row, allocator=legacy_allocator)
            for row in data.pop("rows")
        ]
        return BenchmarkResult(**data, rows=rows)
    except FileNotFoundError:
        raise SystemExit(f"{path} does not exist: run `python -m benchmarks run` first.") from None
    except (ValueError, TypeError, KeyError) as err:
        raise SystemExit(
            f"{path} is not the results of this version of the benchmark ({err}); run it again."
        ) from None
