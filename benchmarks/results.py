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

    @property
    def over_read(self) -> float:
        """Bytes moved / bytes needed."""
        return self.bytes_moved / self.bytes_needed if self.bytes_needed else float("nan")

    @property
    def wall_over_floor(self) -> float:
        """Wall time / floor."""
        return self.wall / self.floor if self.floor else float("nan")


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
        rows = [Row(**row) for row in data.pop("rows")]
        return BenchmarkResult(**data, rows=rows)
    except FileNotFoundError:
        raise SystemExit(f"{path} does not exist: run `python -m benchmarks run` first.") from None
    except (ValueError, TypeError, KeyError) as err:
        raise SystemExit(
            f"{path} is not the results of this version of the benchmark ({err}); run it again."
        ) from None
