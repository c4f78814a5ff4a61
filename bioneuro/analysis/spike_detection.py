"""Spike detection from membrane-potential traces by upward threshold crossings.

A spike is an upward crossing of ``threshold``: sample ``k`` is above it (``v[k] > threshold``) and
sample ``k - 1`` is not. By default the spike time is the time of sample ``k`` (the first sample
above threshold, as ``elephant.spike_train_generation.threshold_detection`` reports); with
``interpolate=True`` it is the linearly interpolated crossing time between samples ``k - 1`` and
``k``. Unlike Elephant, a trace that *starts* above threshold does not yield a spike at its first
sample (no crossing was observed). All traces are processed at once (no loop over neurons).

References
----------
Quian Quiroga R, Nadasdy Z, Ben-Shaul Y (2004). Unsupervised spike detection and sorting with
wavelets and superparamagnetic clustering. Neural Comput 16(8):1661-1687 (threshold detection).
"""

from __future__ import annotations

import numpy as np

from bioneuro.analysis._units import as_seconds, as_seconds_array, strip_unit
from bioneuro.analysis.raster import Raster, make_raster

__all__ = ["detect_spikes", "detect_spikes_in_trace"]


def detect_spikes(
    v,
    threshold,
    *,
    times_s=None,
    dt_s=None,
    t_start_s=0.0,
    refractory_s=0.0,
    interpolate: bool = False,
) -> Raster:
    """Detect spikes in one or many membrane-potential traces.

    Parameters
    ----------
    v : array_like or Quantity, shape (n_times,) or (n_times, n_traces)
        Membrane potential; a voltage quantity (Brian2 or python-quantities) or plain numbers.
    threshold : float or Quantity
        Detection threshold, in the same kind of unit as ``v`` (a quantity if ``v`` is one).
    times_s : array_like [s] or Quantity, shape (n_times,), optional
        Sample times (strictly increasing). Give either this or ``dt_s``.
    dt_s : float [s] or Quantity, optional
        Sampling interval for uniformly sampled traces starting at ``t_start_s``.
    t_start_s : float [s] or Quantity
        Time of the first sample when ``dt_s`` is used.
    refractory_s : float [s] or Quantity
        A crossing closer than this to the previous crossing of the same trace is discarded.
    interpolate : bool
        Report the linearly interpolated crossing time instead of the first sample above.

    Returns
    -------
    Raster
        One neuron per trace; window from the first sample to one sample past the last.

    Raises
    ------
    ValueError
        Shape mismatch, fewer than 2 samples, non-increasing times, NaN in ``v``.
    TypeError
        A quantity ``v`` with a plain ``threshold`` or vice versa, or mismatched units.
    """
    values, v_unit = strip_unit(v)
    thr, thr_unit = strip_unit(threshold)
    if (v_unit is None) != (thr_unit is None) or (v_unit is not None and v_unit != thr_unit):
        raise TypeError(
            f"threshold ({threshold!r}) must have the same unit as v ({v_unit or 'plain numbers'})"
        )
    if thr.size != 1:
        raise ValueError(f"threshold must be a scalar, got shape {thr.shape}")
    thr = float(thr.reshape(()))
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(f"v must have shape (n_times,) or (n_times, n_traces), got {values.shape}")
    n_times, n_traces = values.shape
    if n_times < 2:
        raise ValueError(f"v needs at least 2 samples per trace, got {n_times}")
    if np.isnan(values).any():
        raise ValueError("v contains NaN")
    if (times_s is None) == (dt_s is None):
        raise ValueError("give exactly one of times_s (sample times) or dt_s (sampling interval)")
    if times_s is not None:
        t = as_seconds_array(times_s, "times_s")
        if t.shape != (n_times,):
            raise ValueError(f"times_s must have shape ({n_times},) to match v, got {t.shape}")
        if np.any(np.diff(t) <= 0):
            raise ValueError("times_s must be strictly increasing")
        step_end = t[-1] + (t[-1] - t[-2])
    else:
        dt = as_seconds(dt_s, "dt_s")
        if not dt > 0:
            raise ValueError(f"dt_s must be > 0, got {dt!r} s")
        t = as_seconds(t_start_s, "t_start_s") + dt * np.arange(n_times)
        step_end = t[-1] + dt
    refractory = as_seconds(refractory_s, "refractory_s")
    if refractory < 0:
        raise ValueError(f"refractory_s must be >= 0, got {refractory!r} s")

    above = values > thr
    k, trace = np.nonzero(above[1:] & ~above[:-1])  # crossing between sample k and k + 1
    k = k + 1
    if interpolate:
        v0 = values[k - 1, trace]
        v1 = values[k, trace]
        frac = (thr - v0) / (v1 - v0)
        spike_t = t[k - 1] + frac * (t[k] - t[k - 1])
    else:
        spike_t = t[k]
    order = np.lexsort((spike_t, trace))
    trace, spike_t = trace[order], spike_t[order]
    if refractory > 0 and spike_t.size > 1:
        same = trace[1:] == trace[:-1]
        too_close = same & (np.diff(spike_t) < refractory)
        keep = np.concatenate(([True], ~too_close))
        trace, spike_t = trace[keep], spike_t[keep]
    return make_raster(
        trace, spike_t, n_neurons=n_traces, t_start_s=t[0], t_stop_s=step_end, assume_sorted=True
    )


def detect_spikes_in_trace(trace, threshold, *, n_neurons=None, **kwargs) -> Raster:
    """Detect spikes in a recorded state trace (``bioneuro.io.record.StateTrace``-like object).

    Parameters
    ----------
    trace : object with ``times``, ``values`` (n_times, n_recorded) and ``node_ids`` (n_recorded,)
        E.g. the membrane potential ``v`` of a run record; quantities are converted here.
    threshold : float or Quantity
        Same kind of unit as ``trace.values``.
    n_neurons : int, optional
        Population size; default ``max(node_ids) + 1``.
    **kwargs
        ``refractory_s``, ``interpolate`` as in :func:`detect_spikes`.

    Returns
    -------
    Raster
        Spikes numbered by the recorded neurons' ``node_ids``.
    """
    node_ids = np.asarray(trace.node_ids, dtype=np.int64).ravel()
    per_trace = detect_spikes(trace.values, threshold, times_s=trace.times, **kwargs)
    if node_ids.size != per_trace.n_neurons:
        raise ValueError(
            f"trace has {per_trace.n_neurons} recorded columns but {node_ids.size} node_ids"
        )
    n = int(node_ids.max()) + 1 if n_neurons is None and node_ids.size else (n_neurons or 0)
    return make_raster(
        node_ids[per_trace.node_ids],
        per_trace.times_s,
        n_neurons=n,
        t_start_s=per_trace.t_start_s,
        t_stop_s=per_trace.t_stop_s,
    )
