"""The trace-based STDP rule of Diehl & Cook (2015), as in the authors' released code.

Nearest-spike traces (set to 1 on a spike): presynaptic ``pre`` (``tau_pre``), postsynaptic
``post1`` (``tau_post1``) and ``post2`` (``tau_post2``).

* on a presynaptic spike (depression): ``pre = 1``; ``w = clip(w - nu_pre * post1, 0, w_max)``;
* on a postsynaptic spike (potentiation, triplet-like): ``w = clip(w + nu_post * pre *
  post2_before, 0, w_max)`` with ``post2_before`` the value of ``post2`` just before this spike;
  then ``post1 = 1``, ``post2 = 1``.

Depression happens on *presynaptic* spikes; several public Brian2 ports flipped this sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2 as b2
from brian2 import ms

from ._base import (
    SynapseEquations,
    check_like,
    check_nonnegative,
    check_target_expression,
    check_time_constant,
    default,
    join_statements,
    trace_equations,
    unit_string,
)


@dataclass(frozen=True)
class DiehlCookSTDP:
    """Diehl & Cook (2015) STDP: nearest-spike pre/post1/post2 traces, weights in [0, w_max].

    Parameters
    ----------
    nu_pre : Quantity or float
        Depression learning rate (dimensions of ``w_max``), non-negative.
    nu_post : Quantity or float
        Potentiation learning rate (dimensions of ``w_max``), non-negative.
    tau_pre : Quantity [second]
        Time constant of the presynaptic trace.
    tau_post1 : Quantity [second]
        Time constant of the postsynaptic trace used for depression.
    tau_post2 : Quantity [second]
        Time constant of the postsynaptic trace read (before its reset) for potentiation.
    w_max : Quantity or float
        Upper weight bound (the lower bound is 0).

    References
    ----------
    Diehl PU, Cook M (2015). Unsupervised learning of digit recognition using spike-timing-
    dependent plasticity. Front Comput Neurosci 9:99. Parameters from the authors' released code
    (nu_ee_pre 1e-4, nu_ee_post 1e-2, tc_pre 20 ms, tc_post_1 20 ms, tc_post_2 40 ms, wmax 1).
    """

    nu_pre: b2.Quantity | float = 1e-4
    nu_post: b2.Quantity | float = 1e-2
    tau_pre: b2.Quantity = default(20 * ms)
    tau_post1: b2.Quantity = default(20 * ms)
    tau_post2: b2.Quantity = default(40 * ms)
    w_max: b2.Quantity | float = 1.0

    def __post_init__(self) -> None:
        for name in ("tau_pre", "tau_post1", "tau_post2"):
            check_time_constant(name, getattr(self, name))
        check_nonnegative("w_max", self.w_max)
        if not self.w_max > 0 * self.w_max:
            raise ValueError(f"w_max must be positive, got {self.w_max!r}")
        for name in ("nu_pre", "nu_post"):
            check_like(name, getattr(self, name), self.w_max, "w_max")
            check_nonnegative(name, getattr(self, name))

    @property
    def weight_dimensions(self):
        """Brian2 dimensions of the weight ``w`` (those of ``w_max``)."""
        return b2.get_dimensions(self.w_max)

    def equations(
        self, target_expression: str = "g_exc_post += w", formulation: str = "event-driven"
    ) -> SynapseEquations:
        """Brian2 strings for this rule.

        Parameters
        ----------
        target_expression : str
            Statement executed on each presynaptic spike before the weight update
            (Diehl & Cook: ``ge_post += w``).
        formulation : str
            ``"event-driven"`` or ``"clock-driven"`` integration of the traces.
        """
        target = check_target_expression(target_expression)
        traces = trace_equations(
            {"pre": "tau_pre", "post1": "tau_post1", "post2": "tau_post2"}, formulation
        )
        model = f"w : {unit_string(self.weight_dimensions)}\n{traces}"
        on_pre = join_statements(
            target, "pre = 1", "w = clip(w - nu_pre * post1, 0 * w_max, w_max)"
        )
        # post2 is read before it is reset: this is the paper's post2_before.
        on_post = join_statements(
            "w = clip(w + nu_post * pre * post2, 0 * w_max, w_max)", "post1 = 1", "post2 = 1"
        )
        namespace = {
            "nu_pre": self.nu_pre,
            "nu_post": self.nu_post,
            "tau_pre": self.tau_pre,
            "tau_post1": self.tau_post1,
            "tau_post2": self.tau_post2,
            "w_max": self.w_max,
        }
        return SynapseEquations(model=model, on_pre=on_pre, on_post=on_post, namespace=namespace)


#: The parameters of Diehl & Cook 2015 (authors' released code), dimensionless weights in [0, 1].
DIEHL_COOK_2015 = DiehlCookSTDP()
