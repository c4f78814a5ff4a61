"""Argument checks shared by the encoders (private)."""

from __future__ import annotations

import numbers

import numpy as np
from brian2 import Quantity, second
from brian2.units.fundamentalunits import get_dimensions, have_same_dimensions


def check_time(name: str, value, *, positive: bool = False) -> None:
    """Raise unless ``value`` is a finite scalar time, non-negative (or positive)."""
    if isinstance(value, bool) or not isinstance(value, (Quantity, numbers.Real)):
        raise TypeError(f"{name} must be a time (e.g. 10*ms), got {value!r}")
    if np.ndim(value) != 0 or not have_same_dimensions(value, second):
        raise TypeError(f"{name} = {value!r} must be a scalar time in seconds (e.g. 10*ms)")
    number = float(np.asarray(value))
    if not np.isfinite(number):
        raise ValueError(f"{name} = {value!r} must be finite")
    if positive and not number > 0:
        raise ValueError(f"{name} = {value!r} must be positive")
    if not number >= 0:
        raise ValueError(f"{name} = {value!r} must be non-negative")


def check_same_dimensions(name: str, value, reference, reference_name: str) -> None:
    """Raise unless ``value`` has the dimensions of ``reference``."""
    if not have_same_dimensions(value, reference):
        raise TypeError(
            f"{name} = {value!r} must have the same dimensions as {reference_name} "
            f"({get_dimensions(reference)})"
        )


def make_rng(seed) -> np.random.Generator:
    """Return a numpy Generator from an int seed or a Generator (no implicit global state)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(
            f"seed must be a non-negative int or a numpy.random.Generator, got {seed!r}"
        )
    return np.random.default_rng(int(seed))


def n_steps(name: str, duration, dt) -> int:
    """Number of dt steps in duration (rounded; duration must be a positive multiple of dt)."""
    check_time(name, duration, positive=True)
    check_time("dt", dt, positive=True)
    steps = float(duration / dt)
    count = int(round(steps))
    if count < 1 or abs(steps - count) > 1e-6 * max(1.0, steps):
        raise ValueError(
            f"{name} = {duration!r} must be a positive whole multiple of dt = {dt!r}"
        )
    return count
