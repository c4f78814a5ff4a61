"""Poisson rate coding: intensities -> firing rates -> a PoissonGroup or precomputed spikes.

Precomputed spikes follow the law of :class:`brian2.PoissonGroup` exactly: on a grid of step ``dt``
each input spikes in each step independently with probability ``rate * dt``. They are drawn in numpy
from a seeded Generator (cost proportional to the number of spikes, not of steps) and can feed a
:class:`brian2.SpikeGeneratorGroup`, which is what fast C++ standalone code wants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Hz, PoissonGroup, Quantity, second
from brian2.units.fundamentalunits import have_same_dimensions

from bioneuro.encoders._validation import check_time, make_rng, n_steps

__all__ = [
    "PoissonGroupSpec",
    "intensity_to_rates",
    "poisson_group_spec",
    "poisson_spike_arrays",
    "poisson_spike_sequence",
]


def _check_rates(rates) -> np.ndarray:
    """Return rates in Hz as a float array after checking units, shape and sign."""
    if not isinstance(rates, Quantity) or not have_same_dimensions(rates, Hz):
        raise TypeError(f"rates must be a Quantity in Hz (e.g. rates * Hz), got {rates!r}")
    values = np.asarray(rates / Hz, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"rates must be one-dimensional (one rate per input), got shape {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"rates must be finite and non-negative, got {rates!r}")
    return values


def intensity_to_rates(intensities, max_rate: Quantity, *, max_intensity: float | None = None) -> Quantity:
    """Map intensities linearly to Poisson rates: ``rate = intensity / max_intensity * max_rate``.

    Parameters
    ----------
    intensities : array_like
        Pixel intensities (any shape; flattened in C order), ``0 <= x <= max_intensity``.
    max_rate : Quantity [hertz]
        Rate of an input at ``max_intensity``, non-negative. Diehl & Cook (2015) use
        ``255 / 4 Hz`` (pixel / 8 * intensity 2) at the start.
    max_intensity : float, optional
        Full-scale intensity; default 255 for integer arrays and 1.0 for floating-point arrays.

    Returns
    -------
    Quantity [hertz]
        One rate per input, shape ``(intensities.size,)``.
    """
    values = np.asarray(intensities)
    if values.dtype == bool or not np.issubdtype(values.dtype, np.number):
        raise TypeError(f"intensities must be a numeric array, got dtype {values.dtype}")
    if max_intensity is None:
        max_intensity = 255.0 if np.issubdtype(values.dtype, np.integer) else 1.0
    if not float(max_intensity) > 0:
        raise ValueError(f"max_intensity = {max_intensity!r} must be positive")
    if not isinstance(max_rate, Quantity) or not have_same_dimensions(max_rate, Hz):
        raise TypeError(f"max_rate must be a rate in Hz, got {max_rate!r}")
    if np.ndim(max_rate) != 0 or not float(max_rate / Hz) >= 0:
        raise ValueError(f"max_rate = {max_rate!r} must be a non-negative scalar")
    values = values.astype(float).ravel()
    if not np.all(np.isfinite(values)) or values.min(initial=0) < 0 or values.max(initial=0) > max_intensity:
        raise ValueError(
            f"intensities must lie in [0, {max_intensity}], got range "
            f"[{values.min(initial=0)}, {values.max(initial=0)}]"
        )
    return values / float(max_intensity) * max_rate


@dataclass(frozen=True)
class PoissonGroupSpec:
    """Rates of a group of independent Poisson inputs; build the Brian2 group on demand.

    Attributes
    ----------
    rates : Quantity [hertz]
        One rate per input.
    """

    rates: Quantity

    def __post_init__(self):
        _check_rates(self.rates)

    @property
    def n_inputs(self) -> int:
        """Number of inputs."""
        return len(self.rates)

    def make_group(self, *, name: str | None = None, dt: Quantity | None = None) -> PoissonGroup:
        """Return a :class:`brian2.PoissonGroup` with these rates.

        Parameters
        ----------
        name : str, optional
        dt : Quantity [second], optional
            Clock step of the group (default ``defaultclock``).

        Returns
        -------
        brian2.PoissonGroup
        """
        kwargs = {}
        if name is not None:
            kwargs["name"] = name
        if dt is not None:
            check_time("dt", dt, positive=True)
            kwargs["dt"] = dt
        return PoissonGroup(self.n_inputs, rates=self.rates, **kwargs)


def poisson_group_spec(intensities, max_rate: Quantity, *, max_intensity: float | None = None) -> PoissonGroupSpec:
    """Rate-code an image as a :class:`PoissonGroupSpec` (see :func:`intensity_to_rates`)."""
    return PoissonGroupSpec(intensity_to_rates(intensities, max_rate, max_intensity=max_intensity))


#: Largest random matrix drawn at once for high-count inputs (elements).
_MAX_DENSE_ELEMENTS = 4_000_000


def _distinct_uniform_steps(neurons: np.ndarray, counts: np.ndarray, total: int, rng) -> np.ndarray:
    """For each neuron ``n`` with ``counts[n] = k``, a uniform random k-subset of ``range(total)``.

    Returns steps aligned with ``np.repeat(neurons, counts)``. Small counts (``k(k-1) <= 2 total``,
    so a duplicate-free draw succeeds with probability above about 1/e) use vectorised draws with
    replacement, redrawing the whole set of any neuron that got a duplicate (rejection sampling, so
    the accepted set is uniform); larger counts use ``Generator.choice`` without replacement.
    """
    small = counts * (counts - 1) <= 2 * total
    owner = np.repeat(neurons, counts)
    steps = np.empty(owner.size, dtype=np.int64)
    in_small = np.repeat(small, counts)
    small_owner = owner[in_small]
    small_steps = rng.integers(0, total, size=small_owner.size)
    while True:
        order = np.lexsort((small_steps, small_owner))
        sorted_owner, sorted_steps = small_owner[order], small_steps[order]
        duplicate = (sorted_owner[1:] == sorted_owner[:-1]) & (sorted_steps[1:] == sorted_steps[:-1])
        if not duplicate.any():
            break
        redo = np.isin(small_owner, sorted_owner[1:][duplicate])
        small_steps[redo] = rng.integers(0, total, size=int(redo.sum()))
    steps[in_small] = small_steps
    large_counts = counts[~small]
    large_steps = []
    rows_per_chunk = max(1, _MAX_DENSE_ELEMENTS // total)
    for first in range(0, large_counts.size, rows_per_chunk):
        chunk = large_counts[first : first + rows_per_chunk]
        # the first k columns of a random permutation of range(total): a uniform k-subset
        permutations = np.argsort(rng.random((chunk.size, total)), axis=1)
        large_steps.append(permutations[np.arange(total)[None, :] < chunk[:, None]])
    if large_steps:
        steps[~in_small] = np.concatenate(large_steps)
    return steps


def poisson_spike_arrays(
    rates: Quantity,
    duration: Quantity,
    dt: Quantity,
    *,
    seed,
    t_start: Quantity = 0 * second,
) -> tuple[np.ndarray, Quantity]:
    """Draw Poisson spikes on a grid, with the law of :class:`brian2.PoissonGroup`.

    Each input ``j`` spikes in each of the ``duration / dt`` steps independently with probability
    ``rates[j] * dt``; its spike count is Binomial(n_steps, rates[j] dt) (mean ``rate T``, variance
    ``rate T (1 - rate dt)``).

    Parameters
    ----------
    rates : Quantity [hertz]
        One rate per input, ``0 <= rate * dt <= 1``.
    duration : Quantity [second]
        A positive multiple of ``dt``.
    dt : Quantity [second]
        Grid step (use the simulation's dt).
    seed : int or numpy.random.Generator
    t_start : Quantity [second]
        Time of the first step.

    Returns
    -------
    indices : ndarray of int64
        Input index of each spike.
    times : Quantity [second]
        Spike times ``t_start + step * dt``, sorted (ties by index).
    """
    rate_values = _check_rates(rates)
    total = n_steps("duration", duration, dt)
    check_time("t_start", t_start)
    probabilities = rate_values * float(dt / second)
    if np.any(probabilities > 1):
        raise ValueError(
            f"rates * dt must not exceed 1 (max rate {rate_values.max()} Hz with dt = {dt!r}); "
            "lower the rates or dt"
        )
    rng = make_rng(seed)
    counts = rng.binomial(total, probabilities)
    neurons = np.flatnonzero(counts)
    steps = _distinct_uniform_steps(neurons, counts[neurons], total, rng)
    indices = np.repeat(neurons, counts[neurons]).astype(np.int64)
    order = np.argsort(steps * len(rate_values) + indices)  # by step, then by index
    return indices[order], t_start + steps[order] * dt


def poisson_spike_sequence(
    rates: Quantity,
    presentation_duration: Quantity,
    dt: Quantity,
    *,
    seed,
    rest_duration: Quantity = 0 * second,
) -> tuple[np.ndarray, Quantity]:
    """Poisson spikes for a sequence of presentations, each followed by a silent rest.

    Presentation ``p`` uses ``rates[p]`` on ``[p T, p T + presentation_duration)`` with
    ``T = presentation_duration + rest_duration``.

    Parameters
    ----------
    rates : Quantity [hertz]
        Shape ``(n_presentations, n_inputs)``.
    presentation_duration, rest_duration : Quantity [second]
        Multiples of ``dt``; the rest may be zero.
    dt : Quantity [second]
    seed : int or numpy.random.Generator

    Returns
    -------
    indices : ndarray of int64
    times : Quantity [second]
        Sorted by time (ties by index).
    """
    if not isinstance(rates, Quantity) or not have_same_dimensions(rates, Hz) or np.ndim(rates) != 2:
        raise TypeError(f"rates must be a 2-D Quantity in Hz (presentations x inputs), got {rates!r}")
    check_time("rest_duration", rest_duration)
    rest_steps = 0 if float(rest_duration) == 0 else n_steps("rest_duration", rest_duration, dt)
    period_steps = n_steps("presentation_duration", presentation_duration, dt) + rest_steps
    rng = make_rng(seed)
    all_indices, all_times = [], []
    for presentation, row in enumerate(np.asarray(rates / Hz)):
        indices, times = poisson_spike_arrays(
            row * Hz, presentation_duration, dt, seed=rng, t_start=presentation * period_steps * dt
        )
        all_indices.append(indices)
        all_times.append(np.asarray(times / second))
    if not all_indices:
        return np.zeros(0, dtype=np.int64), np.zeros(0) * second
    return np.concatenate(all_indices), np.concatenate(all_times) * second
