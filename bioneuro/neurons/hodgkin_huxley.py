"""Classic Hodgkin-Huxley (1952) squid-axon model in current-density units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import Quantity, amp, cm, kelvin, metre, mS, ms, mV, siemens, uF, volt

from bioneuro.neurons.base import NeuronModel, NeuronSpec, default

__all__ = ["HODGKIN_HUXLEY_EQUATIONS", "HodgkinHuxley", "celsius_to_kelvin"]

#: Hodgkin & Huxley (1952) in the modern convention (rest near -65 mV, depolarisation positive),
#: everything per unit membrane area. The rate functions (in 1/ms, V in mV) are eqs. 20-24 of the
#: paper shifted by -65 mV; ``exprel(x) = (exp(x) - 1) / x`` removes the 0/0 at V = -40 mV (alpha_m)
#: and V = -55 mV (alpha_n). ``phi`` is the Q10 = 3 temperature factor.
HODGKIN_HUXLEY_EQUATIONS = """
dv/dt = (g_L * (E_L - v) + g_Na * m**3 * h * (E_Na - v) + g_K * n**4 * (E_K - v) + g_exc * (E_exc - v) + g_inh * (E_inh - v) + I_ext) / C_m : volt
dm/dt = phi * (alpha_m * (1 - m) - beta_m * m) : 1
dh/dt = phi * (alpha_h * (1 - h) - beta_h * h) : 1
dn/dt = phi * (alpha_n * (1 - n) - beta_n * n) : 1
alpha_m = (1 / ms) / exprel(-(v + 40 * mV) / (10 * mV)) : hertz
beta_m = (4 / ms) * exp(-(v + 65 * mV) / (18 * mV)) : hertz
alpha_h = (0.07 / ms) * exp(-(v + 65 * mV) / (20 * mV)) : hertz
beta_h = (1 / ms) / (1 + exp(-(v + 35 * mV) / (10 * mV))) : hertz
alpha_n = (0.1 / ms) / exprel(-(v + 55 * mV) / (10 * mV)) : hertz
beta_n = (0.125 / ms) * exp(-(v + 65 * mV) / (80 * mV)) : hertz
phi = Q10 ** ((T - T_ref) / (10 * kelvin)) : 1
dg_exc/dt = -g_exc / tau_exc : siemens / metre**2
dg_inh/dt = -g_inh / tau_inh : siemens / metre**2
"""

_DENSITY_CONDUCTANCE = siemens / metre**2


def celsius_to_kelvin(temperature_celsius: float) -> Quantity:
    """Return a temperature in kelvin from a number of degrees Celsius.

    Parameters
    ----------
    temperature_celsius : float

    Returns
    -------
    Quantity [kelvin]
    """
    return (float(temperature_celsius) + 273.15) * kelvin


@dataclass(frozen=True)
class HodgkinHuxley(NeuronModel):
    """Hodgkin-Huxley (1952) squid giant axon, modern sign convention, per unit area.

    ``C_m dv/dt = g_L (E_L - v) + g_Na m^3 h (E_Na - v) + g_K n^4 (E_K - v) + I_syn + I_ext`` with
    gating ``dx/dt = phi (alpha_x (1 - x) - beta_x x)`` and ``phi = 3^((T - 6.3 degC) / 10 degC)``.

    **Units**: this model works with densities. ``I_ext`` is a current density (amp/metre**2;
    ``uA/cm**2`` is convenient) and the synaptic conductances ``g_exc`` / ``g_inh`` are conductance
    densities (siemens/metre**2). Multiply by a membrane area to compare with point-neuron models.
    A spike is counted when ``v`` rises above ``spike_detection_potential``; the neuron is
    "refractory" for spike counting while ``v`` stays above it (no clamping: HH has its own
    refractoriness). Integrate with ``exponential_euler`` at dt <= 0.01 ms.

    Defaults: C_m 1 uF/cm**2; g_Na 120, g_K 36, g_L 0.3 mS/cm**2; E_Na +50, E_K -77, E_L -54.387 mV
    (resting potential about -65 mV); 6.3 degC (Hodgkin & Huxley 1952, Table 3, shifted to the modern
    convention). The synaptic reversal potentials and time constants are ours.

    Parameters
    ----------
    membrane_capacitance : Quantity [farad/metre**2]
    sodium_conductance, potassium_conductance, leak_conductance : Quantity [siemens/metre**2]
    sodium_reversal_potential, potassium_reversal_potential, leak_reversal_potential : Quantity [volt]
    temperature : Quantity [kelvin]
        Use :func:`celsius_to_kelvin`.
    reference_temperature : Quantity [kelvin]
        Temperature at which the rate functions hold (6.3 degC).
    q10 : float
        Temperature coefficient of the rates.
    excitatory_reversal_potential, inhibitory_reversal_potential : Quantity [volt]
    excitatory_time_constant, inhibitory_time_constant : Quantity [second]
    spike_detection_potential : Quantity [volt]
    initial_potential : Quantity [volt]
        ``v`` at build time; the gates start at their steady state for this potential.

    References
    ----------
    Hodgkin AL, Huxley AF (1952) A quantitative description of membrane current and its application
    to conduction and excitation in nerve. J Physiol 117:500-544.
    """

    membrane_capacitance: Quantity = default(1 * uF / cm**2)
    sodium_conductance: Quantity = default(120 * mS / cm**2)
    potassium_conductance: Quantity = default(36 * mS / cm**2)
    leak_conductance: Quantity = default(0.3 * mS / cm**2)
    sodium_reversal_potential: Quantity = default(50 * mV)
    potassium_reversal_potential: Quantity = default(-77 * mV)
    leak_reversal_potential: Quantity = default(-54.387 * mV)
    temperature: Quantity = default(279.45 * kelvin)
    reference_temperature: Quantity = default(279.45 * kelvin)
    q10: float = 3.0
    excitatory_reversal_potential: Quantity = default(0 * mV)
    inhibitory_reversal_potential: Quantity = default(-80 * mV)
    excitatory_time_constant: Quantity = default(2 * ms)
    inhibitory_time_constant: Quantity = default(5 * ms)
    spike_detection_potential: Quantity = default(-20 * mV)
    initial_potential: Quantity = default(-65 * mV)

    SYMBOLS: ClassVar[dict] = {
        "membrane_capacitance": "C_m",
        "sodium_conductance": "g_Na",
        "potassium_conductance": "g_K",
        "leak_conductance": "g_L",
        "sodium_reversal_potential": "E_Na",
        "potassium_reversal_potential": "E_K",
        "leak_reversal_potential": "E_L",
        "temperature": "T",
        "reference_temperature": "T_ref",
        "q10": "Q10",
        "excitatory_reversal_potential": "E_exc",
        "inhibitory_reversal_potential": "E_inh",
        "excitatory_time_constant": "tau_exc",
        "inhibitory_time_constant": "tau_inh",
        "spike_detection_potential": "V_spike",
    }

    def __post_init__(self):
        self._check_fields(
            {
                "membrane_capacitance": (uF / cm**2, "positive"),
                "sodium_conductance": (_DENSITY_CONDUCTANCE, "non_negative"),
                "potassium_conductance": (_DENSITY_CONDUCTANCE, "non_negative"),
                "leak_conductance": (_DENSITY_CONDUCTANCE, "non_negative"),
                "sodium_reversal_potential": (volt, "any"),
                "potassium_reversal_potential": (volt, "any"),
                "leak_reversal_potential": (volt, "any"),
                "temperature": (kelvin, "positive"),
                "reference_temperature": (kelvin, "positive"),
                "q10": (1, "positive"),
                "excitatory_reversal_potential": (volt, "any"),
                "inhibitory_reversal_potential": (volt, "any"),
                "excitatory_time_constant": (ms, "positive"),
                "inhibitory_time_constant": (ms, "positive"),
                "spike_detection_potential": (volt, "any"),
                "initial_potential": (volt, "any"),
            }
        )

    def spec(self) -> NeuronSpec:
        """Return the :class:`~bioneuro.neurons.base.NeuronSpec` of this model."""
        namespace = {sym: getattr(self, f) for f, sym in self.SYMBOLS.items()}
        namespace["Q10"] = float(self.q10)
        return NeuronSpec(
            equations=HODGKIN_HUXLEY_EQUATIONS,
            threshold="v > V_spike",
            reset=None,
            refractory="v > V_spike",
            method="exponential_euler",
            namespace=namespace,
            initial_values={
                "v": self.initial_potential,
                "m": "alpha_m / (alpha_m + beta_m)",
                "h": "alpha_h / (alpha_h + beta_h)",
                "n": "alpha_n / (alpha_n + beta_n)",
            },
            synaptic_inputs={"exc": "g_exc", "inh": "g_inh"},
            synaptic_input_units={"g_exc": _DENSITY_CONDUCTANCE, "g_inh": _DENSITY_CONDUCTANCE},
            input_current_unit=amp / metre**2,
            parameter_symbols=dict(self.SYMBOLS),
        )
