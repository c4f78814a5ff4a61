"""Injected-current waveforms on a time grid: step, ramp, white noise, Ornstein-Uhlenbeck noise.

Every function returns a :class:`CurrentWaveform`: sampled values (sample ``k`` holds on
``[k dt, (k+1) dt)``, the convention of :class:`brian2.TimedArray`) with their ``dt``; call
:meth:`CurrentWaveform.to_timed_array` to drive ``I_ext``, or pass the waveform to
``bioneuro.neurons.make_neurons(..., input_current=...)``. Amplitudes may be currents (amp) or current
densities (amp/metre**2, for Hodgkin-Huxley); all amplitudes of one waveform share one dimension.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, TimedArray, amp, metre
from brian2.units.fundamentalunits import get_dimensions, have_same_dimensions
from scipy.signal import lfilter

from bioneuro.encoders._validation import check_same_dimensions, check_time, make_rng, n_steps

__all__ = [
    "CurrentWaveform",
    "step_current",
    "ramp_current",
    "white_noise_current",
    "ornstein_uhlenbeck_current",
]


def _check_current(name: str, value) -> None:
    if not isinstance(value, Quantity) or not (
        have_same_dimensions(value, amp) or have_same_dimensions(value, amp / metre**2)
    ):
        raise TypeError(
            f"{name} = {value!r} must be a current (amp) or a current density (amp/metre**2)"
        )
    if not np.all(np.isfinite(np.asarray(value))):
        raise ValueError(f"{name} = {value!r} must be finite")


@dataclass(frozen=True)
class CurrentWaveform:
    """A current sampled every ``dt``.

    Attributes
    ----------
    values : Quantity [amp or amp/metre**2]
        Shape ``(n_times,)`` (same current for every neuron) or ``(n_times, n_channels)``.
    dt : Quantity [second]
        Sampling step; ``values[k]`` holds on ``[k dt, (k+1) dt)``.
    """

    values: Quantity
    dt: Quantity

    def __post_init__(self):
        _check_current("values", self.values)
        check_time("dt", self.dt, positive=True)
        if np.ndim(self.values) not in (1, 2) or np.shape(self.values)[0] == 0:
            raise ValueError(
                f"values must have shape (n_times,) or (n_times, n_channels) with n_times >= 1, "
                f"got shape {np.shape(self.values)}"
            )

    @property
    def times(self) -> Quantity:
        """Start time of each sample [second]."""
        return np.arange(len(self.values)) * self.dt

    @property
    def duration(self) -> Quantity:
        """Total duration ``n_times * dt`` [second]."""
        return len(self.values) * self.dt

    def to_timed_array(self, name: str | None = None) -> TimedArray:
        """Return a :class:`brian2.TimedArray` (call it as ``f(t)`` or ``f(t, i)`` for 2-D values).

        Parameters
        ----------
        name : str, optional
            Name of the TimedArray.

        Returns
        -------
        brian2.TimedArray
        """
        kwargs = {} if name is None else {"name": name}
        return TimedArray(self.values, dt=self.dt, **kwargs)


def _baseline(baseline, reference, reference_name):
    if baseline is None:
        return 0 * reference
    _check_current("baseline", baseline)
    check_same_dimensions("baseline", baseline, reference, reference_name)
    return baseline


def _window(t_start, t_stop, duration, dt) -> tuple[int, int, int]:
    total = n_steps("duration", duration, dt)
    check_time("t_start", t_start)
    check_time("t_stop", t_stop)
    if not t_stop >= t_start:
        raise ValueError(f"t_stop = {t_stop!r} must not be before t_start = {t_start!r}")
    if t_stop > duration:
        raise ValueError(f"t_stop = {t_stop!r} must not be after duration = {duration!r}")
    return int(round(float(t_start / dt))), int(round(float(t_stop / dt))), total


def step_current(
    amplitude: Quantity,
    t_start: Quantity,
    t_stop: Quantity,
    duration: Quantity,
    dt: Quantity,
    *,
    baseline: Quantity | None = None,
) -> CurrentWaveform:
    """A rectangular pulse: ``amplitude`` on ``[t_start, t_stop)``, ``baseline`` elsewhere.

    Parameters
    ----------
    amplitude : Quantity [amp or amp/metre**2]
    t_start, t_stop : Quantity [second]
        Pulse on- and offset, rounded to the grid, ``0 <= t_start <= t_stop <= duration``.
    duration : Quantity [second]
        Whole waveform, a positive multiple of ``dt``.
    dt : Quantity [second]
    baseline : Quantity [amp or amp/metre**2], optional
        Value outside the pulse (zero if omitted).

    Returns
    -------
    CurrentWaveform
    """
    _check_current("amplitude", amplitude)
    if np.ndim(amplitude) != 0:
        raise TypeError(f"amplitude must be a scalar, got {amplitude!r}")
    baseline = _baseline(baseline, amplitude, "amplitude")
    start, stop, total = _window(t_start, t_stop, duration, dt)
    values = np.full(total, float(baseline / _unit(amplitude)))
    values[start:stop] = float(amplitude / _unit(amplitude))
    return CurrentWaveform(values * _unit(amplitude), dt)


def ramp_current(
    start_amplitude: Quantity,
    stop_amplitude: Quantity,
    t_start: Quantity,
    t_stop: Quantity,
    duration: Quantity,
    dt: Quantity,
    *,
    baseline: Quantity | None = None,
) -> CurrentWaveform:
    """A linear ramp from ``start_amplitude`` at ``t_start`` towards ``stop_amplitude`` at ``t_stop``.

    Sample ``k`` with ``t_start <= k dt < t_stop`` has value
    ``start + (stop - start) (k dt - t_start) / (t_stop - t_start)``; outside the ramp the value is
    ``baseline``.

    Parameters
    ----------
    start_amplitude, stop_amplitude : Quantity [amp or amp/metre**2]
    t_start, t_stop : Quantity [second]
    duration, dt : Quantity [second]
    baseline : Quantity [amp or amp/metre**2], optional
        Zero if omitted.

    Returns
    -------
    CurrentWaveform
    """
    _check_current("start_amplitude", start_amplitude)
    _check_current("stop_amplitude", stop_amplitude)
    check_same_dimensions("stop_amplitude", stop_amplitude, start_amplitude, "start_amplitude")
    baseline = _baseline(baseline, start_amplitude, "start_amplitude")
    start, stop, total = _window(t_start, t_stop, duration, dt)
    unit = _unit(start_amplitude)
    values = np.full(total, float(baseline / unit))
    if stop > start:
        fraction = (np.arange(start, stop) - start) / (stop - start)
        first, last = float(start_amplitude / unit), float(stop_amplitude / unit)
        values[start:stop] = first + (last - first) * fraction
    return CurrentWaveform(values * unit, dt)


def _noise_shape(n_times: int, n_channels) -> tuple[int, ...]:
    if n_channels is None:
        return (n_times,)
    if isinstance(n_channels, bool) or not isinstance(n_channels, (int, np.integer)) or n_channels < 1:
        raise ValueError(f"n_channels must be a positive int or None, got {n_channels!r}")
    return (n_times, int(n_channels))


def _check_mean_std(mean, std):
    _check_current("mean", mean)
    _check_current("std", std)
    check_same_dimensions("std", std, mean, "mean")
    if np.ndim(mean) != 0 or np.ndim(std) != 0:
        raise TypeError(f"mean and std must be scalars, got {mean!r} and {std!r}")
    if not float(np.asarray(std)) >= 0:
        raise ValueError(f"std = {std!r} must be non-negative")


def white_noise_current(
    mean: Quantity,
    std: Quantity,
    duration: Quantity,
    dt: Quantity,
    *,
    seed,
    n_channels: int | None = None,
) -> CurrentWaveform:
    """Gaussian white noise sampled every ``dt``: independent ``N(mean, std**2)`` samples.

    Parameters
    ----------
    mean, std : Quantity [amp or amp/metre**2]
        Mean and standard deviation of each sample (``std >= 0``).
    duration, dt : Quantity [second]
    seed : int or numpy.random.Generator
    n_channels : int, optional
        Number of independent channels (one per neuron); ``None`` gives one shared 1-D waveform.

    Returns
    -------
    CurrentWaveform
    """
    _check_mean_std(mean, std)
    total = n_steps("duration", duration, dt)
    rng = make_rng(seed)
    unit = _unit(mean)
    samples = rng.normal(float(mean / unit), float(std / unit), size=_noise_shape(total, n_channels))
    return CurrentWaveform(samples * unit, dt)


def ornstein_uhlenbeck_current(
    mean: Quantity,
    std: Quantity,
    time_constant: Quantity,
    duration: Quantity,
    dt: Quantity,
    *,
    seed,
    n_channels: int | None = None,
) -> CurrentWaveform:
    """Ornstein-Uhlenbeck noise with stationary ``mean``, ``std`` and correlation time constant.

    ``dI = (mean - I) / tau dt + std sqrt(2 / tau) dW``, sampled with the exact update
    ``I[k+1] = mean + (I[k] - mean) rho + std sqrt(1 - rho**2) xi_k``, ``rho = exp(-dt / tau)``,
    starting from the stationary distribution, so every sample is ``N(mean, std**2)`` and the
    autocorrelation at lag ``k`` is ``rho**k`` (Gillespie 1996).

    Parameters
    ----------
    mean, std : Quantity [amp or amp/metre**2]
    time_constant : Quantity [second]
        Correlation time ``tau``, positive.
    duration, dt : Quantity [second]
    seed : int or numpy.random.Generator
    n_channels : int, optional
        Number of independent channels; ``None`` gives one 1-D waveform.

    Returns
    -------
    CurrentWaveform

    References
    ----------
    Gillespie DT (1996) Exact numerical simulation of the Ornstein-Uhlenbeck process and its
    integral. Phys Rev E 54:2084-2091.
    """
    _check_mean_std(mean, std)
    check_time("time_constant", time_constant, positive=True)
    total = n_steps("duration", duration, dt)
    rng = make_rng(seed)
    unit = _unit(mean)
    shape = _noise_shape(total, n_channels)
    rho = float(np.exp(-float(dt / time_constant)))
    mu, sigma = float(mean / unit), float(std / unit)
    innovations = rng.standard_normal(shape) * sigma * np.sqrt(1 - rho**2)
    innovations[0] = sigma * rng.standard_normal(shape[1:])  # stationary start
    # deviation[k] = rho * deviation[k-1] + innovations[k]: a first-order recursive filter
    deviations = lfilter([1.0], [1.0, -rho], innovations, axis=0)
    return CurrentWaveform((mu + deviations) * unit, dt)


def _unit(value: Quantity) -> Quantity:
    """SI unit with the dimensions of ``value`` (amp or amp/metre**2)."""
    return Quantity(1.0, dim=get_dimensions(value))

