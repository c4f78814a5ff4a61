"""Named neuron models for configuration files and the command line.

``NEURON_CATALOG`` maps a command-line name to a factory of a default-parameter model; protocols use it as the
``choices`` of their ``neuron`` parameter, so ``--set neuron=izhikevich-fs --set neuron.c="-60 mV"`` works.
:class:`EquationNeuron` is the escape hatch: a model defined entirely by equation strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import Quantity, amp, cm, ms, mV, nA, uA
from brian2.units.fundamentalunits import have_same_dimensions

from bioneuro.neurons.adex import AdEx
from bioneuro.neurons.base import NeuronModel, NeuronSpec, default, parse_equations
from bioneuro.neurons.hodgkin_huxley import HodgkinHuxley
from bioneuro.neurons.izhikevich import IZHIKEVICH_PRESETS, Izhikevich
from bioneuro.neurons.lif import AdaptiveThresholdLIF, LIFConductance, LIFCurrent

__all__ = ["EquationNeuron", "NEURON_CATALOG", "neuron_model", "typical_current"]

#: Leaky integrator written out as text; the default of :class:`EquationNeuron`.
_DEFAULT_EQUATIONS = "dv/dt = (-65*mV - v + 10*Mohm * I_ext) / (10*ms) : volt (unless refractory)"


@dataclass(frozen=True)
class EquationNeuron(NeuronModel):
    """A neuron model given entirely as Brian2 equation strings (numbers with units inline).

    The equations must define ``v`` (volt) and may use the injected current ``I_ext`` (declared by the
    factory in ``current_unit``). Malformed equations raise ``ValueError`` when the model is created.

    Parameters
    ----------
    equations : str
        Brian2 equations, e.g. ``"dv/dt = (-65*mV - v + 10*Mohm*I_ext) / (10*ms) : volt"``.
    threshold, reset : str
        Threshold condition and reset statements.
    refractory : Quantity [second]
        Absolute refractory period (use ``(unless refractory)`` in the equations to clamp ``v``).
    method : str
        Brian2 integration method.
    current_unit : Quantity
        Unit of ``I_ext`` (amp or amp/metre**2).
    """

    equations: str = _DEFAULT_EQUATIONS
    threshold: str = "v > -50*mV"
    reset: str = "v = -65*mV"
    refractory: Quantity = default(2 * ms)
    method: str = "exact"
    current_unit: Quantity = default(1 * amp)
    initial_potential: Quantity = default(-65 * mV)

    SYMBOLS: ClassVar[dict] = {}

    def __post_init__(self):
        parse_equations(self.equations + "\nI_ext : amp")
        if "v" not in parse_equations(self.equations + "\nI_ext : amp").names:
            raise ValueError(f"equations {self.equations!r} do not define the membrane potential v")

    def spec(self) -> NeuronSpec:
        return NeuronSpec(
            equations=self.equations,
            threshold=self.threshold,
            reset=self.reset,
            refractory=self.refractory,
            method=self.method,
            namespace={},
            initial_values={"v": self.initial_potential},
            synaptic_inputs={},
            synaptic_input_units={},
            input_current_unit=self.current_unit,
        )


def _izhikevich(name: str):
    return lambda: Izhikevich.preset(name)


#: Command-line name -> factory of the model with its published defaults.
NEURON_CATALOG: dict[str, object] = {
    "lif": LIFCurrent,
    "lif-conductance": LIFConductance,
    "adaptive-lif": AdaptiveThresholdLIF,
    "hodgkin-huxley": HodgkinHuxley,
    "adex": AdEx,
    **{f"izhikevich-{preset.lower()}": _izhikevich(preset) for preset in IZHIKEVICH_PRESETS},
    "equations": EquationNeuron,
}


def neuron_model(name: str) -> NeuronModel:
    """The catalogued model called ``name`` with default parameters."""
    if name not in NEURON_CATALOG:
        raise ValueError(f"unknown neuron model {name!r}; expected one of {', '.join(NEURON_CATALOG)}")
    return NEURON_CATALOG[name]()


def typical_current(model: NeuronModel) -> Quantity:
    """A current scale for stimulating ``model``: 1 nA, or 1 uA/cm**2 for density models (HH)."""
    if have_same_dimensions(model.input_current_unit, amp):
        return 1 * nA
    return 1 * uA / cm**2
