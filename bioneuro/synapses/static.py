"""Static (non-plastic) synapses: instantaneous (delta) and input-variable increments.

The linear synaptic dynamics (exponential current or conductance) live in the neuron model
(see the ``synaptic_inputs`` attribute of each neuron model); a static synapse only adds its
weight to the neuron's input variable on each presynaptic spike, e.g. ``g_exc_post += w``.
A delta synapse adds it to the membrane potential directly: ``v_post += w``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import brian2 as b2

from ._base import SynapseEquations, check_formulation, check_target_expression, unit_string

#: Target expression of an instantaneous (delta-pulse) synapse: a jump of the membrane potential.
DELTA_TARGET = "v_post += w"


@dataclass(frozen=True)
class StaticSynapse:
    """A synapse with a fixed weight ``w`` that increments a postsynaptic variable per spike.

    With ``target_expression = "v_post += w"`` (``weight_unit`` volt) this is the instantaneous
    delta synapse; with ``"g_exc_post += w"`` (siemens) or ``"I_syn_exc_post += w"`` (amp) it
    drives the exponentially decaying conductance or current of the postsynaptic neuron model
    (e.g. the current-based synapses of Maass, Natschläger & Markram 2002 without STP).

    Parameters
    ----------
    weight_unit : Quantity
        Any quantity with the dimensions of the weight (e.g. ``nS``, ``mV``, ``nA``; ``1`` for a
        dimensionless weight). Only its dimensions are used.

    References
    ----------
    Dayan P, Abbott LF (2001). Theoretical Neuroscience, ch. 5.8 (synaptic conductances).
    """

    weight_unit: b2.Quantity | float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.weight_unit, b2.Quantity | float | int):
            raise TypeError(
                f"weight_unit must be a Brian2 quantity such as nS or mV, got {self.weight_unit!r}"
            )

    @property
    def weight_dimensions(self):
        """Brian2 dimensions of the weight ``w``."""
        return b2.get_dimensions(self.weight_unit)

    def equations(
        self, target_expression: str = "g_exc_post += w", formulation: str = "event-driven"
    ) -> SynapseEquations:
        """Brian2 strings for this synapse.

        Parameters
        ----------
        target_expression : str
            Statement executed on each presynaptic spike (uses the weight ``w``).
        formulation : str
            Accepted for a uniform interface; a static synapse has no dynamics.
        """
        check_formulation(formulation)
        target = check_target_expression(target_expression)
        return SynapseEquations(
            model=f"w : {unit_string(self.weight_dimensions)} (constant)", on_pre=target
        )


def target_expression_for(
    synaptic_inputs: Mapping[str, str] | object, channel: str = "exc", weight: str = "w"
) -> str:
    """Target expression ``"<input variable>_post += <weight>"`` for a neuron model.

    Parameters
    ----------
    synaptic_inputs : Mapping[str, str] or object
        A neuron model's ``synaptic_inputs`` mapping (e.g. ``{"exc": "g_exc", "inh": "g_inh"}``),
        or any object with such an attribute.
    channel : str
        Key of the input to drive, e.g. ``"exc"`` or ``"inh"``.
    weight : str
        Expression added on each spike.

    Returns
    -------
    str
        A statement such as ``"g_exc_post += w"``.
    """
    inputs = getattr(synaptic_inputs, "synaptic_inputs", synaptic_inputs)
    if not isinstance(inputs, Mapping):
        raise TypeError(
            f"synaptic_inputs must be a mapping like {{'exc': 'g_exc'}}, got {synaptic_inputs!r}"
        )
    if channel not in inputs:
        raise ValueError(f"channel {channel!r} is not one of the neuron's inputs {sorted(inputs)}")
    return f"{inputs[channel]}_post += {weight}"
