"""Izhikevich (2003) simple model with the firing-class presets of its Fig. 2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import Mohm as megaohm
from brian2 import Quantity, amp, ms, mV, ohm, volt

from bioneuro.neurons.base import NeuronModel, NeuronSpec, default

__all__ = ["IZHIKEVICH_EQUATIONS", "IZHIKEVICH_PRESETS", "Izhikevich"]

#: Izhikevich (2003), eqs. 1-3: ``v' = 0.04 v^2 + 5 v + 140 - u + I``, ``u' = a (b v - u)`` with v in
#: mV and t in ms. Here ``u`` is expressed in mV (the paper's u is in mV/ms per ms of its time unit, the
#: same numbers), the input is ``R_in * I`` so that 1 nA with R_in = 1 MOhm is the paper's I = 1, and
#: synaptic currents decay exponentially (non-negative magnitudes, inhibition subtracted).
IZHIKEVICH_EQUATIONS = """
dv/dt = (0.04 / mV * v**2 + 5 * v + 140 * mV - u + R_in * (I_ext + I_syn_exc - I_syn_inh)) / ms : volt
du/dt = a * (b * v - u) : volt
dI_syn_exc/dt = -I_syn_exc / tau_syn_exc : amp
dI_syn_inh/dt = -I_syn_inh / tau_syn_inh : amp
"""

#: (a [1/ms], b, c [mV], d [mV]) of Izhikevich (2003), Fig. 2: regular spiking, intrinsically
#: bursting, chattering, fast spiking, low-threshold spiking, thalamo-cortical, resonator.
IZHIKEVICH_PRESETS: dict[str, tuple[float, float, float, float]] = {
    "RS": (0.02, 0.2, -65.0, 8.0),
    "IB": (0.02, 0.2, -55.0, 4.0),
    "CH": (0.02, 0.2, -50.0, 2.0),
    "FS": (0.1, 0.2, -65.0, 2.0),
    "LTS": (0.02, 0.25, -65.0, 2.0),
    "TC": (0.02, 0.25, -65.0, 0.05),
    "RZ": (0.1, 0.26, -65.0, 2.0),
}


@dataclass(frozen=True)
class Izhikevich(NeuronModel):
    """Izhikevich (2003) two-variable spiking neuron.

    ``dv/dt = (0.04/mV v^2 + 5 v + 140 mV - u + R_in I) / ms``, ``du/dt = a (b v - u)``; when
    ``v >= v_peak`` (30 mV): ``v = c``, ``u += d``. Defaults are the regular-spiking (RS) cell; use
    :meth:`preset` (``"RS"``, ``"IB"``, ``"CH"``, ``"FS"``, ``"LTS"``, ``"TC"``, ``"RZ"``) for the other
    classes of the paper's Fig. 2. The paper's dimensionless input ``I`` equals ``R_in * I_ext / mV``:
    with the default ``R_in = 1 MOhm``, ``I_ext = 10 nA`` is the paper's ``I = 10``. Integrate with
    Euler at dt <= 0.1 ms (the paper used two 0.5 ms half steps for ``v``). The synaptic time constants
    and ``R_in`` are ours.

    Parameters
    ----------
    a : Quantity [1/second]
        Recovery rate of ``u``.
    b : float
        Sensitivity of ``u`` to ``v``.
    c : Quantity [volt]
        Reset potential.
    d : Quantity [volt]
        Spike-triggered increment of ``u``.
    peak_potential : Quantity [volt]
        Spike cut-off ``v_peak``.
    input_resistance : Quantity [ohm]
        Scales ``I_ext`` into the model's voltage units.
    initial_potential : Quantity [volt]
        ``v`` at build time (``u`` starts at ``b v``).
    synaptic_time_constant_exc, synaptic_time_constant_inh : Quantity [second]

    References
    ----------
    Izhikevich EM (2003) Simple model of spiking neurons. IEEE Trans Neural Netw 14:1569-1572.
    """

    a: Quantity = default(0.02 / ms)
    b: float = 0.2
    c: Quantity = default(-65 * mV)
    d: Quantity = default(8 * mV)
    peak_potential: Quantity = default(30 * mV)
    input_resistance: Quantity = default(1 * megaohm)
    initial_potential: Quantity = default(-65 * mV)
    synaptic_time_constant_exc: Quantity = default(5 * ms)
    synaptic_time_constant_inh: Quantity = default(10 * ms)

    SYMBOLS: ClassVar[dict] = {
        "a": "a",
        "b": "b",
        "c": "c",
        "d": "d",
        "peak_potential": "v_peak",
        "input_resistance": "R_in",
        "synaptic_time_constant_exc": "tau_syn_exc",
        "synaptic_time_constant_inh": "tau_syn_inh",
    }

    def __post_init__(self):
        self._check_fields(
            {
                "a": (1 / ms, "positive"),
                "b": (1, "any"),
                "c": (volt, "any"),
                "d": (volt, "any"),
                "peak_potential": (volt, "any"),
                "input_resistance": (ohm, "positive"),
                "initial_potential": (volt, "any"),
                "synaptic_time_constant_exc": (ms, "positive"),
                "synaptic_time_constant_inh": (ms, "positive"),
            }
        )
        if not self.peak_potential > self.c:
            raise ValueError(
                f"Izhikevich: peak_potential = {self.peak_potential!r} must be above the reset "
                f"c = {self.c!r}"
            )

    @classmethod
    def preset(cls, name: str, **overrides) -> Izhikevich:
        """Return the model for one firing class of Izhikevich (2003), Fig. 2.

        Parameters
        ----------
        name : str
            One of ``IZHIKEVICH_PRESETS`` (case-insensitive): RS, IB, CH, FS, LTS, TC, RZ.
        **overrides
            Other fields to set (e.g. ``input_resistance``).

        Returns
        -------
        Izhikevich
        """
        key = str(name).upper()
        if key not in IZHIKEVICH_PRESETS:
            raise ValueError(
                f"unknown Izhikevich preset {name!r}; expected one of {sorted(IZHIKEVICH_PRESETS)}"
            )
        a, b, c, d = IZHIKEVICH_PRESETS[key]
        return cls(a=a / ms, b=b, c=c * mV, d=d * mV, **overrides)

    def spec(self) -> NeuronSpec:
        """Return the :class:`~bioneuro.neurons.base.NeuronSpec` of this model."""
        namespace = {sym: getattr(self, f) for f, sym in self.SYMBOLS.items()}
        namespace["b"] = float(self.b)
        return NeuronSpec(
            equations=IZHIKEVICH_EQUATIONS,
            threshold="v >= v_peak",
            reset="v = c\nu += d",
            refractory=False,
            method="euler",
            namespace=namespace,
            initial_values={"v": self.initial_potential, "u": "b * v"},
            synaptic_inputs={"exc": "I_syn_exc", "inh": "I_syn_inh"},
            synaptic_input_units={"I_syn_exc": amp, "I_syn_inh": amp},
            input_current_unit=amp,
            parameter_symbols=dict(self.SYMBOLS),
        )
