"""Equation-defined neuron models and the factory that builds Brian2 groups from them.

Each model is a frozen dataclass of parameters citing its paper; :func:`make_neurons` builds a
``brian2.NeuronGroup`` from it. See :mod:`bioneuro.neurons.base` for the conventions shared with
synapses (``v``, ``I_ext``, ``synaptic_inputs``).
"""

from bioneuro.neurons.adex import ADEX_EQUATIONS, AdEx
from bioneuro.neurons.base import (
    NeuronModel,
    NeuronSpec,
    check_quantity,
    make_neurons,
    parse_equations,
    unit_string,
)
from bioneuro.neurons.hodgkin_huxley import (
    HODGKIN_HUXLEY_EQUATIONS,
    HodgkinHuxley,
    celsius_to_kelvin,
)
from bioneuro.neurons.izhikevich import IZHIKEVICH_EQUATIONS, IZHIKEVICH_PRESETS, Izhikevich
from bioneuro.neurons.lif import (
    ADAPTIVE_THRESHOLD_LIF_EQUATIONS,
    LIF_CONDUCTANCE_EQUATIONS,
    LIF_CURRENT_EQUATIONS,
    AdaptiveThresholdLIF,
    LIFConductance,
    LIFCurrent,
    lif_firing_rate,
)

__all__ = [
    "ADAPTIVE_THRESHOLD_LIF_EQUATIONS",
    "ADEX_EQUATIONS",
    "HODGKIN_HUXLEY_EQUATIONS",
    "IZHIKEVICH_EQUATIONS",
    "IZHIKEVICH_PRESETS",
    "LIF_CONDUCTANCE_EQUATIONS",
    "LIF_CURRENT_EQUATIONS",
    "AdEx",
    "AdaptiveThresholdLIF",
    "HodgkinHuxley",
    "Izhikevich",
    "LIFConductance",
    "LIFCurrent",
    "NeuronModel",
    "NeuronSpec",
    "celsius_to_kelvin",
    "check_quantity",
    "lif_firing_rate",
    "make_neurons",
    "parse_equations",
    "unit_string",
]
