"""Latency and rank-order coding: one spike per input, stronger inputs fire earlier."""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, second

from bioneuro.encoders._validation import check_time

__all__ = ["latency_code", "rank_order_code"]


def _values(values) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"values must be a numeric array, got dtype {array.dtype}")
    array = array.astype(float).ravel()
    if not np.all(np.isfinite(array)):
        raise ValueError("values must be finite")
    return array


def latency_code(
    values,
    max_latency: Quantity,
    *,
    min_latency: Quantity = 0 * second,
    threshold: float = 0.0,
    max_value: float | None = None,
) -> tuple[np.ndarray, Quantity]:
    """Linear latency code: each input above ``threshold`` spikes once, stronger inputs earlier.

    ``t = min_latency + (1 - x / max_value) (max_latency - min_latency)``, so ``x = max_value``
    spikes at ``min_latency`` and ``x -> 0`` at ``max_latency``. Inputs with ``x <= threshold`` stay
    silent. Masquelier & Thorpe (2007) motivate latency coding by intensity-to-delay conversion in
    the retina (they use a decreasing function of the intensity, of which this is the linear case).

    Parameters
    ----------
    values : array_like
        Non-negative input strengths (flattened in C order).
    max_latency : Quantity [second]
        Latency of the weakest possible input.
    min_latency : Quantity [second]
        Latency of ``max_value``; ``0 <= min_latency <= max_latency``.
    threshold : float
        Inputs at or below it produce no spike.
    max_value : float, optional
        Full-scale value; default ``values.max()``. Values above it are an error.

    Returns
    -------
    indices : ndarray of int64
    times : Quantity [second]
        Sorted by time, ties by index.

    References
    ----------
    Masquelier T, Thorpe SJ (2007) Unsupervised learning of visual features through spike timing
    dependent plasticity. PLoS Comput Biol 3:e31.
    """
    x = _values(values)
    if np.any(x < 0):
        raise ValueError(f"values must be non-negative, got minimum {x.min()}")
    check_time("max_latency", max_latency)
    check_time("min_latency", min_latency)
    if not max_latency >= min_latency:
        raise ValueError(
            f"max_latency = {max_latency!r} must not be below min_latency = {min_latency!r}"
        )
    if max_value is None:
        max_value = float(x.max(initial=0.0))
    if x.size and x.max() > max_value:
        raise ValueError(f"values exceed max_value = {max_value!r} (maximum {x.max()})")
    active = np.flatnonzero(x > threshold)
    if active.size == 0 or max_value <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0) * second
    span = float((max_latency - min_latency) / second)
    latencies = float(min_latency / second) + (1.0 - x[active] / max_value) * span
    order = np.lexsort((active, latencies))
    return active[order].astype(np.int64), latencies[order] * second


def rank_order_code(
    values,
    interval: Quantity,
    *,
    t_start: Quantity = 0 * second,
    threshold: float = 0.0,
) -> tuple[np.ndarray, Quantity]:
    """Rank-order code: the ``r``-th strongest input (r = 0, 1, ...) spikes at ``t_start + r * interval``.

    Only the order carries information (Thorpe & Gautrais 1998). Inputs at or below ``threshold``
    are silent; ties are broken by input index (lower index first).

    Parameters
    ----------
    values : array_like
        Input strengths (flattened in C order).
    interval : Quantity [second]
        Time between successive ranks, positive.
    t_start : Quantity [second]
        Time of the first spike.
    threshold : float

    Returns
    -------
    indices : ndarray of int64
        Inputs from strongest to weakest.
    times : Quantity [second]

    References
    ----------
    Thorpe S, Gautrais J (1998) Rank order coding. In: Bower JM (ed) Computational Neuroscience:
    Trends in Research, Plenum, pp. 113-118.
    """
    x = _values(values)
    check_time("interval", interval, positive=True)
    check_time("t_start", t_start)
    active = np.flatnonzero(x > threshold)
    order = active[np.lexsort((active, -x[active]))]
    return order.astype(np.int64), t_start + np.arange(order.size) * interval
