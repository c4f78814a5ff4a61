"""Spike-count correlations and cross-correlograms.

Against Elephant (``elephant.spike_train_correlation``): ``spike_count_correlation`` equals
``correlation_coefficient(BinnedSpikeTrain(...))`` (Pearson correlation of binned counts, NaN for a
silent train); ``cross_correlogram`` equals ``cross_correlation_histogram(..., window=[-k, k],
method="memory")`` on the binned trains: entry ``k`` counts pairs of spikes whose bin in train *b*
minus bin in train *a* is ``k`` (positive lags: *b* fires after *a*).

References
----------
Perkel DH, Gerstein GL, Moore GP (1967). Neuronal spike trains and stochastic point processes.
II. Simultaneous spike trains. Biophys J 7(4):419-440.
Cohen MR, Kohn A (2011). Measuring and interpreting neuronal correlations. Nat Neurosci
14(7):811-819.
"""

from __future__ import annotations

import numpy as np

from bioneuro.analysis._units import as_seconds
from bioneuro.analysis.binning import _check_bin_size, bin_indices, binned_counts, n_bins_for
from bioneuro.analysis.raster import Raster

__all__ = ["spike_count_correlation", "cross_correlogram"]


def spike_count_correlation(raster: Raster, bin_size_s) -> np.ndarray:
    """Pearson correlation matrix of the binned spike counts of all neurons.

    Parameters
    ----------
    raster : Raster
    bin_size_s : float [s] or Quantity

    Returns
    -------
    ndarray of float, shape (n_neurons, n_neurons)
        Correlation coefficients; rows and columns of neurons with constant counts (e.g. silent)
        are ``NaN`` (the coefficient is undefined for zero variance).

    Notes
    -----
    Memory is ``n_neurons**2`` floats; select neurons (:meth:`Raster.select`) for large rasters.
    """
    counts, _ = binned_counts(raster, bin_size_s, sparse=True)
    n_bins = counts.shape[1]
    sums = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    counts = counts.astype(np.float64)
    gram = (counts @ counts.T).toarray()
    cov = gram - np.outer(sums, sums) / n_bins
    std = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(std, std)
    corr[:, std == 0] = np.nan
    corr[std == 0, :] = np.nan
    return corr


def cross_correlogram(
    times_a_s, times_b_s, *, bin_size_s, max_lag_s, t_start_s, t_stop_s
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-correlogram of two spike trains on binned times.

    Parameters
    ----------
    times_a_s, times_b_s : array_like [s]
        Spike times of the reference train *a* and the target train *b* (use the same array for an
        autocorrelogram; the zero-lag bin then counts each spike with itself).
    bin_size_s : float [s] or Quantity
    max_lag_s : float [s] or Quantity
        Largest lag; the correlogram spans ``-K .. K`` bins with ``K = floor(max_lag / bin)``.
    t_start_s, t_stop_s : float [s]
        Window in which both trains are binned.

    Returns
    -------
    lags_s : ndarray [s], shape (2K + 1,)
        Lag of each bin centre, ``k * bin_size``.
    counts : ndarray of int64, shape (2K + 1,)
        Number of spike pairs (a, b) with ``bin(b) - bin(a) = k``.
    """
    b = _check_bin_size(bin_size_s)
    max_lag = as_seconds(max_lag_s, "max_lag_s")
    if max_lag < 0:
        raise ValueError(f"max_lag_s must be >= 0, got {max_lag!r} s")
    start, stop = as_seconds(t_start_s, "t_start_s"), as_seconds(t_stop_s, "t_stop_s")
    if not stop > start:
        raise ValueError(f"t_stop_s ({stop!r}) must be greater than t_start_s ({start!r})")
    n_bins = n_bins_for(stop - start, b)
    k_max = int(np.floor(max_lag / b + 1e-8))
    trains = []
    for name, times in (("times_a_s", times_a_s), ("times_b_s", times_b_s)):
        t = np.asarray(times, dtype=np.float64).ravel()
        if t.size and (t.min() < start or t.max() >= stop or not np.all(np.isfinite(t))):
            raise ValueError(f"{name} must lie in [{start}, {stop}) s, got range [{t.min()}, {t.max()}]")
        idx = bin_indices(t, start, b)
        trains.append(np.bincount(idx[idx < n_bins], minlength=n_bins))
    x, y = trains
    lags = np.arange(-k_max, k_max + 1)
    counts = np.zeros(lags.size, dtype=np.int64)
    for pos, k in enumerate(lags):  # loop over lags (2K + 1), each a vector dot product
        if abs(k) >= n_bins:
            continue
        if k >= 0:
            counts[pos] = np.dot(x[: n_bins - k], y[k:])
        else:
            counts[pos] = np.dot(x[-k:], y[: n_bins + k])
    return lags * b, counts
