"""Shared pieces of the synapse models: the equation bundle, validation helpers, trace strings.

Every synapse model in :mod:`bioneuro.synapses` is a frozen dataclass with an
``equations(target_expression, formulation)`` method that returns a :class:`SynapseEquations`:
Brian2 ``model`` / ``on_pre`` / ``on_post`` strings with symbolic parameters plus the namespace
that binds them. :func:`bioneuro.synapses.make_synapses` turns that bundle into a
``brian2.Synapses`` object.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import brian2 as b2
from brian2.units.fundamentalunits import DIMENSIONLESS, Dimension

from bioneuro.config import param

#: Ways of integrating the synaptic traces: Brian2 ``(event-driven)`` (exact, updated lazily at
#: spikes) or ``(clock-driven)`` (integrated every time step; the test oracle for the former).
FORMULATIONS = ("event-driven", "clock-driven")

#: Spike-pairing schemes of trace-based STDP (Morrison, Diesmann & Gerstner 2008,
#: Biol Cybern 98:459): ``all-to-all`` traces add 1 per spike, ``nearest-spike`` traces are reset to 1.
PAIRINGS = ("all-to-all", "nearest-spike")


@dataclass(frozen=True)
class SynapseEquations:
    """Brian2 strings and namespace describing one synapse model.

    Parameters
    ----------
    model : str
        ``Synapses`` model equations (always defines the weight ``w``).
    on_pre : str
        Statements executed when a presynaptic spike arrives.
    on_post : str
        Statements executed on a postsynaptic spike; empty when the model has none.
    namespace : dict
        Values of every external symbol used in the strings (Brian2 quantities).
    initial_values : dict
        Values assigned to synaptic state variables after ``connect`` (e.g. STP resources).
    method : str, optional
        Integration method the model requires, overriding the caller's choice (None: any).
    """

    model: str
    on_pre: str
    on_post: str = ""
    namespace: dict = field(default_factory=dict)
    initial_values: dict = field(default_factory=dict)
    method: str | None = None


def check_formulation(formulation: object) -> str:
    """Return ``formulation`` if it is one of :data:`FORMULATIONS`, else raise ValueError."""
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be one of {FORMULATIONS}, got {formulation!r}")
    return formulation  # type: ignore[return-value]


def check_pairing(pairing: object) -> str:
    """Return ``pairing`` if it is one of :data:`PAIRINGS`, else raise ValueError."""
    if pairing not in PAIRINGS:
        raise ValueError(f"pairing must be one of {PAIRINGS}, got {pairing!r}")
    return pairing  # type: ignore[return-value]


def check_target_expression(target_expression: object) -> str:
    """Return the target expression (may be empty: no transmission), else raise TypeError."""
    if not isinstance(target_expression, str):
        raise TypeError(
            "target_expression must be a Brian2 statement string such as 'g_exc_post += w', "
            f"got {target_expression!r}"
        )
    return target_expression.strip()


def _scalar(name: str, value: object) -> float:
    try:
        number = float(b2.asarray(value)) if isinstance(value, b2.Quantity) else float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a scalar number or Brian2 quantity, got {value!r}"
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def check_dimensions(name: str, value: object, expected: Dimension, example: str) -> None:
    """Raise ValueError unless ``value`` is a finite scalar with dimensions ``expected``."""
    _scalar(name, value)
    if b2.get_dimensions(value) != expected:
        raise ValueError(
            f"{name} must have the dimensions of {example}, got {value!r} "
            f"(dimensions {b2.get_dimensions(value)})"
        )


def check_time_constant(name: str, value: object) -> None:
    """Raise ValueError unless ``value`` is a strictly positive time (e.g. ``20*ms``)."""
    check_dimensions(name, value, b2.second.dim, "a time (e.g. 20*ms)")
    if _scalar(name, value) <= 0:
        raise ValueError(f"{name} must be a positive time, got {value!r}")


def check_nonnegative(name: str, value: object) -> None:
    """Raise ValueError if ``value`` is negative."""
    if _scalar(name, value) < 0:
        raise ValueError(f"{name} must be non-negative, got {value!r}")


def check_like(name: str, value: object, reference: object, reference_name: str) -> None:
    """Raise ValueError unless ``value`` has the same dimensions as ``reference``."""
    _scalar(name, value)
    if b2.get_dimensions(value) != b2.get_dimensions(reference):
        raise ValueError(
            f"{name} must have the same dimensions as {reference_name} ({reference!r}), "
            f"got {value!r}"
        )


def unit_string(dimensions: Dimension) -> str:
    """Brian2 equation unit string for ``dimensions`` (``'1'`` when dimensionless)."""
    if dimensions == DIMENSIONLESS:
        return "1"
    return repr(b2.get_unit(dimensions))


def trace_equations(traces: Mapping[str, str], formulation: str) -> str:
    """Exponentially decaying traces ``d<name>/dt = -<name>/<tau> : 1 (<formulation>)``.

    Parameters
    ----------
    traces : Mapping[str, str]
        Trace variable name -> symbol of its time constant.
    formulation : str
        One of :data:`FORMULATIONS`.
    """
    check_formulation(formulation)
    return "\n".join(
        f"d{name}/dt = -{name} / {tau} : 1 ({formulation})" for name, tau in traces.items()
    )


def trace_increment(name: str, pairing: str) -> str:
    """Statement run on a spike: ``name += 1`` (all-to-all) or ``name = 1`` (nearest-spike)."""
    check_pairing(pairing)
    return f"{name} += 1" if pairing == "all-to-all" else f"{name} = 1"


def join_statements(*statements: str) -> str:
    """Join non-empty statements with newlines."""
    return "\n".join(s for s in statements if s)


def default(value: object):
    """Dataclass field defaulting to ``value`` (Brian2 quantities are unhashable, so a plain
    default is refused by :mod:`dataclasses`)."""
    return param(value)
