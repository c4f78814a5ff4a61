"""Population synchrony: the spike-contrast measure of Ciba et al. (2018).

For a sequence of shrinking bin sizes, spikes are binned with bins that overlap by half; for each
bin size the *contrast* ``sum |diff(theta)| / (2 n_spikes)`` of the population histogram ``theta``
is multiplied by the fraction of trains active together
``(sum(n * theta) / sum(theta) - 1) / (N - 1)`` (``n`` = active trains per bin); the synchrony is
the maximum of that product over bin sizes, between 0 (asynchronous) and 1 (all trains fire
together). Bin sizes run from half the window down to ``max(min_bin, smallest ISI / 2)`` by the
factor ``bin_shrink_factor``; the window is widened by the smallest ISI on both sides, as in the
paper and in ``elephant.spike_train_synchrony.spike_contrast``, which this matches.

References
----------
Ciba M, Isomura T, Jimbo Y, Bahmer A, Thielemann C (2018). Spike-contrast: A novel time scale
independent and multivariate measure of spike train synchrony. J Neurosci Methods 293:136-143.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bioneuro.analysis._units import as_seconds
from bioneuro.analysis.isi import interspike_intervals
from bioneuro.analysis.raster import Raster

__all__ = ["SpikeContrastTrace", "spike_contrast"]


@dataclass(frozen=True)
class SpikeContrastTrace:
    """Curves behind :func:`spike_contrast`, one entry per bin size (largest first)."""

    bin_size_s: np.ndarray
    contrast: np.ndarray
    active_fraction: np.ndarray
    synchrony: np.ndarray


def _half_bin_counts(raster: Raster, edges: np.ndarray):
    """theta (spikes per overlapping bin) and n (trains active per overlapping bin)."""
    n_half = edges.size - 1
    idx = np.searchsorted(edges, raster.times_s, side="right") - 1
    idx[raster.times_s == edges[-1]] = n_half - 1  # numpy.histogram closes the last bin
    ok = (idx >= 0) & (idx < n_half)
    idx = idx[ok]
    owner = raster.node_ids[ok]
    per_half = np.bincount(idx, minlength=n_half)
    theta = per_half[:-1] + per_half[1:]
    key = np.unique(owner * n_half + idx)  # occupied (train, half-bin) cells
    cell_idx = key % n_half
    occupied = np.bincount(cell_idx, minlength=n_half)
    both = (np.diff(key) == 1) & (cell_idx[:-1] != n_half - 1)
    both_count = np.bincount(cell_idx[:-1][both], minlength=n_half)[:-1]
    active = occupied[:-1] + occupied[1:] - both_count
    return theta, active


def spike_contrast(
    raster: Raster, *, min_bin_s=0.01, bin_shrink_factor: float = 0.9, return_trace: bool = False
):
    """Spike-contrast synchrony of all trains of a raster (Ciba et al. 2018).

    Parameters
    ----------
    raster : Raster
        At least two neurons, and at least one neuron with two spikes.
    min_bin_s : float [s] or Quantity
        Smallest bin size considered.
    bin_shrink_factor : float
        Ratio of consecutive bin sizes, in (0, 1).
    return_trace : bool
        Also return the :class:`SpikeContrastTrace`.

    Returns
    -------
    float or (float, SpikeContrastTrace)
        Synchrony in [0, 1].
    """
    if not 0.0 < bin_shrink_factor < 1.0:
        raise ValueError(f"bin_shrink_factor must be in (0, 1), got {bin_shrink_factor!r}")
    min_bin = as_seconds(min_bin_s, "min_bin_s")
    if raster.n_neurons < 2:
        raise ValueError(f"spike contrast needs at least 2 spike trains, got {raster.n_neurons}")
    _, isi = interspike_intervals(raster)
    if isi.size == 0:
        raise ValueError("spike contrast needs a train with at least 2 spikes; every train has at most 1")
    isi_min = float(isi.min())
    n_spikes = raster.n_spikes
    t_start, t_stop = raster.t_start_s, raster.t_stop_s
    bin_size = (t_stop - t_start) / 2.0
    bin_min = max(isi_min / 2.0, min_bin)
    t_start, t_stop = t_start - isi_min, t_stop + isi_min
    sizes, contrasts, actives, syncs = [], [], [], []
    n_trains = raster.n_neurons
    while bin_size >= bin_min:
        step = bin_size / 2.0
        edges = np.arange(t_start, t_stop + step, step)
        theta, active = _half_bin_counts(raster, edges)
        total = theta.sum()
        active_fraction = (np.dot(active, theta) / total - 1.0) / (n_trains - 1)
        contrast = np.abs(np.diff(theta)).sum() / (2.0 * n_spikes)
        sizes.append(bin_size)
        contrasts.append(contrast)
        actives.append(active_fraction)
        syncs.append(contrast * active_fraction)
        bin_size *= bin_shrink_factor
    synchrony = float(max(syncs))
    if not return_trace:
        return synchrony
    trace = SpikeContrastTrace(
        np.array(sizes), np.array(contrasts), np.array(actives), np.array(syncs)
    )
    return synchrony, trace
