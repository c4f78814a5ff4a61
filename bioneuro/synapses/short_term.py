"""Tsodyks-Markram short-term plasticity (depression and facilitation).

Each synapse carries a utilisation ``u`` (decays to 0 with ``tau_facil``, F) and a fraction of
available resources ``x`` (recovers to 1 with ``tau_rec``, D). On a presynaptic spike,
``u <- u + U (1 - u)``, the transmitted amplitude is ``w u x``, then ``x <- x - u x``. Between
spikes this gives the recursion of Maass, Natschläger & Markram (2002, Appendix B) for the
n-th amplitude ``A_n = w u_n R_n`` of a train with intervals ``Delta_n``:

    u_1 = U,  R_1 = 1,
    u_{n+1} = U + u_n (1 - U) exp(-Delta_n / F),
    R_{n+1} = 1 + (R_n - u_n R_n - 1) exp(-Delta_n / D).
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2 as b2
from brian2 import ms
from brian2.units.fundamentalunits import DIMENSIONLESS
from brian2.utils.stringtools import word_substitute

from ._base import (
    SynapseEquations,
    check_dimensions,
    check_formulation,
    check_target_expression,
    check_time_constant,
    default,
    join_statements,
    unit_string,
)


@dataclass(frozen=True)
class TsodyksMarkram:
    """Tsodyks-Markram dynamic synapse with depression and facilitation.

    The target expression is written with the weight ``w`` as for a static synapse; every ``w``
    in it is replaced by the efficacy ``(w * u * x)``.

    Parameters
    ----------
    U : float
        Utilisation of synaptic efficacy, in (0, 1].
    tau_rec : Quantity [second]
        Recovery time constant from depression (D).
    tau_facil : Quantity [second]
        Facilitation time constant (F). For a purely depressing synapse use F much shorter
        than the inter-spike intervals (then u_n = U).
    weight_unit : Quantity or float
        Any quantity with the dimensions of the weight ``w`` (``nA`` for the current synapses of
        Maass et al. 2002, ``nS`` for conductances); only its dimensions are used.
    per_synapse_parameters : bool
        If True, ``U``, ``tau_rec`` and ``tau_facil`` become per-synapse constants initialised
        to the values above, so they can be drawn per synapse (Maass et al. 2002 draw them from
        Gaussians with SD 50 % of the mean).

    References
    ----------
    Tsodyks M, Pawelzik K, Markram H (1998). Neural networks with dynamic synapses.
    Neural Comput 10:821-835.
    Markram H, Wang Y, Tsodyks M (1998). Differential signaling via the same axon of neocortical
    pyramidal neurons. PNAS 95:5323-5328.
    Maass W, Natschläger T, Markram H (2002). Real-time computing without stable states.
    Neural Comput 14:2531-2560 (Appendix B).
    """

    U: float = 0.5
    tau_rec: b2.Quantity = default(1100 * ms)
    tau_facil: b2.Quantity = default(50 * ms)
    weight_unit: b2.Quantity | float = 1.0
    per_synapse_parameters: bool = False

    def __post_init__(self) -> None:
        check_dimensions("U", self.U, DIMENSIONLESS, "a pure number in (0, 1]")
        if not 0 < self.U <= 1:
            raise ValueError(f"U must lie in (0, 1], got {self.U!r}")
        check_time_constant("tau_rec", self.tau_rec)
        check_time_constant("tau_facil", self.tau_facil)
        if not isinstance(self.weight_unit, b2.Quantity | float | int):
            raise TypeError(
                f"weight_unit must be a Brian2 quantity such as nA or nS, got {self.weight_unit!r}"
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
            Statement executed on each presynaptic spike; ``w`` stands for the efficacy.
        formulation : str
            ``"event-driven"`` (exact update at spikes) or ``"clock-driven"`` integration of
            ``u`` and ``x``.
        """
        check_formulation(formulation)
        target = word_substitute(check_target_expression(target_expression), {"w": "(w * u * x)"})
        lines = [
            f"w : {unit_string(self.weight_dimensions)}",
            f"du/dt = -u / tau_facil : 1 ({formulation})",
            f"dx/dt = (1 - x) / tau_rec : 1 ({formulation})",
        ]
        parameters = {"U": self.U, "tau_rec": self.tau_rec, "tau_facil": self.tau_facil}
        initial = {"u": 0.0, "x": 1.0}
        namespace = {}
        if self.per_synapse_parameters:
            lines += ["U : 1 (constant)", "tau_rec : second (constant)",
                      "tau_facil : second (constant)"]  # fmt: skip
            initial.update(parameters)
        else:
            namespace.update(parameters)
        on_pre = join_statements("u = u + U * (1 - u)", target, "x = x - u * x")
        return SynapseEquations(
            model="\n".join(lines), on_pre=on_pre, namespace=namespace, initial_values=initial
        )


# Maass, Natschläger & Markram 2002, Appendix B: mean U, D, F per connection type
# (E = excitatory, I = inhibitory; "EI" is from E to I). Currents in nA.

#: EE (depressing): U 0.5, D 1.1 s, F 0.05 s.
MAASS_2002_EE = TsodyksMarkram(U=0.5, tau_rec=1100 * ms, tau_facil=50 * ms, weight_unit=b2.nA)
#: EI (facilitating): U 0.05, D 0.125 s, F 1.2 s.
MAASS_2002_EI = TsodyksMarkram(U=0.05, tau_rec=125 * ms, tau_facil=1200 * ms, weight_unit=b2.nA)
#: IE: U 0.25, D 0.7 s, F 0.02 s.
MAASS_2002_IE = TsodyksMarkram(U=0.25, tau_rec=700 * ms, tau_facil=20 * ms, weight_unit=b2.nA)
#: II: U 0.32, D 0.144 s, F 0.06 s.
MAASS_2002_II = TsodyksMarkram(U=0.32, tau_rec=144 * ms, tau_facil=60 * ms, weight_unit=b2.nA)

#: A depressing synapse (Maass et al. 2002, EE connections).
DEPRESSING = MAASS_2002_EE
#: A facilitating synapse (Maass et al. 2002, EI connections).
FACILITATING = MAASS_2002_EI
