"""Unit conversion at the boundary of the analysis package.

Convention (binding for ``bioneuro.analysis`` and ``bioneuro.plotting``): every time is a float (array)
in seconds and every parameter that holds a time ends in ``_s``; rates are in hertz (``_Hz``). At the
boundary each such parameter also accepts a Brian2 quantity or a ``quantities`` (Neo/Elephant) quantity
with a time dimension, converted here. Brian2 is never imported: a Brian2 quantity is recognised by its
``dim`` attribute (it is an ``ndarray`` subclass whose values are already in SI base units).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_seconds", "as_seconds_array", "as_hertz", "strip_unit"]


def _brian_dim(value) -> str | None:
    dim = getattr(value, "dim", None)
    if dim is None or not isinstance(value, np.ndarray):
        return None
    return str(dim)


def _convert(value, name: str, brian_dim: str, pq_unit: str, what: str):
    """Return ``value`` as a plain float ndarray in SI units, checking the dimension."""
    dim = _brian_dim(value)
    if dim is not None:
        if dim != brian_dim:
            raise TypeError(f"{name} must be a {what} quantity, got {value!r} with dimension {dim!r}")
        return np.asarray(value, dtype=np.float64)
    if hasattr(value, "rescale") and hasattr(value, "dimensionality"):  # python-quantities (Neo)
        try:
            return np.asarray(value.rescale(pq_unit).magnitude, dtype=np.float64)
        except ValueError as err:
            raise TypeError(f"{name} must be a {what} quantity, got {value!r}") from err
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number in {pq_unit} or a {what} quantity, got {value!r}") from err


def as_seconds(value, name: str = "time") -> float:
    """Convert a scalar time (float in seconds or a time quantity) to float seconds.

    Parameters
    ----------
    value : float or Quantity
        A plain number (taken as seconds) or a Brian2 / python-quantities time.
    name : str
        Parameter name used in error messages.

    Returns
    -------
    float
        The time in seconds.
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a time in seconds, got {value!r}")
    arr = _convert(value, name, "s", "s", "time")
    if arr.ndim != 0 and arr.size != 1:
        raise TypeError(f"{name} must be a scalar time, got an array of shape {arr.shape}")
    out = float(arr.reshape(()))
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out!r}")
    return out


def as_seconds_array(values, name: str = "times") -> np.ndarray:
    """Convert an array of times (floats in seconds or a time quantity) to a 1-D float64 array."""
    arr = _convert(values, name, "s", "s", "time")
    return np.atleast_1d(arr).astype(np.float64, copy=False)


def as_hertz(value, name: str = "rate") -> float:
    """Convert a scalar frequency (float in hertz or a frequency quantity) to float hertz."""
    if isinstance(value, bool) or not (
        isinstance(value, numbers.Real) or _brian_dim(value) is not None or hasattr(value, "rescale")
    ):
        raise TypeError(f"{name} must be a frequency in Hz, got {value!r}")
    arr = _convert(value, name, "s^-1", "Hz", "frequency")
    out = float(np.asarray(arr).reshape(()))
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out!r}")
    return out


def strip_unit(values) -> tuple[np.ndarray, str | None]:
    """Return ``(plain float array in SI units, unit string or None)`` for any array-like.

    Used for membrane-potential traces: a Brian2 voltage becomes volts with unit ``"V"``.
    """
    dim = _brian_dim(values)
    if dim is not None:
        unit = {"m^2 kg s^-3 A^-1": "V", "s": "s", "A": "A", "s^-1": "Hz"}.get(dim, dim)
        return np.asarray(values, dtype=np.float64), unit
    if hasattr(values, "rescale") and hasattr(values, "dimensionality"):
        simplified = values.simplified
        return np.asarray(simplified.magnitude, dtype=np.float64), str(simplified.dimensionality)
    return np.asarray(values, dtype=np.float64), None
