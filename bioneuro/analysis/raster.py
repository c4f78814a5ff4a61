"""The spike raster: validated ``(neuron index, spike time)`` arrays every statistic works on.

A :class:`Raster` holds all spikes of one population as two flat arrays sorted neuron-major (by
neuron index, then by time), the number of neurons (silent neurons included) and the observation
window ``[t_start_s, t_stop_s)``. Sorting once makes every per-neuron statistic a vectorised
operation over contiguous segments (``numpy.bincount`` / ``numpy.add.reduceat``) instead of a Python
loop over neurons.

Bad input is refused here, once, with a message that quotes the bad value: arrays of different
lengths, non-finite or non-integer indices, spikes before ``t_start_s`` or at/after ``t_stop_s``.
Unsorted input is accepted and sorted (documented result, not an error).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bioneuro.analysis._units import as_seconds, as_seconds_array

__all__ = ["Raster", "make_raster"]


@dataclass(frozen=True, eq=False)
class Raster:
    """Spikes of one population, sorted neuron-major, with their observation window.

    Build it with :func:`make_raster` (which validates and sorts) or :meth:`Raster.from_quantities`.

    Attributes
    ----------
    node_ids : ndarray of int64, shape (n_spikes,)
        Neuron index of each spike, non-decreasing.
    times_s : ndarray of float64, shape (n_spikes,)
        Spike times in seconds, non-decreasing within each neuron.
    n_neurons : int
        Number of neurons, silent ones included (``node_ids < n_neurons``).
    t_start_s, t_stop_s : float
        Observation window ``[t_start_s, t_stop_s)`` in seconds.
    """

    node_ids: np.ndarray
    times_s: np.ndarray
    n_neurons: int
    t_start_s: float
    t_stop_s: float
    _offsets: np.ndarray | None = field(default=None, repr=False, compare=False)

    # -- derived quantities -------------------------------------------------------------------
    @property
    def n_spikes(self) -> int:
        """Total number of spikes."""
        return int(self.times_s.size)

    @property
    def duration_s(self) -> float:
        """Length of the observation window in seconds."""
        return self.t_stop_s - self.t_start_s

    @property
    def offsets(self) -> np.ndarray:
        """Index pointer of length ``n_neurons + 1``: neuron k's spikes are ``[offsets[k], offsets[k+1])``."""
        if self._offsets is None:
            counts = np.bincount(self.node_ids, minlength=self.n_neurons)
            offsets = np.zeros(self.n_neurons + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            object.__setattr__(self, "_offsets", offsets)
        return self._offsets

    def spike_counts(self) -> np.ndarray:
        """Number of spikes of each neuron, shape ``(n_neurons,)``."""
        return np.diff(self.offsets)

    def train(self, neuron: int) -> np.ndarray:
        """Spike times (s) of one neuron, a view into :attr:`times_s`."""
        if not 0 <= int(neuron) < self.n_neurons:
            raise IndexError(f"neuron {neuron!r} out of range [0, {self.n_neurons})")
        return self.times_s[self.offsets[neuron] : self.offsets[neuron + 1]]

    def trains(self) -> list[np.ndarray]:
        """List of per-neuron spike-time arrays (views); for interchange, not for statistics."""
        return np.split(self.times_s, self.offsets[1:-1])

    # -- derived rasters ----------------------------------------------------------------------
    def crop(self, t_start=None, t_stop=None) -> Raster:
        """Return the spikes in ``[t_start, t_stop)`` with that window (times stay absolute)."""
        start = self.t_start_s if t_start is None else as_seconds(t_start, "t_start")
        stop = self.t_stop_s if t_stop is None else as_seconds(t_stop, "t_stop")
        if not stop > start:
            raise ValueError(f"t_stop ({stop!r} s) must be greater than t_start ({start!r} s)")
        keep = (self.times_s >= start) & (self.times_s < stop)
        return Raster(self.node_ids[keep], self.times_s[keep], self.n_neurons, start, stop)

    def select(self, neurons) -> Raster:
        """Return the raster of the given neurons, renumbered ``0 .. len(neurons) - 1`` in that order."""
        neurons = np.asarray(neurons, dtype=np.int64).ravel()
        if neurons.size and (neurons.min() < 0 or neurons.max() >= self.n_neurons):
            raise IndexError(f"neuron indices must lie in [0, {self.n_neurons}), got {neurons!r}")
        starts = self.offsets[neurons]
        counts = self.offsets[neurons + 1] - starts
        ids = np.repeat(np.arange(neurons.size, dtype=np.int64), counts)
        # index of each kept spike: start of its neuron + rank within the neuron (no loop)
        first_of_run = np.concatenate(([0], np.cumsum(counts)[:-1]))
        index = np.arange(ids.size) - np.repeat(first_of_run - starts, counts)
        times = self.times_s[index]
        return Raster(ids, times, int(neurons.size), self.t_start_s, self.t_stop_s)

    @classmethod
    def from_quantities(cls, node_ids, times, n_neurons=None, t_start=None, t_stop=None) -> Raster:
        """Thin wrapper over :func:`make_raster` for Brian2 / python-quantities times."""
        return make_raster(node_ids, times, n_neurons=n_neurons, t_start_s=t_start, t_stop_s=t_stop)

    @classmethod
    def from_spike_trains(cls, spikes, t_start=None, t_stop=None) -> Raster:
        """Build from a ``bioneuro.io.record.SpikeTrains`` (``node_ids``, ``timestamps``, ``n_neurons``)."""
        return make_raster(
            spikes.node_ids,
            spikes.timestamps,
            n_neurons=getattr(spikes, "n_neurons", None),
            t_start_s=t_start,
            t_stop_s=t_stop,
        )

    def __repr__(self) -> str:
        return (
            f"Raster(n_neurons={self.n_neurons}, n_spikes={self.n_spikes}, "
            f"t_start_s={self.t_start_s!r}, t_stop_s={self.t_stop_s!r})"
        )


def _as_node_ids(node_ids) -> np.ndarray:
    arr = np.asarray(node_ids)
    if arr.ndim != 1:
        arr = np.atleast_1d(arr)
        if arr.ndim != 1:
            raise ValueError(f"node_ids must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~np.isfinite(arr) | (arr != np.round(arr))][:5]
            raise ValueError(f"node_ids must be whole numbers, got values such as {bad!r}")
        return arr.astype(np.int64)
    raise TypeError(f"node_ids must be integers, got dtype {arr.dtype}")


def make_raster(
    node_ids, times_s, *, n_neurons=None, t_start_s=None, t_stop_s=None, assume_sorted=False
) -> Raster:
    """Validate and sort a raster given as parallel ``(neuron index, spike time)`` arrays.

    Parameters
    ----------
    node_ids : array_like of int, shape (n_spikes,)
        Neuron index of each spike, ``0 <= node_ids < n_neurons``.
    times_s : array_like of float [s] or time Quantity, shape (n_spikes,)
        Spike times; any order.
    n_neurons : int, optional
        Number of neurons including silent ones; default ``max(node_ids) + 1``.
    t_start_s : float [s] or Quantity, optional
        Start of the observation window; default 0 s (or the first spike if that is negative).
    t_stop_s : float [s] or Quantity, optional
        End of the window (exclusive); default the last spike time plus the smallest positive
        float step (so the last spike lies inside). Give it explicitly for unbiased rates.
    assume_sorted : bool
        Accepted for callers that know the order; the order is checked (cheaply) either way.

    Returns
    -------
    Raster

    Raises
    ------
    ValueError
        Arrays of different lengths, non-finite times, negative or too large indices, spikes
        outside ``[t_start_s, t_stop_s)``, an empty raster without ``t_stop_s``, or
        ``t_stop_s <= t_start_s``.
    TypeError
        Non-integer indices or times with a non-time unit.
    """
    ids = _as_node_ids(node_ids)
    times = as_seconds_array(times_s, "times_s")
    if times.ndim != 1:
        raise ValueError(f"times_s must be 1-D, got shape {times.shape}")
    if ids.size != times.size:
        raise ValueError(
            f"node_ids and times_s must have the same length, got {ids.size} and {times.size}"
        )
    if times.size and not np.all(np.isfinite(times)):
        raise ValueError(f"times_s must be finite, got {np.count_nonzero(~np.isfinite(times))} NaN/inf")
    if ids.size and ids.min() < 0:
        raise ValueError(f"node_ids must be >= 0, got {ids.min()}")
    max_id = int(ids.max()) if ids.size else -1
    if n_neurons is None:
        n_neurons = max_id + 1
    if isinstance(n_neurons, bool) or int(n_neurons) != n_neurons or n_neurons < 0:
        raise ValueError(f"n_neurons must be a non-negative integer, got {n_neurons!r}")
    n_neurons = int(n_neurons)
    if max_id >= n_neurons:
        raise ValueError(f"node_ids must be < n_neurons={n_neurons}, got {max_id}")

    if t_start_s is None:
        start = min(0.0, float(times.min())) if times.size else 0.0
    else:
        start = as_seconds(t_start_s, "t_start_s")
    if t_stop_s is None:
        if times.size == 0:
            raise ValueError("an empty raster needs an explicit t_stop_s (the observation window)")
        last = float(times.max())
        stop = float(np.nextafter(last, np.inf))
    else:
        stop = as_seconds(t_stop_s, "t_stop_s")
    if not stop > start:
        raise ValueError(f"t_stop_s ({stop!r} s) must be greater than t_start_s ({start!r} s)")
    if times.size:
        lo, hi = float(times.min()), float(times.max())
        if lo < start:
            n_bad = int(np.count_nonzero(times < start))
            raise ValueError(
                f"{n_bad} spike time(s) lie before t_start_s={start!r} s (earliest {lo!r} s); "
                "pass a smaller t_start_s or crop the data first"
            )
        if hi >= stop:
            n_bad = int(np.count_nonzero(times >= stop))
            raise ValueError(
                f"{n_bad} spike time(s) lie at or beyond t_stop_s={stop!r} s (latest {hi!r} s); "
                "pass a larger t_stop_s or crop the data first (the window is [t_start_s, t_stop_s))"
            )

    if not _is_neuron_major(ids, times):
        order = _neuron_major_order(ids, times, n_neurons)
        ids = ids[order]
        times = times[order]
    return Raster(ids, times, n_neurons, start, stop)


def _neuron_major_order(ids: np.ndarray, times: np.ndarray, n_neurons: int) -> np.ndarray:
    """Permutation sorting by (neuron, time).

    Input sorted by time (monitor output) needs only a stable sort by neuron; with fewer than 2**16
    neurons that is numpy's O(n) radix sort on ``uint16`` keys. Otherwise sort by time first.
    """
    small = n_neurons <= np.iinfo(np.uint16).max + 1
    time_sorted = bool(np.all(times[1:] >= times[:-1]))
    if not small:
        return np.argsort(ids, kind="stable") if time_sorted else np.lexsort((times, ids))
    if time_sorted:
        return np.argsort(ids.astype(np.uint16), kind="stable")
    by_time = np.argsort(times, kind="stable")
    return by_time[np.argsort(ids[by_time].astype(np.uint16), kind="stable")]


def _is_neuron_major(ids: np.ndarray, times: np.ndarray) -> bool:
    if ids.size < 2:
        return True
    d_ids = np.diff(ids)
    if np.any(d_ids < 0):
        return False
    same = d_ids == 0
    return bool(np.all(times[1:][same] >= times[:-1][same]))
