"""Fano factor of spike counts, over consecutive windows or over trials.

``F = var(N) / mean(N)`` with the population variance (``ddof=0``), as in
``elephant.statistics.fanofactor``. A neuron with no spike in any window or trial has an undefined
Fano factor: ``NaN`` (Elephant also returns NaN when all counts are zero). A Poisson process has F = 1.

References
----------
Fano U (1947). Ionization yield of radiations. II. The fluctuations of the number of ions.
Phys Rev 72(1):26-29.
Nawrot MP et al. (2008). Measurement of variability dynamics in cortical spike trains.
J Neurosci Methods 169(2):374-390.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bioneuro.analysis.binning import _check_bin_size, bin_indices, n_bins_for
from bioneuro.analysis.raster import Raster

__all__ = ["fano_factor", "fano_factor_from_counts", "fano_factor_across_trials"]


def fano_factor_from_counts(counts) -> np.ndarray:
    """Fano factor along the last axis of a count matrix.

    Parameters
    ----------
    counts : array_like, shape (..., n_samples)
        Spike counts; the last axis runs over windows or trials.

    Returns
    -------
    ndarray of float, shape (...)
        ``var / mean`` (``ddof=0``); ``NaN`` where the mean count is 0 or there are no samples.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim == 0:
        raise ValueError("counts must have at least one axis (windows or trials)")
    out = np.full(counts.shape[:-1], np.nan)
    if counts.shape[-1] == 0:
        return out
    mean = counts.mean(axis=-1)
    var = counts.var(axis=-1)
    ok = mean > 0
    out[ok] = var[ok] / mean[ok]
    return out


def fano_factor(raster: Raster, window_s) -> np.ndarray:
    """Fano factor of each neuron's counts in consecutive windows of ``window_s``.

    Parameters
    ----------
    raster : Raster
    window_s : float [s] or Quantity
        Counting window; the raster's window is cut into ``floor(duration / window)`` windows.

    Returns
    -------
    ndarray of float, shape (n_neurons,)
        ``NaN`` for neurons without spikes in the counted windows.
    """
    # Lean path (no dense n_neurons x n_windows matrix): spikes are neuron-major and time-sorted, so
    # the key ``neuron * n_windows + window`` is sorted and each run of equal keys is one nonzero
    # count. mean = total / n_windows, var = sum(c^2) / n_windows - mean^2 (exact integer sums).
    b = _check_bin_size(window_s, "window_s")
    n_win = n_bins_for(raster.duration_s, b)
    key = bin_indices(raster.times_s, raster.t_start_s, b)
    inside = key < n_win
    if not np.all(inside):
        key = key[inside]
        owner = raster.node_ids[inside]
    else:
        owner = raster.node_ids
    key += owner * n_win
    n = raster.n_neurons
    out = np.full(n, np.nan)
    if key.size == 0:
        return out
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    run = np.diff(np.append(starts, key.size)).astype(np.float64)
    run_owner = key[starts] // n_win
    del key
    total = np.bincount(run_owner, weights=run, minlength=n)
    sq = np.bincount(run_owner, weights=run * run, minlength=n)
    # var / mean = (n_win * sum(c^2) - total^2) / (n_win * total): integer-exact below 2**53
    ok = total > 0
    out[ok] = (n_win * sq[ok] - total[ok] * total[ok]) / (n_win * total[ok])
    return out


def fano_factor_across_trials(trials: Sequence[Raster]) -> np.ndarray:
    """Fano factor of each neuron's spike count across trials (one raster per trial).

    Parameters
    ----------
    trials : sequence of Raster
        Same ``n_neurons`` in every trial; each trial counts all spikes in its window.

    Returns
    -------
    ndarray of float, shape (n_neurons,)
    """
    trials = list(trials)
    if not trials:
        raise ValueError("fano_factor_across_trials needs at least one trial, got none")
    n = {t.n_neurons for t in trials}
    if len(n) != 1:
        raise ValueError(f"all trials must have the same n_neurons, got {sorted(n)}")
    counts = np.stack([t.spike_counts() for t in trials], axis=-1)
    return fano_factor_from_counts(counts)
