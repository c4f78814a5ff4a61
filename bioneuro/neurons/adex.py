"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import Quantity, amp, farad, ms, mV, nA, nS, pF, siemens, volt

from bioneuro.neurons.base import NeuronModel, NeuronSpec, default

__all__ = ["ADEX_EQUATIONS", "AdEx"]

#: Brette & Gerstner (2005), eqs. 1-2, with conductance-based exponential synapses.
ADEX_EQUATIONS = """
dv/dt = (g_L * (E_L - v) + g_L * Delta_T * exp((v - V_T) / Delta_T) - w + g_exc * (E_exc - v) + g_inh * (E_inh - v) + I_ext) / C : volt (unless refractory)
dw/dt = (a * (v - E_L) - w) / tau_w : amp
dg_exc/dt = -g_exc / tau_exc : siemens
dg_inh/dt = -g_inh / tau_inh : siemens
"""


@dataclass(frozen=True)
class AdEx(NeuronModel):
    """Adaptive exponential integrate-and-fire neuron.

    ``C dv/dt = -g_L (v - E_L) + g_L Delta_T exp((v - V_T) / Delta_T) - w + I``,
    ``tau_w dw/dt = a (v - E_L) - w``; when ``v > V_peak``: ``v = V_r``, ``w += b``.

    Defaults: Brette & Gerstner (2005), the parameters fitted to a pyramidal-cell model: C = 281 pF,
    g_L = 30 nS, E_L = -70.6 mV, V_T = -50.4 mV, Delta_T = 2 mV, tau_w = 144 ms, a = 4 nS,
    b = 0.0805 nA. The reset ``V_r = E_L``, the spike cut-off ``V_peak = 20 mV`` (any value well
    above ``V_T`` gives nearly the same spike times because ``v`` diverges) and the zero refractory
    period are our reading of the paper and are unconfirmed against its text. The synaptic
    parameters are ours.
    Integrate with Euler at dt <= 0.1 ms.

    Parameters
    ----------
    capacitance : Quantity [farad]
    leak_conductance : Quantity [siemens]
    leak_reversal_potential : Quantity [volt]
    threshold_potential : Quantity [volt]
        ``V_T``, the centre of the exponential.
    slope_factor : Quantity [volt]
        ``Delta_T``, positive.
    adaptation_time_constant : Quantity [second]
    subthreshold_adaptation : Quantity [siemens]
        ``a``.
    spike_triggered_adaptation : Quantity [amp]
        ``b``.
    reset_potential : Quantity [volt]
    peak_potential : Quantity [volt]
    refractory_period : Quantity [second]
    excitatory_reversal_potential, inhibitory_reversal_potential : Quantity [volt]
    excitatory_time_constant, inhibitory_time_constant : Quantity [second]

    References
    ----------
    Brette R, Gerstner W (2005) Adaptive exponential integrate-and-fire model as an effective
    description of neuronal activity. J Neurophysiol 94:3637-3642.
    """

    capacitance: Quantity = default(281 * pF)
    leak_conductance: Quantity = default(30 * nS)
    leak_reversal_potential: Quantity = default(-70.6 * mV)
    threshold_potential: Quantity = default(-50.4 * mV)
    slope_factor: Quantity = default(2 * mV)
    adaptation_time_constant: Quantity = default(144 * ms)
    subthreshold_adaptation: Quantity = default(4 * nS)
    spike_triggered_adaptation: Quantity = default(0.0805 * nA)
    reset_potential: Quantity = default(-70.6 * mV)
    peak_potential: Quantity = default(20 * mV)
    refractory_period: Quantity = default(0 * ms)
    excitatory_reversal_potential: Quantity = default(0 * mV)
    inhibitory_reversal_potential: Quantity = default(-80 * mV)
    excitatory_time_constant: Quantity = default(5 * ms)
    inhibitory_time_constant: Quantity = default(10 * ms)

    SYMBOLS: ClassVar[dict] = {
        "capacitance": "C",
        "leak_conductance": "g_L",
        "leak_reversal_potential": "E_L",
        "threshold_potential": "V_T",
        "slope_factor": "Delta_T",
        "adaptation_time_constant": "tau_w",
        "subthreshold_adaptation": "a",
        "spike_triggered_adaptation": "b",
        "reset_potential": "V_r",
        "peak_potential": "V_peak",
        "refractory_period": "t_ref",
        "excitatory_reversal_potential": "E_exc",
        "inhibitory_reversal_potential": "E_inh",
        "excitatory_time_constant": "tau_exc",
        "inhibitory_time_constant": "tau_inh",
    }

    def __post_init__(self):
        self._check_fields(
            {
                "capacitance": (farad, "positive"),
                "leak_conductance": (siemens, "positive"),
                "leak_reversal_potential": (volt, "any"),
                "threshold_potential": (volt, "any"),
                "slope_factor": (volt, "positive"),
                "adaptation_time_constant": (ms, "positive"),
                "subthreshold_adaptation": (siemens, "any"),
                "spike_triggered_adaptation": (amp, "any"),
                "reset_potential": (volt, "any"),
                "peak_potential": (volt, "any"),
                "refractory_period": (ms, "non_negative"),
                "excitatory_reversal_potential": (volt, "any"),
                "inhibitory_reversal_potential": (volt, "any"),
                "excitatory_time_constant": (ms, "positive"),
                "inhibitory_time_constant": (ms, "positive"),
            }
        )
        if not self.peak_potential > self.threshold_potential:
            raise ValueError(
                f"AdEx: peak_potential = {self.peak_potential!r} must be above threshold_potential "
                f"= {self.threshold_potential!r}"
            )
        if not self.peak_potential > self.reset_potential:
            raise ValueError(
                f"AdEx: peak_potential = {self.peak_potential!r} must be above reset_potential "
                f"= {self.reset_potential!r}"
            )

    def spec(self) -> NeuronSpec:
        """Return the :class:`~bioneuro.neurons.base.NeuronSpec` of this model."""
        return NeuronSpec(
            equations=ADEX_EQUATIONS,
            threshold="v > V_peak",
            reset="v = V_r\nw += b",
            refractory="t_ref",
            method="euler",
            namespace={sym: getattr(self, f) for f, sym in self.SYMBOLS.items()},
            initial_values={"v": self.leak_reversal_potential},
            synaptic_inputs={"exc": "g_exc", "inh": "g_inh"},
            synaptic_input_units={"g_exc": siemens, "g_inh": siemens},
            input_current_unit=amp,
            parameter_symbols=dict(self.SYMBOLS),
        )
