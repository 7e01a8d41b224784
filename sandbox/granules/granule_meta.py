"""What a writer learns about its granule from the data it wrote (times, footprint, orbit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .footprints import Ring


@dataclass(frozen=True)
class GranuleMeta:
    """The CMR-facing description of a written file, derived from its own data."""

    begin: datetime
    end: datetime
    footprint: Ring
    bounding_box: tuple[float, float, float, float]
    orbit: dict[str, float | int | str] = field(default_factory=dict)
