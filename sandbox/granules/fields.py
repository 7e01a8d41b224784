"""Smooth random fields: FFT-filtered noise on grids, and bilinear sampling of a grid."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def fractal_noise(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    slope: float = 3.0,
    min_wavelength_px: float = 2.0,
    max_wavelength_px: float | None = None,
) -> NDArray[np.float64]:
    """Zero-mean, unit-variance noise with a power spectrum ~ k^-slope between the wavelengths."""
    ny, nx = shape
    ky = np.fft.fftfreq(ny)[:, None]
    kx = np.fft.rfftfreq(nx)[None, :]
    k = np.hypot(kx, ky)
    k[0, 0] = np.inf
    amp = k ** (-slope / 2.0)
    amp[k > 1.0 / min_wavelength_px] = 0.0
    if max_wavelength_px is not None:
        amp[k < 1.0 / max_wavelength_px] = 0.0
    amp[0, 0] = 0.0
    spec = amp * (rng.standard_normal(amp.shape) + 1j * rng.standard_normal(amp.shape))
    field = np.fft.irfft2(spec, s=shape)
    std = field.std()
    return field / std if std > 0 else field


def bilinear(grid: NDArray[np.floating], row: ArrayLike, col: ArrayLike) -> NDArray[np.float64]:
    """Sample ``grid`` at fractional (row, col) indices, clamped to the edges."""
    r = np.clip(np.asarray(row, dtype=np.float64), 0.0, grid.shape[0] - 1.000001)
    c = np.clip(np.asarray(col, dtype=np.float64), 0.0, grid.shape[1] - 1.000001)
    r0 = r.astype(np.intp)
    c0 = c.astype(np.intp)
    fr = r - r0
    fc = c - c0
    g = grid
    top = g[r0, c0] * (1 - fc) + g[r0, c0 + 1] * fc
    bot = g[r0 + 1, c0] * (1 - fc) + g[r0 + 1, c0 + 1] * fc
    return top * (1 - fr) + bot * fr


def smoothstep(edge0: float, edge1: float, x: ArrayLike) -> NDArray[np.float64]:
    """0 below ``edge0``, 1 above ``edge1``, smooth in between."""
    t = np.clip((np.asarray(x, dtype=np.float64) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
