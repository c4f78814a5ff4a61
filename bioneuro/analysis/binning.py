"""Binning of spike times, the one implementation every binned statistic uses.

Convention (the same as Elephant's ``BinnedSpikeTrain``): bins are ``[t_start + k*b, t_start + (k+1)*b)``
for ``k = 0 .. n_bins - 1`` with ``n_bins = floor((t_stop - t_start) / b)``; a spike whose bin
position lies within ``BIN_TOLERANCE`` (a fraction of a bin) below the next edge is moved into the
next bin, which absorbs floating-point rounding of times that sit on an edge (e.g. 0.3 s / 0.1 s).
Spikes beyond the last whole bin are ignored.
"""

from __future__ import annotations

import numpy as np

from bioneuro.analysis._units import as_seconds
from bioneuro.analysis.raster import Raster

__all__ = ["BIN_TOLERANCE", "n_bins_for", "bin_indices", "binned_counts", "bin_edges"]

#: Rounding tolerance in units of one bin (Elephant's default ``tolerance=1e-8``).
BIN_TOLERANCE = 1e-8


def _floor_tol(x: float) -> int:
    return int(np.floor(x + BIN_TOLERANCE))


def _check_bin_size(bin_size_s, name: str = "bin_size_s") -> float:
    b = as_seconds(bin_size_s, name)
    if not b > 0:
        raise ValueError(f"{name} must be > 0, got {b!r} s")
    return b


def n_bins_for(duration_s: float, bin_size_s: float) -> int:
    """Number of whole bins of ``bin_size_s`` in ``duration_s`` (with the rounding tolerance)."""
    n = _floor_tol(float(duration_s) / bin_size_s)
    if n < 1:
        raise ValueError(
            f"bin size {bin_size_s!r} s is longer than the window of {duration_s!r} s; choose a smaller bin"
        )
    return n


def bin_edges(t_start_s: float, bin_size_s: float, n_bins: int) -> np.ndarray:
    """Bin edges ``t_start + k * bin_size`` for ``k = 0 .. n_bins`` (s)."""
    return t_start_s + bin_size_s * np.arange(n_bins + 1)


def bin_indices(times_s: np.ndarray, t_start_s: float, bin_size_s: float) -> np.ndarray:
    """Bin index of each time (may be ``>= n_bins`` for times past the last whole bin)."""
    x = np.subtract(times_s, t_start_s)
    x /= bin_size_s
    x += BIN_TOLERANCE
    np.floor(x, out=x)
    return x.astype(np.int64)


def binned_counts(raster: Raster, bin_size_s, *, sparse: bool = False):
    """Spike-count matrix of a raster.

    Parameters
    ----------
    raster : Raster
    bin_size_s : float [s] or Quantity
        Bin width.
    sparse : bool
        Return a ``scipy.sparse.csr_array`` instead of a dense array (for many neurons x bins).

    Returns
    -------
    counts : ndarray of int64 or csr_array, shape (n_neurons, n_bins)
    edges_s : ndarray of float, shape (n_bins + 1,)
    """
    b = _check_bin_size(bin_size_s)
    n_bins = n_bins_for(raster.duration_s, b)
    idx = bin_indices(raster.times_s, raster.t_start_s, b)
    keep = idx < n_bins
    rows = raster.node_ids[keep]
    cols = idx[keep]
    edges = bin_edges(raster.t_start_s, b, n_bins)
    if sparse:
        from scipy.sparse import csr_array

        mat = csr_array(
            (np.ones(rows.size, dtype=np.int64), (rows, cols)), shape=(raster.n_neurons, n_bins)
        )
        mat.sum_duplicates()
        return mat, edges
    flat = np.bincount(rows * n_bins + cols, minlength=raster.n_neurons * n_bins)
    return flat.reshape(raster.n_neurons, n_bins), edges
