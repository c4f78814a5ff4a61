"""The multiplicative w(1 - w) STDP of Masquelier & Thorpe (2007).

For layers where each neuron fires at most once per stimulus (latency codes), the update at a
postsynaptic spike does not depend on the exact time difference, only on the order:

    dw = a_plus  * w (1 - w)   if the presynaptic neuron fired no later than the postsynaptic one,
    dw = a_minus * w (1 - w)   otherwise (it fired later, or not at all),

with ``a_minus < 0``. "Fired" means within ``pairing_window`` before the postsynaptic spike, so
that spikes of an earlier stimulus never count; choose it no longer than the interval between
stimulus onsets. Weights are dimensionless and stay in (0, 1) (the factor w(1 - w) is a soft
bound); a clip to [0, 1] guards against very large rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2 as b2
from brian2 import ms
from brian2.units.fundamentalunits import DIMENSIONLESS

from ._base import (
    SynapseEquations,
    check_dimensions,
    check_formulation,
    check_target_expression,
    check_time_constant,
    default,
    join_statements,
)

_UPDATE = (
    "w = clip(w + w * (1 - w) * (a_plus * int({elapsed} <= pairing_window)"
    " + a_minus * int({elapsed} > pairing_window)), 0, 1)"
)


@dataclass(frozen=True)
class MasquelierThorpeSTDP:
    """Order-based multiplicative STDP ``dw = a± w (1 - w)`` (Masquelier & Thorpe 2007).

    Parameters
    ----------
    a_plus : float
        Potentiation rate, positive.
    a_minus : float
        Depression rate, negative (the paper's sign convention: a_minus / a_plus = -0.75).
    pairing_window : Quantity [second]
        A presynaptic spike counts as "no later than" the postsynaptic spike if it came at most
        this long before it.

    Notes
    -----
    ``formulation="event-driven"`` stores the time of the last presynaptic spike per synapse;
    ``"clock-driven"`` integrates the time elapsed since it step by step (an independent check).
    Coincident pre and post spikes (same time step) count as "pre no later than post".

    References
    ----------
    Masquelier T, Thorpe SJ (2007). Unsupervised learning of visual features through spike
    timing dependent plasticity. PLoS Comput Biol 3:e31.
    Kheradpisheh SR, Ganjtabesh M, Thorpe SJ, Masquelier T (2018). STDP-based spiking deep
    convolutional neural networks for object recognition. Neural Netw 99:56-67.
    """

    a_plus: float = 2.0**-6
    a_minus: float = -0.75 * 2.0**-6
    pairing_window: b2.Quantity = default(100 * ms)

    def __post_init__(self) -> None:
        check_dimensions("a_plus", self.a_plus, DIMENSIONLESS, "a pure number")
        check_dimensions("a_minus", self.a_minus, DIMENSIONLESS, "a pure number")
        if not self.a_plus > 0:
            raise ValueError(f"a_plus must be positive, got {self.a_plus!r}")
        if not self.a_minus < 0:
            raise ValueError(f"a_minus must be negative (paper convention), got {self.a_minus!r}")
        check_time_constant("pairing_window", self.pairing_window)

    @property
    def weight_dimensions(self):
        """The weight is dimensionless."""
        return DIMENSIONLESS

    def equations(
        self, target_expression: str = "g_exc_post += w", formulation: str = "event-driven"
    ) -> SynapseEquations:
        """Brian2 strings for this rule.

        Parameters
        ----------
        target_expression : str
            Statement executed on each presynaptic spike.
        formulation : str
            ``"event-driven"`` (last presynaptic spike time) or ``"clock-driven"`` (elapsed time
            integrated every step).
        """
        check_formulation(formulation)
        target = check_target_expression(target_expression)
        if formulation == "event-driven":
            model = "w : 1\npre_spike_time : second"
            on_pre = join_statements(target, "pre_spike_time = t")
            on_post = _UPDATE.format(elapsed="(t - pre_spike_time)")
            initial = {"pre_spike_time": -1e9 * b2.second}
        else:
            model = "w : 1\ndpre_elapsed/dt = 1 : second (clock-driven)"
            on_pre = join_statements(target, "pre_elapsed = 0 * second")
            on_post = _UPDATE.format(elapsed="pre_elapsed")
            initial = {"pre_elapsed": 1e9 * b2.second}
        # d(pre_elapsed)/dt = 1 is integrated exactly by forward Euler (Brian2's "exact" method
        # rejects equations whose right-hand side has no state variable).
        method = "euler" if formulation == "clock-driven" else None
        namespace = {
            "a_plus": self.a_plus,
            "a_minus": self.a_minus,
            "pairing_window": self.pairing_window,
        }
        return SynapseEquations(
            model=model, on_pre=on_pre, on_post=on_post, namespace=namespace,
            initial_values=initial, method=method,
        )  # fmt: skip


#: Kheradpisheh et al. 2018 (Neural Netw 99:56), MNIST network: a+ = 0.004, a- = -0.003.
KHERADPISHEH_2018 = MasquelierThorpeSTDP(a_plus=0.004, a_minus=-0.003)

#: Masquelier & Thorpe 2007 (PLoS Comput Biol 3:e31): a-/a+ = -0.75 (from the paper); the value
#: a+ = 2**-6 is UNCONFIRMED against the paper's text.
MASQUELIER_THORPE_2007 = MasquelierThorpeSTDP(a_plus=2.0**-6, a_minus=-0.75 * 2.0**-6)
