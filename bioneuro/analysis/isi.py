"""Interspike intervals and their variability measures (CV, CV2, LV, LvR), vectorised over a raster.

All functions take a :class:`~bioneuro.analysis.raster.Raster` and return one value per neuron
(shape ``(n_neurons,)``). A value that is undefined for a neuron is ``NaN``; the reason is always a
too short train and is stated per function (e.g. CV needs at least two intervals, i.e. three spikes).
The ISIs of a neuron are the differences of its consecutive spike times within the raster's window.

Conventions against Elephant (``elephant.statistics``), checked in ``tests/test_analysis_elephant.py``:

* ``cv`` equals ``scipy.stats.variation`` of the ISIs (population standard deviation, ``ddof=0``) as
  Elephant's ``cv`` does, except that a single interval gives ``NaN`` here (Elephant: 0).
* ``cv2``, ``lv``, ``lvr`` equal Elephant's ``cv2``, ``lv``, ``lvr(with_nan=True)``; ``lvr`` takes R in
  seconds (Elephant assumes milliseconds for plain numbers).

References
----------
Holt GR, Softky WR, Koch C, Douglas RJ (1996). Comparison of discharge variability in vitro and in
vivo in cat visual cortex neurons. J Neurophysiol 75(5):1806-1814. (CV2)
Shinomoto S, Shima K, Tanji J (2003). Differences in spiking patterns among cortical neurons.
Neural Comput 15(12):2823-2842. (LV)
Shinomoto S, Kim H, Shimokawa T, et al. (2009). Relating neuronal firing patterns to functional
differentiation of cerebral cortex. PLoS Comput Biol 5(7):e1000433. (LvR)
"""

from __future__ import annotations

import numpy as np

from bioneuro.analysis._units import as_seconds
from bioneuro.analysis.raster import Raster

__all__ = ["interspike_intervals", "isi_cv", "cv2", "lv", "lvr"]


def interspike_intervals(raster: Raster) -> tuple[np.ndarray, np.ndarray]:
    """All interspike intervals of a raster, grouped by neuron.

    Parameters
    ----------
    raster : Raster

    Returns
    -------
    owner : ndarray of int64, shape (n_isi,)
        Neuron index of each interval (non-decreasing).
    isi_s : ndarray of float64 [s], shape (n_isi,)
        Intervals ``t[k+1] - t[k]`` between consecutive spikes of the same neuron.
    """
    ids = raster.node_ids
    if ids.size < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    same = ids[1:] == ids[:-1]
    owner = ids[1:][same]
    isi = np.diff(raster.times_s)[same]
    return owner, isi


def _per_neuron_mean(owner, values, n_neurons, min_count):
    counts = np.bincount(owner, minlength=n_neurons)
    sums = np.bincount(owner, weights=values, minlength=n_neurons)
    out = np.full(n_neurons, np.nan)
    ok = counts >= min_count
    out[ok] = sums[ok] / counts[ok]
    return out


def isi_cv(raster: Raster) -> np.ndarray:
    """Coefficient of variation of the ISIs of each neuron, ``std(ISI) / mean(ISI)`` (``ddof=0``).

    Parameters
    ----------
    raster : Raster

    Returns
    -------
    ndarray of float, shape (n_neurons,)
        CV per neuron; ``NaN`` for neurons with fewer than two ISIs (three spikes). A regular train
        has CV 0, a Poisson train CV 1.
    """
    owner, isi = interspike_intervals(raster)
    n = raster.n_neurons
    counts = np.bincount(owner, minlength=n)
    mean = np.bincount(owner, weights=isi, minlength=n) / np.maximum(counts, 1)
    dev = mean[owner]
    np.subtract(isi, dev, out=dev)
    np.square(dev, out=dev)
    var = np.bincount(owner, weights=dev, minlength=n) / np.maximum(counts, 1)
    out = np.full(n, np.nan)
    ok = counts >= 2
    out[ok] = np.sqrt(var[ok]) / mean[ok]
    return out


def _consecutive_pairs(raster: Raster):
    """ISI pairs ``(I_k, I_{k+1})`` of the same neuron: (owner, first, second)."""
    owner, isi = interspike_intervals(raster)
    if owner.size < 2:
        empty = np.zeros(0)
        return np.zeros(0, dtype=np.int64), empty, empty
    same = owner[1:] == owner[:-1]
    return owner[1:][same], isi[:-1][same], isi[1:][same]


def cv2(raster: Raster) -> np.ndarray:
    r"""Local coefficient of variation CV2 of each neuron (Holt et al. 1996).

    .. math:: CV_2 = \frac{1}{N-1}\sum_{k=1}^{N-1} \frac{2|I_{k+1}-I_k|}{I_{k+1}+I_k}

    Returns
    -------
    ndarray of float, shape (n_neurons,)
        ``NaN`` for neurons with fewer than two ISIs.
    """
    owner, first, second = _consecutive_pairs(raster)
    terms = 2.0 * np.abs(second - first) / (second + first)
    return _per_neuron_mean(owner, terms, raster.n_neurons, 1)


def lv(raster: Raster) -> np.ndarray:
    r"""Local variation LV of each neuron (Shinomoto et al. 2003).

    .. math:: LV = \frac{3}{N-1}\sum_{k=1}^{N-1} \left(\frac{I_k-I_{k+1}}{I_k+I_{k+1}}\right)^2

    Returns
    -------
    ndarray of float, shape (n_neurons,)
        ``NaN`` for neurons with fewer than two ISIs.
    """
    owner, first, second = _consecutive_pairs(raster)
    terms = 3.0 * ((first - second) / (first + second)) ** 2
    return _per_neuron_mean(owner, terms, raster.n_neurons, 1)


def lvr(raster: Raster, refractory_s=0.005) -> np.ndarray:
    r"""Revised local variation LvR of each neuron (Shinomoto et al. 2009).

    .. math:: LvR = \frac{3}{N-1}\sum_{k=1}^{N-1}
              \left(1-\frac{4 I_k I_{k+1}}{(I_k+I_{k+1})^2}\right)
              \left(1+\frac{4R}{I_k+I_{k+1}}\right)

    Parameters
    ----------
    raster : Raster
    refractory_s : float [s] or Quantity
        Refractoriness constant R >= 0 (the paper recommends 5 ms).

    Returns
    -------
    ndarray of float, shape (n_neurons,)
        ``NaN`` for neurons with fewer than two ISIs.
    """
    r = as_seconds(refractory_s, "refractory_s")
    if r < 0:
        raise ValueError(f"refractory_s must be >= 0, got {r!r} s")
    owner, first, second = _consecutive_pairs(raster)
    total = first + second
    terms = 3.0 * (1.0 - 4.0 * first * second / total**2) * (1.0 + 4.0 * r / total)
    return _per_neuron_mean(owner, terms, raster.n_neurons, 1)
