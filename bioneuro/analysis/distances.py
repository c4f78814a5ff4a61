"""Spike-train distances: van Rossum and Victor–Purpura, as matrices over all trains of a raster.

Each neuron of a :class:`Raster` is one train (to compare trials of one neuron, put the trials in
the raster as "neurons"). A list of 1-D time arrays (seconds) is accepted too.

Normalisations follow Elephant (``elephant.spike_train_dissimilarity``):

* van Rossum: :math:`D^2 = \\sum_{ij} e^{-|a_i-a_j|/\\tau} + \\sum_{ij} e^{-|b_i-b_j|/\\tau}
  - 2\\sum_{ij} e^{-|a_i-b_j|/\\tau}`, i.e. :math:`(2/\\tau)\\int (f-g)^2 dt` for exponential traces
  :math:`f = \\sum_i H(t-a_i) e^{-(t-a_i)/\\tau}`; one spike against an empty train gives 1 and two
  single spikes :math:`\\sqrt{2(1-e^{-|\\Delta t|/\\tau})}`.
* Victor–Purpura: minimal cost of turning one train into the other, 1 per inserted or deleted spike
  and ``q * |shift|`` per moved spike (``q`` = cost factor in Hz).

The van Rossum sums use the O(n) recursion of Houghton & Kreuz (2012), evaluated in log space
(``logaddexp.accumulate``) so that no exponential overflows, and one ``searchsorted`` per train
against all spikes. Victor–Purpura uses the dynamic programme of Victor & Purpura (1996) with each
row vectorised (the in-row recursion is a running minimum).

References
----------
van Rossum MCW (2001). A novel spike distance. Neural Comput 13(4):751-763.
Houghton C, Kreuz T (2012). On the efficient calculation of van Rossum distances.
Network 23(1-2):48-58.
Victor JD, Purpura KP (1996). Nature and precision of temporal coding in visual cortex: a
metric-space analysis. J Neurophysiol 76(2):1310-1326.
"""

from __future__ import annotations

import math

import numpy as np

from bioneuro.analysis._units import as_hertz, as_seconds
from bioneuro.analysis.raster import Raster

__all__ = ["van_rossum_distance", "victor_purpura_distance"]


def _as_trains(trains) -> list[np.ndarray]:
    if isinstance(trains, Raster):
        return trains.trains()
    out = []
    for k, t in enumerate(trains):
        arr = np.asarray(t, dtype=np.float64).ravel()
        if arr.size and not np.all(np.isfinite(arr)):
            raise ValueError(f"train {k} contains NaN or inf")
        out.append(np.sort(arr))
    return out


def _decayed_sums(train: np.ndarray, tau: float) -> np.ndarray:
    """S[k] = sum_{i <= k} exp(-(t_k - t_i) / tau) for a sorted train (log-space, no overflow)."""
    if train.size == 0:
        return np.zeros(0)
    u = train / tau
    log_cum = np.logaddexp.accumulate(u)
    return np.exp(log_cum - u)


def van_rossum_distance(trains, tau_s) -> np.ndarray:
    """Pairwise van Rossum distances (Elephant's normalisation, see module docstring).

    Parameters
    ----------
    trains : Raster or sequence of array_like [s]
        One train per neuron (or per trial).
    tau_s : float [s] or Quantity
        Time constant of the exponential kernel, > 0. ``numpy.inf`` compares spike counts only:
        ``D = |n_a - n_b|``.

    Returns
    -------
    ndarray of float, shape (n_trains, n_trains)
        Symmetric, zero diagonal, dimensionless.

    Notes
    -----
    Cost O(n_trains * n_spikes * log) time and O(n_trains**2 + n_spikes) memory: meant for trials
    or selected neurons (:meth:`Raster.select`), not for all trains of a large network.
    """
    trains = _as_trains(trains)
    n = len(trains)
    if isinstance(tau_s, (int, float)) and math.isinf(tau_s) and tau_s > 0:
        sizes = np.array([t.size for t in trains], dtype=np.float64)
        return np.abs(sizes[:, None] - sizes[None, :])
    tau = as_seconds(tau_s, "tau_s")
    if not tau > 0:
        raise ValueError(f"tau_s must be > 0, got {tau!r} s")
    if n == 0:
        return np.zeros((0, 0))
    sizes = np.array([t.size for t in trains], dtype=np.int64)
    all_times = np.concatenate(trains) if sizes.sum() else np.zeros(0)
    owner = np.repeat(np.arange(n), sizes)
    # cross[u, v] = sum_{j in v} sum_{i in u, u_i <= v_j} exp(-(v_j - u_i)/tau)   ("right")
    # cross_lt[u, v] = same with u_i < v_j strictly ("left"); M = cross[u, v] + cross_lt[v, u]
    cross_le = np.zeros((n, n))
    cross_lt = np.zeros((n, n))
    for u, train in enumerate(trains):  # one vectorised pass per train, against all spikes
        if train.size == 0 or all_times.size == 0:
            continue
        s = _decayed_sums(train, tau)
        for side, target in (("right", cross_le), ("left", cross_lt)):
            k = np.searchsorted(train, all_times, side=side) - 1
            ok = k >= 0
            contrib = np.zeros(all_times.size)
            kk = k[ok]
            contrib[ok] = s[kk] * np.exp(-(all_times[ok] - train[kk]) / tau)
            target[u] = np.bincount(owner, weights=contrib, minlength=n)
    m = cross_le + cross_lt.T
    diag = np.diag(m)
    d2 = diag[:, None] + diag[None, :] - m - m.T
    d2 = np.maximum(d2, 0.0)  # rounding can leave tiny negatives for identical trains
    np.fill_diagonal(d2, 0.0)
    return np.sqrt(d2)


def _vp_one_to_many(a: np.ndarray, others: list[np.ndarray], q: float) -> np.ndarray:
    """Victor–Purpura distances from sorted train ``a`` to each sorted train in ``others``.

    The dynamic programme D[i, j] = min(D[i-1, j] + 1, D[i, j-1] + 1, D[i-1, j-1] + q|a_i - b_j|)
    runs over the spikes of ``a``; each row is computed for all ``others`` at once (padded to a common
    length: padding sits right of a train's last column and never feeds back into it), and the
    in-row recursion is a running minimum: D[i, j] = min_k<=j (C[k] + j - k).
    """
    sizes = np.array([b.size for b in others], dtype=np.int64)
    if sizes.size == 0:
        return np.zeros(0)
    width = int(sizes.max()) if sizes.size else 0
    padded = np.zeros((sizes.size, width))
    for row, b in enumerate(others):
        padded[row, : b.size] = b
    ramp = np.arange(width + 1, dtype=np.float64)
    prev = np.broadcast_to(ramp, (sizes.size, width + 1)).copy()  # row 0: insert all of b
    cand = np.empty_like(prev)
    for i in range(1, a.size + 1):  # loop over spikes of a; rows over all other trains vectorised
        cand[:, 0] = i
        np.minimum(prev[:, 1:] + 1.0, prev[:, :-1] + q * np.abs(a[i - 1] - padded), out=cand[:, 1:])
        prev = np.minimum.accumulate(cand - ramp, axis=1) + ramp
    return prev[np.arange(sizes.size), sizes]


def victor_purpura_distance(trains, cost_factor_Hz) -> np.ndarray:
    """Pairwise Victor–Purpura distances.

    Parameters
    ----------
    trains : Raster or sequence of array_like [s]
    cost_factor_Hz : float [Hz] or Quantity
        Cost ``q`` per second of spike shift, >= 0 (``q = 0`` compares spike counts only).

    Returns
    -------
    ndarray of float, shape (n_trains, n_trains)
        Symmetric, zero diagonal; a spike count difference bounds it from below.

    Notes
    -----
    Cost O(n_trains**2 * spikes per train**2) arithmetic in O(n_trains * spikes per train) numpy
    calls: meant for trials or selected neurons.
    """
    q = as_hertz(cost_factor_Hz, "cost_factor_Hz")
    if q < 0:
        raise ValueError(f"cost_factor_Hz must be >= 0, got {q!r} Hz")
    trains = _as_trains(trains)
    n = len(trains)
    out = np.zeros((n, n))
    for i in range(n - 1):  # one batched dynamic programme per train against all later trains
        out[i, i + 1 :] = _vp_one_to_many(trains[i], trains[i + 1 :], q)
    out = np.maximum(out, out.T)
    return out

