"""Leaky integrate-and-fire neurons: current-based, conductance-based and adaptive-threshold.

All three integrate ``v`` with a leak towards ``E_L``, spike when ``v`` crosses a threshold, reset
``v`` and clamp it for a refractory period ``t_ref``. Synaptic inputs decay exponentially inside the
neuron (see :mod:`bioneuro.neurons.base` for the conventions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from brian2 import Mohm as megaohm
from brian2 import Quantity, amp, ms, mV, nS, ohm, siemens, volt
from brian2.units.fundamentalunits import have_same_dimensions

from bioneuro.neurons.base import NeuronModel, NeuronSpec, default

__all__ = [
    "LIF_CURRENT_EQUATIONS",
    "LIF_CONDUCTANCE_EQUATIONS",
    "ADAPTIVE_THRESHOLD_LIF_EQUATIONS",
    "LIFCurrent",
    "LIFConductance",
    "AdaptiveThresholdLIF",
    "lif_firing_rate",
]

#: Current-based LIF (Dayan & Abbott 2001, eq. 5.8) with exponentially decaying synaptic currents.
#: Both synaptic currents are non-negative magnitudes; inhibition is subtracted.
LIF_CURRENT_EQUATIONS = """
dv/dt = (E_L - v + R_m * (I_ext + I_syn_exc - I_syn_inh)) / tau_m : volt (unless refractory)
dI_syn_exc/dt = -I_syn_exc / tau_syn_exc : amp
dI_syn_inh/dt = -I_syn_inh / tau_syn_inh : amp
"""

#: Conductance-based LIF with reversal potentials; conductances are absolute (siemens) and
#: normalised by the leak conductance ``g_L`` so that ``tau_m`` stays the membrane time constant.
LIF_CONDUCTANCE_EQUATIONS = """
dv/dt = (E_L - v + (g_exc * (E_exc - v) + g_inh * (E_inh - v) + I_ext) / g_L) / tau_m : volt (unless refractory)
dg_exc/dt = -g_exc / tau_exc : siemens
dg_inh/dt = -g_inh / tau_inh : siemens
"""

#: Conductance-based LIF with an adaptive threshold ``theta`` (Diehl & Cook 2015): ``theta`` jumps by
#: ``theta_plus`` at each spike and decays with ``tau_theta``, both gated by ``theta_plastic`` (1 while
#: learning, 0 frozen).
ADAPTIVE_THRESHOLD_LIF_EQUATIONS = (
    LIF_CONDUCTANCE_EQUATIONS
    + """
dtheta/dt = -theta_plastic * theta / tau_theta : volt
"""
)


def _check_threshold_above_reset(model) -> None:
    if not model.threshold_potential > model.reset_potential:
        raise ValueError(
            f"{type(model).__name__}: threshold_potential = {model.threshold_potential!r} must be "
            f"above reset_potential = {model.reset_potential!r}"
        )


@dataclass(frozen=True)
class LIFCurrent(NeuronModel):
    """Current-based leaky integrate-and-fire neuron.

    ``tau_m dv/dt = E_L - v + R_m (I_ext + I_syn_exc - I_syn_inh)``; spike when ``v > V_th``, then
    ``v = V_reset`` for ``t_ref``. Synaptic currents decay with ``tau_syn_exc`` / ``tau_syn_inh``.

    Defaults: ``E_L = V_reset = -65 mV``, ``V_th = -50 mV``, ``tau_m = 10 ms``, ``R_m = 10 MOhm`` from
    Dayan & Abbott (2001), section 5.4 (their Fig. 5.5). The refractory period and the synaptic time
    constants are not from that source: they are common textbook choices (ours).

    Parameters
    ----------
    membrane_time_constant : Quantity [second]
    membrane_resistance : Quantity [ohm]
    resting_potential : Quantity [volt]
    threshold_potential : Quantity [volt]
    reset_potential : Quantity [volt]
    refractory_period : Quantity [second]
    synaptic_time_constant_exc : Quantity [second]
    synaptic_time_constant_inh : Quantity [second]

    References
    ----------
    Dayan P, Abbott LF (2001) Theoretical Neuroscience, MIT Press, ch. 5.4.
    """

    membrane_time_constant: Quantity = default(10 * ms)
    membrane_resistance: Quantity = default(10 * megaohm)
    resting_potential: Quantity = default(-65 * mV)
    threshold_potential: Quantity = default(-50 * mV)
    reset_potential: Quantity = default(-65 * mV)
    refractory_period: Quantity = default(2 * ms)
    synaptic_time_constant_exc: Quantity = default(5 * ms)
    synaptic_time_constant_inh: Quantity = default(10 * ms)

    SYMBOLS: ClassVar[dict] = {
        "membrane_time_constant": "tau_m",
        "membrane_resistance": "R_m",
        "resting_potential": "E_L",
        "threshold_potential": "V_th",
        "reset_potential": "V_reset",
        "refractory_period": "t_ref",
        "synaptic_time_constant_exc": "tau_syn_exc",
        "synaptic_time_constant_inh": "tau_syn_inh",
    }

    def __post_init__(self):
        self._check_fields(
            {
                "membrane_time_constant": (ms, "positive"),
                "membrane_resistance": (ohm, "positive"),
                "resting_potential": (volt, "any"),
                "threshold_potential": (volt, "any"),
                "reset_potential": (volt, "any"),
                "refractory_period": (ms, "non_negative"),
                "synaptic_time_constant_exc": (ms, "positive"),
                "synaptic_time_constant_inh": (ms, "positive"),
            }
        )
        _check_threshold_above_reset(self)

    def spec(self) -> NeuronSpec:
        """Return the :class:`~bioneuro.neurons.base.NeuronSpec` of this model."""
        return NeuronSpec(
            equations=LIF_CURRENT_EQUATIONS,
            threshold="v > V_th",
            reset="v = V_reset",
            refractory="t_ref",
            method="exponential_euler",
            namespace={sym: getattr(self, f) for f, sym in self.SYMBOLS.items()},
            initial_values={"v": self.resting_potential},
            synaptic_inputs={"exc": "I_syn_exc", "inh": "I_syn_inh"},
            synaptic_input_units={"I_syn_exc": amp, "I_syn_inh": amp},
            input_current_unit=amp,
            parameter_symbols=dict(self.SYMBOLS),
        )


def lif_firing_rate(model: LIFCurrent, current: Quantity) -> Quantity:
    """Analytic stationary firing rate of a current-based LIF neuron under constant current.

    ``f(I) = 1 / (t_ref + tau_m ln((R I + E_L - V_r) / (R I + E_L - V_th)))`` for
    ``R I > V_th - E_L``, else 0 (Dayan & Abbott 2001, eq. 5.11, with a refractory period).

    Parameters
    ----------
    model : LIFCurrent
    current : Quantity [amp]
        Scalar or array of constant injected currents.

    Returns
    -------
    Quantity [hertz]
        Firing rates, same shape as ``current``.
    """
    if not have_same_dimensions(current, amp):
        raise TypeError(f"current = {current!r} must be a current (amp)")
    drive = model.membrane_resistance * current + model.resting_potential
    above = np.asarray(drive > model.threshold_potential)
    # Below threshold the log is undefined; evaluate it at a dummy drive and mask the result.
    safe_drive = np.where(above, drive / volt, model.threshold_potential / volt + 1.0) * volt
    period = model.refractory_period + model.membrane_time_constant * np.log(
        (safe_drive - model.reset_potential) / (safe_drive - model.threshold_potential)
    )
    return np.where(above, 1 / period, 0 / period)


@dataclass(frozen=True)
class LIFConductance(NeuronModel):
    """Conductance-based leaky integrate-and-fire neuron with reversal potentials.

    ``tau_m dv/dt = E_L - v + (g_exc (E_exc - v) + g_inh (E_inh - v) + I_ext) / g_L``; the
    conductances decay exponentially with ``tau_exc`` / ``tau_inh``. Conductances are in siemens; with
    ``g_L = 1 nS`` a conductance in nS equals the dimensionless conductance "in units of the leak" used
    by Song et al. (2000) and Diehl & Cook (2015).

    Defaults: Song, Miller & Abbott (2000), Methods: ``tau_m = 20 ms``, ``V_rest = -70 mV``,
    ``E_ex = 0 mV``, ``E_in = -70 mV``, ``V_th = -54 mV``, ``V_reset = -60 mV``,
    ``tau_ex = tau_in = 5 ms``, no refractory period. The absolute leak conductance (10 nS) is ours;
    the paper gives conductances relative to the leak.

    Parameters
    ----------
    membrane_time_constant : Quantity [second]
    leak_conductance : Quantity [siemens]
    resting_potential, threshold_potential, reset_potential : Quantity [volt]
    excitatory_reversal_potential, inhibitory_reversal_potential : Quantity [volt]
    refractory_period : Quantity [second]
    excitatory_time_constant, inhibitory_time_constant : Quantity [second]

    References
    ----------
    Song S, Miller KD, Abbott LF (2000) Competitive Hebbian learning through spike-timing-dependent
    synaptic plasticity. Nat Neurosci 3:919-926.
    Diehl PU, Cook M (2015) Unsupervised learning of digit recognition using spike-timing-dependent
    plasticity. Front Comput Neurosci 9:99 (inhibitory-population parameters, see
    :meth:`diehl_cook_inhibitory`).
    """

    membrane_time_constant: Quantity = default(20 * ms)
    leak_conductance: Quantity = default(10 * nS)
    resting_potential: Quantity = default(-70 * mV)
    threshold_potential: Quantity = default(-54 * mV)
    reset_potential: Quantity = default(-60 * mV)
    excitatory_reversal_potential: Quantity = default(0 * mV)
    inhibitory_reversal_potential: Quantity = default(-70 * mV)
    refractory_period: Quantity = default(0 * ms)
    excitatory_time_constant: Quantity = default(5 * ms)
    inhibitory_time_constant: Quantity = default(5 * ms)

    SYMBOLS: ClassVar[dict] = {
        "membrane_time_constant": "tau_m",
        "leak_conductance": "g_L",
        "resting_potential": "E_L",
        "threshold_potential": "V_th",
        "reset_potential": "V_reset",
        "excitatory_reversal_potential": "E_exc",
        "inhibitory_reversal_potential": "E_inh",
        "refractory_period": "t_ref",
        "excitatory_time_constant": "tau_exc",
        "inhibitory_time_constant": "tau_inh",
    }
    _RULES: ClassVar[dict] = {
        "membrane_time_constant": (ms, "positive"),
        "leak_conductance": (siemens, "positive"),
        "resting_potential": (volt, "any"),
        "threshold_potential": (volt, "any"),
        "reset_potential": (volt, "any"),
        "excitatory_reversal_potential": (volt, "any"),
        "inhibitory_reversal_potential": (volt, "any"),
        "refractory_period": (ms, "non_negative"),
        "excitatory_time_constant": (ms, "positive"),
        "inhibitory_time_constant": (ms, "positive"),
    }

    def __post_init__(self):
        self._check_fields(self._RULES)
        _check_threshold_above_reset(self)

    @classmethod
    def diehl_cook_inhibitory(cls) -> LIFConductance:
        """Inhibitory neuron of Diehl & Cook (2015) as in the authors' released code.

        ``tau_m = 10 ms``, rest -60 mV, reset -45 mV, threshold -40 mV, ``E_exc = 0``,
        ``E_inh = -85 mV``, ``tau_ge = 1 ms``, ``tau_gi = 2 ms``, refractory 2 ms, ``g_L = 1 nS``
        (so weights in nS equal the paper's dimensionless conductances).
        """
        return cls(
            membrane_time_constant=10 * ms,
            leak_conductance=1 * nS,
            resting_potential=-60 * mV,
            threshold_potential=-40 * mV,
            reset_potential=-45 * mV,
            excitatory_reversal_potential=0 * mV,
            inhibitory_reversal_potential=-85 * mV,
            refractory_period=2 * ms,
            excitatory_time_constant=1 * ms,
            inhibitory_time_constant=2 * ms,
        )

    def spec(self) -> NeuronSpec:
        """Return the :class:`~bioneuro.neurons.base.NeuronSpec` of this model."""
        return NeuronSpec(
            equations=LIF_CONDUCTANCE_EQUATIONS,
            threshold="v > V_th",
            reset="v = V_reset",
            refractory="t_ref",
            method="exponential_euler",
            namespace={sym: getattr(self, f) for f, sym in self.SYMBOLS.items()},
            initial_values={"v": self.resting_potential},
            synaptic_inputs={"exc": "g_exc", "inh": "g_inh"},
            synaptic_input_units={"g_exc": siemens, "g_inh": siemens},
            input_current_unit=amp,
            parameter_symbols=dict(self.SYMBOLS),
        )


@dataclass(frozen=True)
class AdaptiveThresholdLIF(NeuronModel):
    """Conductance-based LIF with an adaptive threshold (Diehl & Cook 2015, excitatory neurons).

    Membrane and conductances as :class:`LIFConductance`. The neuron spikes when
    ``v > V_th + theta - theta_offset``; at each spike ``theta += theta_plastic * theta_plus``;
    between spikes ``dtheta/dt = -theta_plastic * theta / tau_theta``. ``theta_plastic = 1`` while
    learning, ``0`` freezes ``theta`` (test phase); make it settable
    (``make_neurons(..., settable=["theta_plastic"])``) to switch it without rebuilding.

    Defaults: Diehl & Cook (2015) excitatory neurons as in the authors' released code: ``tau_m =
    100 ms``, rest and reset -65 mV, threshold -52 mV, offset 20 mV, ``theta`` starting at 20 mV,
    ``theta_plus = 0.05 mV``, ``tau_theta = 1e7 ms``, ``E_exc = 0``, ``E_inh = -100 mV``,
    ``tau_ge = 1 ms``, ``tau_gi = 2 ms``, refractory 5 ms; ``g_L = 1 nS`` so that weights in nS are the
    paper's dimensionless conductances. The paper integrates with Euler at dt = 0.5 ms. Like every library
    LIF, ``v`` is held at reset while refractory; the released code, as Brian 1 ran it, kept integrating ``v``
    (only spikes were blocked), which is what the Diehl & Cook model (``bioneuro.models.diehl_cook``, its
    docstring's deviation 2) does by default.

    Parameters
    ----------
    membrane_time_constant : Quantity [second]
    leak_conductance : Quantity [siemens]
    resting_potential, threshold_potential, reset_potential : Quantity [volt]
    excitatory_reversal_potential, inhibitory_reversal_potential : Quantity [volt]
    refractory_period, excitatory_time_constant, inhibitory_time_constant : Quantity [second]
    theta_offset : Quantity [volt]
        Subtracted from ``V_th + theta``.
    theta_increment : Quantity [volt]
        Increase of ``theta`` per spike, non-negative.
    theta_time_constant : Quantity [second]
        Decay time constant of ``theta``.
    initial_theta : Quantity [volt]
        Value of ``theta`` when the group is built (not a namespace parameter).
    theta_plastic : float
        1.0 (adapting) or 0.0 (frozen).

    References
    ----------
    Diehl PU, Cook M (2015) Unsupervised learning of digit recognition using spike-timing-dependent
    plasticity. Front Comput Neurosci 9:99.
    """

    membrane_time_constant: Quantity = default(100 * ms)
    leak_conductance: Quantity = default(1 * nS)
    resting_potential: Quantity = default(-65 * mV)
    threshold_potential: Quantity = default(-52 * mV)
    reset_potential: Quantity = default(-65 * mV)
    excitatory_reversal_potential: Quantity = default(0 * mV)
    inhibitory_reversal_potential: Quantity = default(-100 * mV)
    refractory_period: Quantity = default(5 * ms)
    excitatory_time_constant: Quantity = default(1 * ms)
    inhibitory_time_constant: Quantity = default(2 * ms)
    theta_offset: Quantity = default(20 * mV)
    theta_increment: Quantity = default(0.05 * mV)
    theta_time_constant: Quantity = default(1e7 * ms)
    initial_theta: Quantity = default(20 * mV)
    theta_plastic: float = 1.0

    SYMBOLS: ClassVar[dict] = {
        **LIFConductance.SYMBOLS,
        "theta_offset": "theta_offset",
        "theta_increment": "theta_plus",
        "theta_time_constant": "tau_theta",
        "theta_plastic": "theta_plastic",
    }

    def __post_init__(self):
        self._check_fields(
            {
                **LIFConductance._RULES,
                "theta_offset": (volt, "any"),
                "theta_increment": (volt, "non_negative"),
                "theta_time_constant": (ms, "positive"),
                "initial_theta": (volt, "any"),
            }
        )
        if self.theta_plastic not in (0, 1):
            raise ValueError(
                f"AdaptiveThresholdLIF.theta_plastic = {self.theta_plastic!r}; expected 1.0 "
                "(adapting) or 0.0 (frozen)"
            )
        _check_threshold_above_reset(self)

    def frozen(self) -> AdaptiveThresholdLIF:
        """Return a copy with ``theta`` frozen (``theta_plastic = 0``), as in the test phase."""
        return replace(self, theta_plastic=0.0)

    def spec(self) -> NeuronSpec:
        """Return the :class:`~bioneuro.neurons.base.NeuronSpec` of this model."""
        namespace = {sym: getattr(self, f) for f, sym in self.SYMBOLS.items()}
        namespace["theta_plastic"] = float(self.theta_plastic)
        return NeuronSpec(
            equations=ADAPTIVE_THRESHOLD_LIF_EQUATIONS,
            threshold="v > V_th + theta - theta_offset",
            reset="v = V_reset\ntheta += theta_plastic * theta_plus",
            refractory="t_ref",
            method="exponential_euler",
            namespace=namespace,
            initial_values={"v": self.resting_potential, "theta": self.initial_theta},
            synaptic_inputs={"exc": "g_exc", "inh": "g_inh"},
            synaptic_input_units={"g_exc": siemens, "g_inh": siemens},
            input_current_unit=amp,
            parameter_symbols=dict(self.SYMBOLS),
        )
