"""Helpers shared by the protocols: neuron parameter fields, current scales, quantity coercion."""

from __future__ import annotations

import dataclasses

import numpy as np
from brian2 import Quantity, amp, ms
from brian2.units.fundamentalunits import have_same_dimensions

from bioneuro.neurons.base import NeuronModel
from bioneuro.neurons.catalog import typical_current
from bioneuro.quantities import parse_quantity

__all__ = ["default_current", "coerce_quantity", "default_dt", "set_frozen", "check_neuron"]

#: Multiples of :func:`~bioneuro.neurons.catalog.typical_current` that drive each catalogued model to
#: regular firing well above its rheobase: HH onset of repetitive firing is near 6.2 uA/cm**2; the LIF
#: of Dayan & Abbott needs 1.5 nA; the conductance LIF (g_L 10 nS, 16 mV to threshold) 0.16 nA; AdEx
#: (Brette & Gerstner 2005) about 0.6 nA; Izhikevich (2003) models with R = 1 MOhm about 4-10 nA; the
#: Diehl & Cook excitatory neuron (g_L 1 nS, theta 20 mV) about 0.03 nA.
_CURRENT_MULTIPLES = {
    "HodgkinHuxley": 10.0,
    "LIFCurrent": 2.0,
    "LIFConductance": 0.3,
    "AdaptiveThresholdLIF": 0.05,
    "AdEx": 1.0,
    "Izhikevich": 10.0,
    "EquationNeuron": 2.0,
}


def default_current(model: NeuronModel) -> Quantity:
    """A constant current that makes ``model`` fire regularly (see ``_CURRENT_MULTIPLES``)."""
    return _CURRENT_MULTIPLES.get(type(model).__name__, 1.0) * typical_current(model)


def default_dt(model: NeuronModel) -> Quantity:
    """Integration step: 0.01 ms for Hodgkin-Huxley (current densities), 0.1 ms for point neurons."""
    return 0.1 * ms if have_same_dimensions(model.input_current_unit, amp) else 0.01 * ms


def coerce_quantity(name: str, value, reference: Quantity) -> Quantity:
    """``value`` (a Quantity or a string such as ``"5 uA/cm**2"``) checked against ``reference``'s dimensions."""
    if isinstance(value, str):
        value = parse_quantity(value, name=name)
    if not isinstance(value, Quantity) or not have_same_dimensions(value, reference):
        raise TypeError(f"{name} = {value!r} must have the dimensions of {reference!r}")
    if not np.all(np.isfinite(np.asarray(value))):
        raise ValueError(f"{name} = {value!r} must be finite")
    return value


def set_frozen(instance, name: str, value) -> None:
    """Assign a field of a frozen dataclass from its ``__post_init__``."""
    object.__setattr__(instance, name, value)


def check_neuron(value) -> NeuronModel:
    """``value`` if it is a neuron model, else TypeError."""
    if not isinstance(value, NeuronModel):
        raise TypeError(f"neuron must be a bioneuro NeuronModel (e.g. HodgkinHuxley()), got {value!r}")
    return value


def fields_dict(instance) -> dict:
    """Shallow field name -> value mapping of a dataclass."""
    return {f.name: getattr(instance, f.name) for f in dataclasses.fields(instance)}
