"""Action-potential and spike-train features of a sampled membrane-potential trace.

Pure functions over arrays (no Brian2 objects): a voltage trace sampled every ``dt`` and the spike times
detected by the model's threshold. Definitions follow common electrophysiology practice (Allen Cell Types
Database technical white paper "Electrophysiology", 2017):

* **threshold**: the potential at which ``dv/dt`` rises through 5 % of the spike's largest upstroke slope
  (but at least ``minimum_slope``), searching back from the peak; ``nan`` when the upstroke never reaches
  ``minimum_slope`` (integrate-and-fire models, whose reset replaces the upstroke);
* **peak**: the maximum of ``v`` from the spike time to ``peak_window`` after it;
* **after-hyperpolarisation (AHP)**: the minimum of ``v`` between the peak and the next spike (or
  ``ahp_window`` after the peak for the last spike);
* **half-width**: the time between the rising and falling crossings of the level half-way between threshold
  and peak (linear interpolation between samples);
* **latency**: first spike time minus stimulus onset;
* **rate**: spikes in the stimulus window divided by its length;
* **adaptation index**: mean of ``(ISI[k+1] - ISI[k]) / (ISI[k+1] + ISI[k])`` (0 for a regular train,
  positive when the train slows down).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms, mV, second, volt
from brian2.units.fundamentalunits import have_same_dimensions

__all__ = ["ActionPotentialFeatures", "SpikeTrainFeatures", "action_potential_features", "spike_train_features"]


@dataclass(frozen=True)
class ActionPotentialFeatures:
    """Per-spike features (``nan`` where a feature is undefined for that spike).

    Attributes
    ----------
    spike_times : Quantity [second]
    threshold, peak, ahp : Quantity [volt]
        One value per spike.
    half_width : Quantity [second]
        One value per spike.
    """

    spike_times: Quantity
    threshold: Quantity
    peak: Quantity
    ahp: Quantity
    half_width: Quantity

    def first(self) -> dict[str, Quantity]:
        """Features of the first spike (all ``nan`` when there was none)."""
        if len(self.spike_times) == 0:
            nan = float("nan")
            return {"threshold": nan * mV, "peak": nan * mV, "ahp": nan * mV, "half_width": nan * ms}
        return {
            "threshold": self.threshold[0],
            "peak": self.peak[0],
            "ahp": self.ahp[0],
            "half_width": self.half_width[0],
        }


@dataclass(frozen=True)
class SpikeTrainFeatures:
    """Spike-train features in a stimulus window.

    Attributes
    ----------
    n_spikes : int
    rate : Quantity [hertz]
    latency : Quantity [second]
        First spike after the stimulus onset minus the onset (``nan`` without spikes).
    adaptation_index : float
        ``nan`` with fewer than three spikes.
    """

    n_spikes: int
    rate: Quantity
    latency: Quantity
    adaptation_index: float


def _check_trace(times, v):
    if not have_same_dimensions(times, second):
        raise TypeError(f"times must be times (second), got {times!r}")
    if not have_same_dimensions(v, volt):
        raise TypeError(f"v must be potentials (volt), got an array with dimensions of {v!r}"[:200])
    t = np.asarray(times / second, dtype=float)
    values = np.asarray(v / volt, dtype=float)
    if t.ndim != 1 or values.shape != t.shape or len(t) < 3:
        raise ValueError(f"times and v must be 1-D arrays of equal length >= 3, got {t.shape} and {values.shape}")
    return t, values


def _crossing(t, v, level, start, stop, rising):
    """Interpolated time at which ``v`` crosses ``level`` between indices start..stop (first one)."""
    segment = v[start : stop + 1]
    above = segment >= level
    changes = np.flatnonzero(above[1:] != above[:-1]) if rising is None else (
        np.flatnonzero(~above[:-1] & above[1:]) if rising else np.flatnonzero(above[:-1] & ~above[1:])
    )
    if len(changes) == 0:
        return np.nan
    k = start + changes[0]
    v0, v1 = v[k], v[k + 1]
    fraction = (level - v0) / (v1 - v0) if v1 != v0 else 0.0
    return t[k] + fraction * (t[k + 1] - t[k])


def action_potential_features(
    times: Quantity,
    v: Quantity,
    spike_times: Quantity,
    *,
    upstroke_fraction: float = 0.05,
    minimum_slope: Quantity = 10 * mV / ms,
    peak_window: Quantity = 2 * ms,
    upstroke_window: Quantity = 3 * ms,
    ahp_window: Quantity = 50 * ms,
) -> ActionPotentialFeatures:
    """Threshold, peak, after-hyperpolarisation and half-width of each spike of a trace.

    Parameters
    ----------
    times : Quantity [second]
        Sample times, evenly spaced, shape ``(n,)``.
    v : Quantity [volt]
        Membrane potential at ``times``.
    spike_times : Quantity [second]
        Spike times detected by the model (threshold crossings), sorted.
    upstroke_fraction : float
        Fraction of the largest upstroke ``dv/dt`` that defines the threshold.
    minimum_slope : Quantity [volt/second]
        Lowest ``dv/dt`` level accepted as threshold; spikes whose upstroke stays below it get ``nan``.
    peak_window : Quantity [second]
        The peak is searched from the spike time to this long after it.
    upstroke_window : Quantity [second]
        The threshold is searched this long before the peak.
    ahp_window : Quantity [second]
        For the last spike, the AHP is searched this long after the peak.

    Returns
    -------
    ActionPotentialFeatures

    References
    ----------
    Allen Institute for Brain Science (2017) Allen Cell Types Database, technical white paper:
    Electrophysiology.
    """
    t, values = _check_trace(times, v)
    spikes = np.sort(np.asarray(spike_times / second, dtype=float).ravel())
    dt = t[1] - t[0]
    slope = np.gradient(values, dt)
    minimum = float(minimum_slope / (volt / second))
    n_peak = max(1, int(round(float(peak_window / second) / dt)))
    n_up = max(1, int(round(float(upstroke_window / second) / dt)))
    n_ahp = max(1, int(round(float(ahp_window / second) / dt)))
    spike_index = np.clip(np.searchsorted(t, spikes - 0.5 * dt), 0, len(t) - 1)
    n = len(spikes)
    threshold = np.full(n, np.nan)
    peak = np.full(n, np.nan)
    ahp = np.full(n, np.nan)
    half_width = np.full(n, np.nan)
    for k, index in enumerate(spike_index):
        # the peak may precede the detected spike by a sample (reset models): look one sample back
        start = max(index - 1, 0)
        stop = min(index + n_peak, len(t) - 1)
        peak_index = start + int(np.argmax(values[start : stop + 1]))
        peak[k] = values[peak_index]
        lower = max(peak_index - n_up, 0)
        if k > 0:
            lower = max(lower, spike_index[k - 1] + 1)
        upstroke = slope[lower : peak_index + 1]
        level = max(upstroke_fraction * float(np.max(upstroke)), minimum)
        fastest = int(np.argmax(upstroke))
        steep = np.flatnonzero(upstroke[:fastest] < level)
        if upstroke[fastest] > level and len(steep):
            threshold_index = lower + steep[-1] + 1
            threshold[k] = values[threshold_index]
            half = 0.5 * (threshold[k] + peak[k])
            rise = _crossing(t, values, half, threshold_index, peak_index, rising=True)
            end = min(peak_index + n_peak * 5, len(t) - 1)
            fall = _crossing(t, values, half, peak_index, end, rising=False)
            half_width[k] = fall - rise
        next_index = spike_index[k + 1] if k + 1 < n else min(peak_index + n_ahp, len(t) - 1)
        if next_index > peak_index + 1:
            ahp[k] = np.min(values[peak_index:next_index])
    return ActionPotentialFeatures(
        spike_times=spikes * second,
        threshold=threshold * volt,
        peak=peak * volt,
        ahp=ahp * volt,
        half_width=half_width * second,
    )


def spike_train_features(spike_times: Quantity, t_start: Quantity, t_stop: Quantity) -> SpikeTrainFeatures:
    """Rate, latency and adaptation index of the spikes in ``[t_start, t_stop)``.

    Parameters
    ----------
    spike_times : Quantity [second]
    t_start, t_stop : Quantity [second]
        Stimulus window, ``t_stop > t_start``.

    Returns
    -------
    SpikeTrainFeatures
    """
    if not t_stop > t_start:
        raise ValueError(f"t_stop = {t_stop!r} must be after t_start = {t_start!r}")
    spikes = np.sort(np.asarray(spike_times / second, dtype=float).ravel())
    start, stop = float(t_start / second), float(t_stop / second)
    inside = spikes[(spikes >= start) & (spikes < stop)]
    latency = inside[0] - start if len(inside) else np.nan
    isi = np.diff(inside)
    if len(isi) >= 2:
        adaptation = float(np.mean((isi[1:] - isi[:-1]) / (isi[1:] + isi[:-1])))
    else:
        adaptation = float("nan")
    return SpikeTrainFeatures(
        n_spikes=len(inside),
        rate=len(inside) / ((stop - start) * second),
        latency=latency * second,
        adaptation_index=adaptation,
    )
