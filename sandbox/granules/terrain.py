"""A synthetic Juneau Icefield: ice plateau, outlet glaciers, nunataks and crevasse fields.

The surface is a 100 m grid (large and medium scales) sampled bilinearly, plus analytic
short-wavelength texture and crevasses (V-shaped troughs a few to tens of metres deep, tens of
metres apart) evaluated at every photon. All granules made with one seed share one icefield, so
tracks on different days cross the same valleys. Heights are WGS84 ellipsoidal metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .fields import bilinear, fractal_noise, smoothstep
from .geometry import local_xy_m

CENTER_LAT = 58.66
CENTER_LON = -134.30
"""Centre of the synthetic icefield (inside the tutorial's Juneau bounding box)."""
GRID_STEP_M = 100.0
HALF_X_M = 85_000.0
HALF_Y_M = 115_000.0
GEOID_M = 6.0
"""Approximate EGM2008 geoid height over south-east Alaska (m)."""

TERRAIN_SEED_OFFSET = 7_919
"""Offset added to the generation seed for the shared icefield."""


@dataclass(frozen=True)
class CrevasseField:
    """A patch of parallel crevasses."""

    x: float
    y: float
    radius: float
    angle: float
    spacing: float
    width: float
    depth: float


@dataclass(frozen=True)
class Icefield:
    """Gridded surface, ice mask and crevasse patches of the synthetic icefield."""

    height: NDArray[np.float32]
    ice: NDArray[np.float32]
    roughness: NDArray[np.float32]
    crevasses: tuple[CrevasseField, ...]
    texture: tuple[tuple[float, float, float, float], ...]

    def _rc(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        return (y + HALF_Y_M) / GRID_STEP_M, (x + HALF_X_M) / GRID_STEP_M

    def xy(self, lat: ArrayLike, lon: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Local east/north metres from the icefield centre."""
        return local_xy_m(lat, lon, CENTER_LAT, CENTER_LON)

    def smooth_height(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        """Surface without crevasses or short texture (the 100 m grid)."""
        r, c = self._rc(x, y)
        return bilinear(self.height, r, c)

    def ice_fraction(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        """1 on glacier ice, 0 on rock or forest."""
        r, c = self._rc(x, y)
        return bilinear(self.ice, r, c)

    def surface_roughness(
        self, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Small-scale roughness (m, one standard deviation) inside a laser footprint."""
        r, c = self._rc(x, y)
        return bilinear(self.roughness, r, c)

    def fine_height(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        """Short-wavelength texture plus crevasse troughs (m, <= 0 in crevasses)."""
        out = np.zeros_like(x)
        for kx, ky, amp, phase in self.texture:
            out += amp * np.sin(kx * x + ky * y + phase)
        return out + self.crevasse_depth(x, y)

    def crevasse_depth(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        """Negative depth of crevasse troughs at (x, y)."""
        out = np.zeros_like(x)
        for cf in self.crevasses:
            dx = x - cf.x
            dy = y - cf.y
            near = dx * dx + dy * dy < (1.6 * cf.radius) ** 2
            if not near.any():
                continue
            dxn, dyn = dx[near], dy[near]
            env = np.exp(-(dxn * dxn + dyn * dyn) / (2.0 * cf.radius**2))
            s = dxn * np.cos(cf.angle) + dyn * np.sin(cf.angle)
            t = -dxn * np.sin(cf.angle) + dyn * np.cos(cf.angle)
            # wavy, slightly irregular crevasses: spacing and depth vary along the crack
            s = s + 6.0 * np.sin(t / 90.0) + 3.0 * np.sin(t / 23.0)
            phase = (s / cf.spacing) % 1.0
            local_depth = cf.depth * (0.55 + 0.45 * np.sin(t / 150.0 + s / 400.0) ** 2)
            w = cf.width / cf.spacing
            v = np.clip(1.0 - np.abs(phase - w / 2.0) / (w / 2.0), 0.0, None)
            out[near] -= env * local_depth * v
        return out

    def surface(self, lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
        """Full-resolution surface height (m) at (lat, lon)."""
        x, y = self.xy(lat, lon)
        return self.smooth_height(x, y) + self.fine_height(x, y) * self.ice_fraction(x, y)


def _rotate(x: NDArray, y: NDArray, deg: float) -> tuple[NDArray, NDArray]:
    a = np.radians(deg)
    return x * np.cos(a) + y * np.sin(a), -x * np.sin(a) + y * np.cos(a)


@lru_cache(maxsize=2)
def build_icefield(seed: int) -> Icefield:
    """Build the icefield for a generation seed (cached in the process)."""
    rng = np.random.default_rng(seed + TERRAIN_SEED_OFFSET)
    ny = int(2 * HALF_Y_M / GRID_STEP_M) + 1
    nx = int(2 * HALF_X_M / GRID_STEP_M) + 1
    y = (np.arange(ny) * GRID_STEP_M - HALF_Y_M)[:, None]
    x = (np.arange(nx) * GRID_STEP_M - HALF_X_M)[None, :]

    # Coast mountains: ridges and valleys, 0-2200 m.
    mountains = fractal_noise((ny, nx), rng, slope=3.4, min_wavelength_px=15, max_wavelength_px=900)
    mid = fractal_noise((ny, nx), rng, slope=2.6, min_wavelength_px=6, max_wavelength_px=120)
    rock = 1050.0 + 420.0 * mountains + 130.0 * mid
    rock = np.maximum(rock, 40.0 + 30.0 * np.abs(mid))

    # Ice plateau: an ellipse elongated NW-SE, higher in the middle, smoother than rock.
    u, v = _rotate(x, y, -35.0)
    r = np.sqrt((u / 72_000.0) ** 2 + (v / 44_000.0) ** 2)
    edge = 0.10 * fractal_noise((ny, nx), rng, slope=3.0, min_wavelength_px=30)
    ice = 1.0 - smoothstep(0.85, 1.05, r + edge)
    plateau = 1380.0 + 480.0 * np.exp(-(r**2) / 0.35) + 25.0 * mid + 60.0 * mountains
    surface = ice * np.maximum(plateau, 0.5 * plateau + 0.5 * rock) + (1 - ice) * rock

    # Outlet glaciers: ice-filled valleys from the plateau edge, their surface falling from
    # about 1300 m to 150-300 m at the terminus, with an icefall part way down.
    crevasses: list[CrevasseField] = []
    for bearing in (-115.0, -160.0, -70.0, 165.0, 25.0, 70.0, 120.0, -20.0):
        bearing += rng.uniform(-10, 10)
        a = np.radians(bearing)
        dir_x, dir_y = np.sin(a), np.cos(a)
        # start where the plateau ends along this bearing
        ru, rv = _rotate(np.array(dir_x), np.array(dir_y), -35.0)
        reach = 1.0 / np.sqrt((ru / 72_000.0) ** 2 + (rv / 44_000.0) ** 2)
        sx, sy = 0.7 * reach * dir_x, 0.7 * reach * dir_y
        length = rng.uniform(40_000.0, 60_000.0)
        along = (x - sx) * dir_x + (y - sy) * dir_y
        across = -(x - sx) * dir_y + (y - sy) * dir_x
        meander = 1_800.0 * np.sin(along / 11_000.0 + rng.uniform(0, 6.28))
        frac = np.clip(along / length, 0.0, 1.0)
        width = 1_300.0 + 1_500.0 * (1.0 - frac)
        inside = (along < length) * smoothstep(-3_000.0, 4_000.0, along)
        prof = np.exp(-(((across - meander) / width) ** 4)) * inside
        terminus = rng.uniform(120.0, 320.0)
        glacier = 1_350.0 - (1_350.0 - terminus) * frac**0.9 + 20.0 * mid
        surface = (1.0 - prof) * surface + prof * np.minimum(glacier, surface)
        ice = np.maximum(ice, prof * (frac < 0.97))
        f = rng.uniform(0.3, 0.55)
        crevasses.append(
            CrevasseField(
                x=float(sx + f * length * dir_x),
                y=float(sy + f * length * dir_y),
                radius=rng.uniform(1_800.0, 3_000.0),
                angle=a,
                spacing=rng.uniform(22.0, 48.0),
                width=rng.uniform(7.0, 14.0),
                depth=rng.uniform(8.0, 28.0),
            )
        )

    # Nunataks: steep rock peaks through the ice (computed in local windows).
    for _ in range(18):
        cx = rng.uniform(-45_000.0, 45_000.0)
        cy = rng.uniform(-35_000.0, 35_000.0)
        sig = rng.uniform(500.0, 1_300.0)
        hgt = rng.uniform(200.0, 600.0)
        r0 = max(0, int((cy - 5 * sig + HALF_Y_M) / GRID_STEP_M))
        r1 = min(ny, int((cy + 5 * sig + HALF_Y_M) / GRID_STEP_M) + 1)
        c0 = max(0, int((cx - 5 * sig + HALF_X_M) / GRID_STEP_M))
        c1 = min(nx, int((cx + 5 * sig + HALF_X_M) / GRID_STEP_M) + 1)
        wy, wx = y[r0:r1, :], x[:, c0:c1]
        bump = np.exp(-((wx - cx) ** 2 + (wy - cy) ** 2) / (2 * sig**2))
        win_ice = ice[r0:r1, c0:c1]
        surface[r0:r1, c0:c1] += hgt * bump * win_ice
        ice[r0:r1, c0:c1] = win_ice * (1.0 - smoothstep(0.35, 0.6, bump))

    # Crevasse patches where the plateau steepens towards outlets.
    for _ in range(4):
        crevasses.append(
            CrevasseField(
                x=rng.uniform(-30_000.0, 30_000.0),
                y=rng.uniform(-40_000.0, 45_000.0),
                radius=rng.uniform(1_500.0, 2_800.0),
                angle=rng.uniform(0, np.pi),
                spacing=rng.uniform(18.0, 40.0),
                width=rng.uniform(5.0, 10.0),
                depth=rng.uniform(4.0, 15.0),
            )
        )

    surface = np.maximum(surface, 25.0 + 10.0 * np.abs(mid))
    gy, gx = np.gradient(surface, GRID_STEP_M)
    slope = np.hypot(gx, gy)
    roughness = 0.12 + 0.25 * (1.0 - ice) + 3.0 * slope
    texture = tuple(
        (
            float(np.cos(th) * 2 * np.pi / lam),
            float(np.sin(th) * 2 * np.pi / lam),
            float(amp),
            float(ph),
        )
        for th, lam, amp, ph in zip(
            rng.uniform(0, np.pi, 6),
            rng.uniform(60.0, 400.0, 6),
            rng.uniform(0.15, 0.8, 6),
            rng.uniform(0, 2 * np.pi, 6),
            strict=True,
        )
    )
    return Icefield(
        height=surface.astype(np.float32),
        ice=ice.astype(np.float32),
        roughness=roughness.astype(np.float32),
        crevasses=tuple(crevasses),
        texture=texture,
    )


def generic_surface(
    lat: ArrayLike, lon: ArrayLike, land: NDArray[np.bool_], seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Surface height and roughness away from the icefield: sea surface or rolling terrain."""
    rng = np.random.default_rng(seed + TERRAIN_SEED_OFFSET + 1)
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    h = np.zeros_like(lat)
    for _ in range(12):
        k = rng.uniform(20.0, 400.0)  # cycles per radian of arc
        th = rng.uniform(0, np.pi)
        ph = rng.uniform(0, 2 * np.pi)
        s = np.radians(lat) * np.cos(th) + np.radians(lon) * np.cos(np.radians(lat)) * np.sin(th)
        h += (6_000.0 / k) * np.sin(k * s + ph)
    terrain = 180.0 + np.abs(h) * 1.5
    sea = GEOID_M + 0.3 * np.sin(np.radians(lat) * 9_000.0)
    height = np.where(land, terrain, sea)
    rough = np.where(land, 0.4, 0.25)
    return height, rough
