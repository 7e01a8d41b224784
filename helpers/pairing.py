"""Pair points (ICESat-2 segments) with the nearest valid pixel of a swath (MODIS SST).

The seed tutorial calls ``pyresample.kd_tree.resample_nearest`` on the whole swath: it builds a
k-d tree of all 2.75 million pixels, then returns the nearest pixel's value, masked when that pixel
is cloud or land. `pair_nearest` instead

1. drops invalid pixels (NaN, masked, or ``valid=False``) *before* building the tree: with
   two-thirds of a polar swath cloudy, the tree is three times smaller and faster to build, and
   each point gets the nearest *valid* pixel within the radius (never a cloud);
2. builds the tree with pykdtree (pyresample's default when it is installed) and queries it once;
3. keeps the neighbour information (`Pairing`), so that more variables of the same swath
   (``quality_level``, ``sses_bias``, ...) are sampled without a new search.

Where the seed gives a value, `pair_nearest` gives the same one (the nearest pixel is valid, so it
is also the nearest valid pixel); it also pairs points whose nearest pixel is cloudy but that have
a valid pixel within the radius.

Examples
--------
>>> import numpy as np
>>> lon, lat = np.meshgrid(np.linspace(-60.0, -59.0, 50), np.linspace(82.0, 82.2, 40))
>>> sst = np.where(lon < -59.5, np.nan, 271.0 + (lat - 82.0))
>>> p = pair_nearest(lon, lat, sst, [-59.2, -59.9, -50.0], [82.101, 82.1, 82.1], radius_m=1000)
>>> p.values.round(3).tolist(), p.count
([271.103, nan, nan], 1)
>>> bool(p.index[0] == np.ravel_multi_index((20, 39), lon.shape)), p.index[1:].tolist()
(True, [-1, -1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Pairing", "pair_nearest"]


@dataclass(frozen=True)
class Pairing:
    """The nearest valid swath pixel of each point, kept for sampling more variables."""

    index: np.ndarray
    """Flat index (``np.ravel``) of each point's swath pixel, -1 when none within the radius."""
    distance: np.ndarray
    """Distance to that pixel in metres (NaN when none)."""
    values: np.ndarray
    """The swath values at the points (float, NaN when none)."""
    swath_shape: tuple[int, ...]
    radius_m: float

    @property
    def found(self) -> np.ndarray:
        """True where a valid pixel was found within the radius."""
        return self.index >= 0

    @property
    def count(self) -> int:
        """Number of points paired with a pixel."""
        return int(self.found.sum())

    def sample(self, values: npt.ArrayLike, fill_value: float = np.nan) -> np.ndarray:
        """Values of another variable of the same swath at the paired pixels.

        Parameters
        ----------
        values
            An array of the swath's shape (e.g. ``quality_level``).
        fill_value
            For points without a pixel (the result is float when it is NaN).

        Returns
        -------
        numpy.ndarray
            One value per point.

        Examples
        --------
        >>> p = Pairing(np.array([2, -1]), np.array([10.0, np.nan]), np.array([1.0, np.nan]),
        ...             (2, 2), 1000.0)
        >>> p.sample(np.array([[5, 6], [7, 8]])).tolist()
        [7.0, nan]
        """
        flat = np.ma.getdata(np.asarray(values)).reshape(-1)
        if flat.size != int(np.prod(self.swath_shape)):
            raise ValueError(
                f"values has {flat.size} elements; the swath has shape {self.swath_shape}."
            )
        dtype = np.result_type(flat.dtype, np.float64 if np.isnan(fill_value) else flat.dtype)
        out = np.full(self.index.shape, fill_value, dtype=dtype)
        out[self.found] = flat[self.index[self.found]]
        return out


def _valid_pixels(
    lons: np.ndarray, lats: np.ndarray, values: np.ndarray, valid: npt.ArrayLike | None
) -> np.ndarray:
    ok = np.isfinite(lons) & np.isfinite(lats) & (np.abs(lats) <= 90)
    data = np.ma.getdata(values)
    if data.dtype.kind == "f":
        ok &= np.isfinite(data)
    ok &= ~np.ma.getmaskarray(values)
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool)
    return ok


def pair_nearest(
    swath_lons: npt.ArrayLike,
    swath_lats: npt.ArrayLike,
    swath_values: npt.ArrayLike,
    point_lons: npt.ArrayLike,
    point_lats: npt.ArrayLike,
    *,
    radius_m: float = 1000.0,
    valid: npt.ArrayLike | None = None,
) -> Pairing:
    """Pair each point with the nearest valid swath pixel within `radius_m`.

    Parameters
    ----------
    swath_lons, swath_lats
        Pixel coordinates in degrees, 2-D (e.g. 2030 x 1354 for a MODIS L2P granule).
    swath_values
        Pixel values of the same shape; NaN or masked pixels are invalid.
    point_lons, point_lats
        Point coordinates in degrees, 1-D (e.g. ATL07 segment longitude/latitude).
    radius_m
        Largest distance of a pair, in metres (MODIS pixels are 1 km at nadir).
    valid
        Optional boolean array of the swath's shape: False marks more invalid pixels (e.g.
        ``quality_level < 4``).

    Returns
    -------
    Pairing
        ``.values`` at the points (NaN where no valid pixel is within the radius), ``.index``
        and ``.distance`` of the pixels, and ``.sample(other)`` for other variables.
    """
    from pyresample import geometry, kd_tree

    lons = np.asarray(swath_lons, dtype=np.float64)
    lats = np.asarray(swath_lats, dtype=np.float64)
    values = swath_values if np.ma.isMaskedArray(swath_values) else np.asarray(swath_values)
    if lons.shape != lats.shape or lons.shape != np.shape(values):
        raise ValueError(
            f"swath_lons {lons.shape}, swath_lats {lats.shape} and swath_values "
            f"{np.shape(values)} must have the same shape."
        )
    plons = np.asarray(point_lons, dtype=np.float64).reshape(-1)
    plats = np.asarray(point_lats, dtype=np.float64).reshape(-1)
    ok = _valid_pixels(lons, lats, values, valid)
    flat_ok = np.flatnonzero(ok)
    index = np.full(plons.shape, -1, dtype=np.int64)
    distance = np.full(plons.shape, np.nan)
    if flat_ok.size and plons.size:
        source = geometry.SwathDefinition(
            lons=lons.reshape(-1)[flat_ok], lats=lats.reshape(-1)[flat_ok]
        )
        target = geometry.SwathDefinition(lons=plons, lats=plats)
        valid_in, valid_out, nearest, dist = kd_tree.get_neighbour_info(
            source, target, radius_of_influence=radius_m, neighbours=1
        )
        source_index = np.flatnonzero(valid_in)  # positions in `flat_ok` the tree holds
        targets = np.flatnonzero(valid_out)
        hit = nearest < source_index.size
        index[targets[hit]] = flat_ok[source_index[nearest[hit]]]
        distance[targets[hit]] = dist[hit]
    pairing = Pairing(index, distance, np.empty(0), lons.shape, float(radius_m))
    data = np.ma.getdata(values)
    sampled = pairing.sample(data.astype(np.float64, copy=False))
    return Pairing(index, distance, sampled, lons.shape, float(radius_m))
