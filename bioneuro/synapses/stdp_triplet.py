"""Triplet spike-timing-dependent plasticity (Pfister & Gerstner 2006).

Presynaptic traces ``r1`` (``tau_plus``) and ``r2`` (``tau_x``), postsynaptic traces ``o1``
(``tau_minus``) and ``o2`` (``tau_y``); equations (3)-(4) of the paper:

* on a presynaptic spike: ``w -= o1 (A2_minus + A3_minus r2)``, then ``r1``, ``r2`` jump;
* on a postsynaptic spike: ``w += r1 (A2_plus + A3_plus o2)``, then ``o1``, ``o2`` jump,

where ``r2`` and ``o2`` are read just before their own jump (the paper's epsilon). Traces jump by
1 (``all-to-all``) or are reset to 1 (``nearest-spike``).
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2 as b2
from brian2 import ms

from ._base import (
    SynapseEquations,
    check_like,
    check_nonnegative,
    check_pairing,
    check_target_expression,
    check_time_constant,
    default,
    join_statements,
    trace_equations,
    trace_increment,
    unit_string,
)


@dataclass(frozen=True)
class TripletSTDP:
    """Pfister & Gerstner (2006) triplet STDP with hard weight bounds ``[w_min, w_max]``.

    Parameters
    ----------
    A2_plus, A3_plus : Quantity or float
        Pair and triplet potentiation amplitudes (dimensions of ``w_max``), non-negative.
    A2_minus, A3_minus : Quantity or float
        Pair and triplet depression amplitudes (non-negative magnitudes).
    tau_plus : Quantity [second]
        Time constant of ``r1`` (16.8 ms in every fit of the paper).
    tau_minus : Quantity [second]
        Time constant of ``o1`` (33.7 ms in every fit of the paper).
    tau_x : Quantity [second]
        Time constant of ``r2`` (unused when ``A3_minus`` is 0, the "minimal" models).
    tau_y : Quantity [second]
        Time constant of ``o2``.
    w_max : Quantity or float
        Upper weight bound; its dimensions are those of the weight.
    w_min : Quantity or float, optional
        Lower weight bound (zero in the weight's unit by default).
    pairing : str
        ``"all-to-all"`` or ``"nearest-spike"`` (the paper's two interaction schemes).

    References
    ----------
    Pfister JP, Gerstner W (2006). Triplets of spikes in a model of spike timing-dependent
    plasticity. J Neurosci 26:9673-9682 (equations 3-4, Table 4).
    """

    A2_plus: b2.Quantity | float = 5e-10
    A3_plus: b2.Quantity | float = 6.2e-3
    A2_minus: b2.Quantity | float = 7e-3
    A3_minus: b2.Quantity | float = 2.3e-4
    tau_plus: b2.Quantity = default(16.8 * ms)
    tau_minus: b2.Quantity = default(33.7 * ms)
    tau_x: b2.Quantity = default(101 * ms)
    tau_y: b2.Quantity = default(125 * ms)
    w_max: b2.Quantity | float = 1.0
    w_min: b2.Quantity | float | None = None
    pairing: str = "all-to-all"

    def __post_init__(self) -> None:
        for name in ("tau_plus", "tau_minus", "tau_x", "tau_y"):
            check_time_constant(name, getattr(self, name))
        check_nonnegative("w_max", self.w_max)
        for name in ("A2_plus", "A3_plus", "A2_minus", "A3_minus"):
            check_like(name, getattr(self, name), self.w_max, "w_max")
            check_nonnegative(name, getattr(self, name))
        if self.w_min is not None:
            check_like("w_min", self.w_min, self.w_max, "w_max")
            if not self.w_min < self.w_max:
                raise ValueError(f"w_min must be below w_max={self.w_max!r}, got {self.w_min!r}")
        elif not self.w_max > 0 * self.w_max:
            raise ValueError(f"w_max must be positive, got {self.w_max!r}")
        check_pairing(self.pairing)

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
            Statement executed on each presynaptic spike before the weight update.
        formulation : str
            ``"event-driven"`` or ``"clock-driven"`` integration of the traces.
        """
        target = check_target_expression(target_expression)
        traces = trace_equations(
            {"r1": "tau_plus", "r2": "tau_x", "o1": "tau_minus", "o2": "tau_y"}, formulation
        )
        model = f"w : {unit_string(self.weight_dimensions)}\n{traces}"
        on_pre = join_statements(
            target,
            "w = clip(w - o1 * (A2_minus + A3_minus * r2), w_min, w_max)",
            trace_increment("r1", self.pairing),
            trace_increment("r2", self.pairing),
        )
        on_post = join_statements(
            "w = clip(w + r1 * (A2_plus + A3_plus * o2), w_min, w_max)",
            trace_increment("o1", self.pairing),
            trace_increment("o2", self.pairing),
        )
        namespace = {
            "A2_plus": self.A2_plus,
            "A3_plus": self.A3_plus,
            "A2_minus": self.A2_minus,
            "A3_minus": self.A3_minus,
            "tau_plus": self.tau_plus,
            "tau_minus": self.tau_minus,
            "tau_x": self.tau_x,
            "tau_y": self.tau_y,
            "w_max": self.w_max,
            "w_min": 0 * self.w_max if self.w_min is None else self.w_min,
        }
        return SynapseEquations(model=model, on_pre=on_pre, on_post=on_post, namespace=namespace)


# Published parameter sets, Pfister & Gerstner 2006, Table 4. tau_plus = 16.8 ms and
# tau_minus = 33.7 ms in every set. "Minimal" models have A3_minus = 0, so tau_x is unused there
# (set to the full model's value only to keep the dataclass valid).

#: Visual cortex data (Sjöström et al. 2001), all-to-all, full model.
PFISTER_GERSTNER_VISUAL_ALL_TO_ALL = TripletSTDP(
    A2_plus=5e-10, A3_plus=6.2e-3, A2_minus=7e-3, A3_minus=2.3e-4,
    tau_x=101 * ms, tau_y=125 * ms, pairing="all-to-all",
)  # fmt: skip

#: Visual cortex data, all-to-all, minimal model.
PFISTER_GERSTNER_VISUAL_ALL_TO_ALL_MINIMAL = TripletSTDP(
    A2_plus=0.0, A3_plus=6.5e-3, A2_minus=7.1e-3, A3_minus=0.0,
    tau_x=101 * ms, tau_y=114 * ms, pairing="all-to-all",
)  # fmt: skip

#: Hippocampal data (Wang et al. 2005), all-to-all, full model.
PFISTER_GERSTNER_HIPPOCAMPAL_ALL_TO_ALL = TripletSTDP(
    A2_plus=6.1e-3, A3_plus=6.7e-3, A2_minus=1.6e-3, A3_minus=1.4e-3,
    tau_x=946 * ms, tau_y=27 * ms, pairing="all-to-all",
)  # fmt: skip

#: Visual cortex data, nearest-spike, full model. UNCONFIRMED: values recalled from Table 4,
#: not checked against the paper's text (A2+ 8.8e-11, A3+ 5.3e-2, A2- 6.6e-3, A3- 3.1e-3,
#: tau_x 714 ms, tau_y 40 ms).
PFISTER_GERSTNER_VISUAL_NEAREST = TripletSTDP(
    A2_plus=8.8e-11, A3_plus=5.3e-2, A2_minus=6.6e-3, A3_minus=3.1e-3,
    tau_x=714 * ms, tau_y=40 * ms, pairing="nearest-spike",
)  # fmt: skip

#: Visual cortex data, nearest-spike, minimal model. UNCONFIRMED (see above):
#: A3+ 5e-2, A2- 8e-3, tau_y 40 ms.
PFISTER_GERSTNER_VISUAL_NEAREST_MINIMAL = TripletSTDP(
    A2_plus=0.0, A3_plus=5e-2, A2_minus=8e-3, A3_minus=0.0,
    tau_x=714 * ms, tau_y=40 * ms, pairing="nearest-spike",
)  # fmt: skip

#: Hippocampal data, nearest-spike, full model. UNCONFIRMED (see above): A2+ 4.6e-3,
#: A3+ 9.1e-3, A2- 3e-3, A3- 7.5e-9, tau_x 575 ms, tau_y 47 ms.
PFISTER_GERSTNER_HIPPOCAMPAL_NEAREST = TripletSTDP(
    A2_plus=4.6e-3, A3_plus=9.1e-3, A2_minus=3e-3, A3_minus=7.5e-9,
    tau_x=575 * ms, tau_y=47 * ms, pairing="nearest-spike",
)  # fmt: skip
