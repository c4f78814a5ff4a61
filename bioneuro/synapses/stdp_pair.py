"""Pair-based spike-timing-dependent plasticity with exponential windows.

A presynaptic trace ``pre_trace`` (time constant ``tau_plus``) and a postsynaptic trace
``post_trace`` (``tau_minus``) follow each synapse (Morrison, Diesmann & Gerstner 2008). On a
presynaptic spike the weight is depressed by ``A_minus * post_trace``; on a postsynaptic spike it
is potentiated by ``A_plus * pre_trace``. An isolated pair with ``dt = t_post - t_pre`` therefore
changes the weight by ``A_plus exp(-dt/tau_plus)`` for ``dt > 0`` and
``-A_minus exp(dt/tau_minus)`` for ``dt < 0``
(coincident spikes, ``dt = 0``, count as pre-before-post: Brian2 runs ``on_pre`` first).
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2 as b2
import numpy as np
from brian2 import ms

from ._base import (
    PAIRINGS,
    SynapseEquations,
    check_like,
    check_nonnegative,
    check_target_expression,
    check_time_constant,
    default,
    join_statements,
    trace_equations,
    trace_increment,
    unit_string,
)

BOUNDS = ("hard", "soft")

#: Pairing schemes of the pair rule: those of :data:`PAIRINGS` plus the reduced (restricted)
#: symmetric nearest-neighbour scheme of Morrison, Diesmann & Gerstner 2008 (Fig. 7C; Burkitt,
#: Meffin & Grayden 2004), in which a spike takes part in at most one potentiating and one
#: depressing pair.
PAIR_PAIRINGS = (*PAIRINGS, "reduced-nearest-spike")


@dataclass(frozen=True)
class PairSTDP:
    """Pair-based STDP, additive (hard bounds) or soft-bounded (multiplicative).

    Weight updates, with traces ``pre_trace``, ``post_trace`` (+1 per spike for ``all-to-all``,
    reset to 1 for ``nearest-spike`` pairing):

    * ``bounds="hard"`` (additive; Song, Miller & Abbott 2000):
      on pre ``w = clip(w - A_minus post_trace, w_min, w_max)``,
      on post ``w = clip(w + A_plus pre_trace, w_min, w_max)``.
    * ``bounds="soft"`` (multiplicative; van Rossum, Bi & Turrigiano 2000, Gütig et al. 2003 with
      mu = 1): the steps are scaled by ``(w - w_min)/(w_max - w_min)`` for depression and by
      ``(w_max - w)/(w_max - w_min)`` for potentiation (then clipped as a guard).

    Parameters
    ----------
    A_plus : Quantity or float
        Potentiation amplitude per pair, same dimensions as ``w_max``; non-negative.
    A_minus : Quantity or float
        Depression amplitude per pair, a non-negative magnitude (the sign is in the rule).
    tau_plus : Quantity [second]
        Time constant of the presynaptic trace (potentiation window).
    tau_minus : Quantity [second]
        Time constant of the postsynaptic trace (depression window).
    w_max : Quantity or float
        Upper weight bound; its dimensions are those of the weight ``w``.
    w_min : Quantity or float
        Lower weight bound (0 in the weight's unit when left at the default).
    pairing : str
        ``"all-to-all"``, ``"nearest-spike"`` (symmetric nearest-spike: traces reset to 1) or
        ``"reduced-nearest-spike"`` (a postsynaptic spike potentiates only with the nearest
        preceding presynaptic spike that came after the previous postsynaptic spike, and
        symmetrically for depression; implemented by zeroing the partner trace after use).
        Masquelier, Guyonneau & Thorpe (2008) describe their rule as a "reduced nearest-neighbour"
        pairing; that it is exactly this scheme is UNCONFIRMED against their text.
    bounds : str
        ``"hard"`` (additive) or ``"soft"`` (multiplicative).

    References
    ----------
    Bi GQ, Poo MM (1998). J Neurosci 18:10464-10472.
    Song S, Miller KD, Abbott LF (2000). Nat Neurosci 3:919-926.
    van Rossum MCW, Bi GQ, Turrigiano GG (2000). J Neurosci 20:8812-8821.
    Morrison A, Diesmann M, Gerstner W (2008). Biol Cybern 98:459-478.
    """

    A_plus: b2.Quantity | float = 0.005
    A_minus: b2.Quantity | float = 0.00525
    tau_plus: b2.Quantity = default(20 * ms)
    tau_minus: b2.Quantity = default(20 * ms)
    w_max: b2.Quantity | float = 1.0
    w_min: b2.Quantity | float | None = None
    pairing: str = "all-to-all"
    bounds: str = "hard"

    def __post_init__(self) -> None:
        check_time_constant("tau_plus", self.tau_plus)
        check_time_constant("tau_minus", self.tau_minus)
        check_nonnegative("w_max", self.w_max)
        for name in ("A_plus", "A_minus"):
            check_like(name, getattr(self, name), self.w_max, "w_max")
            check_nonnegative(name, getattr(self, name))
        if self.w_min is not None:
            check_like("w_min", self.w_min, self.w_max, "w_max")
            if not self.w_min < self.w_max:
                raise ValueError(f"w_min must be below w_max={self.w_max!r}, got {self.w_min!r}")
        elif not self.w_max > 0 * self.w_max:
            raise ValueError(f"w_max must be positive, got {self.w_max!r}")
        if self.pairing not in PAIR_PAIRINGS:
            raise ValueError(f"pairing must be one of {PAIR_PAIRINGS}, got {self.pairing!r}")
        if self.bounds not in BOUNDS:
            raise ValueError(f"bounds must be one of {BOUNDS}, got {self.bounds!r}")

    @property
    def weight_dimensions(self):
        """Brian2 dimensions of the weight ``w`` (those of ``w_max``)."""
        return b2.get_dimensions(self.w_max)

    @property
    def lower_bound(self):
        """``w_min``, or zero in the weight's unit."""
        return 0 * self.w_max if self.w_min is None else self.w_min

    def isolated_pair_change(self, delta_t: b2.Quantity, w: b2.Quantity | float | None = None):
        """Weight change caused by one isolated pre/post pair (the STDP window), before clipping.

        Parameters
        ----------
        delta_t : Quantity [second]
            ``t_post - t_pre``; scalar or array. Zero counts as pre-before-post.
        w : Quantity or float, optional
            Weight before the pair (needed for soft bounds; ignored for hard bounds).

        Returns
        -------
        Quantity or ndarray
            ``A_plus exp(-delta_t/tau_plus)`` for ``delta_t >= 0``, else
            ``-A_minus exp(delta_t/tau_minus)``, scaled by the distance to the bound for soft
            bounds.
        """
        if b2.get_dimensions(delta_t) != b2.second.dim:
            raise ValueError(f"delta_t must be a time (e.g. 10*ms), got {delta_t!r}")
        lag = np.asarray(delta_t, dtype=float)  # seconds
        si = {name: float(np.asarray(getattr(self, name))) for name in ("A_plus", "A_minus")}
        up = si["A_plus"] * np.exp(-np.abs(lag) / float(self.tau_plus / b2.second))
        down = -si["A_minus"] * np.exp(-np.abs(lag) / float(self.tau_minus / b2.second))
        if self.bounds == "soft":
            if w is None:
                raise ValueError("w is required for soft bounds, got None")
            check_like("w", w, self.w_max, "w_max")
            low, high = float(np.asarray(self.lower_bound)), float(np.asarray(self.w_max))
            w_si = float(np.asarray(w))
            up, down = up * (high - w_si) / (high - low), down * (w_si - low) / (high - low)
        change = np.where(lag >= 0, up, down)
        return b2.Quantity(change, dim=self.weight_dimensions)

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
        traces = trace_equations({"pre_trace": "tau_plus", "post_trace": "tau_minus"}, formulation)
        model = f"w : {unit_string(self.weight_dimensions)}\n{traces}"
        if self.bounds == "hard":
            depression = "A_minus * post_trace"
            potentiation = "A_plus * pre_trace"
        else:
            depression = "A_minus * post_trace * (w - w_min) / (w_max - w_min)"
            potentiation = "A_plus * pre_trace * (w_max - w) / (w_max - w_min)"
        if self.pairing == "reduced-nearest-spike":
            # A trace is used up by the pairing it takes part in (Morrison et al. 2008, Fig. 7C).
            on_pre = join_statements(
                target,
                f"w = clip(w - {depression}, w_min, w_max)",
                "post_trace = 0",
                "pre_trace = 1",
            )
            on_post = join_statements(
                f"w = clip(w + {potentiation}, w_min, w_max)", "pre_trace = 0", "post_trace = 1"
            )
        else:
            on_pre = join_statements(
                target,
                trace_increment("pre_trace", self.pairing),
                f"w = clip(w - {depression}, w_min, w_max)",
            )
            on_post = join_statements(
                trace_increment("post_trace", self.pairing),
                f"w = clip(w + {potentiation}, w_min, w_max)",
            )
        namespace = {
            "A_plus": self.A_plus,
            "A_minus": self.A_minus,
            "tau_plus": self.tau_plus,
            "tau_minus": self.tau_minus,
            "w_max": self.w_max,
            "w_min": self.lower_bound,
        }
        return SynapseEquations(model=model, on_pre=on_pre, on_post=on_post, namespace=namespace)


#: Song, Miller & Abbott 2000 (Nat Neurosci 3:919, Methods): additive rule with hard bounds,
#: all-to-all pairing, tau_plus = tau_minus = 20 ms, A_plus = 0.005 and A_minus/A_plus = 1.05,
#: weights measured in units of the maximal conductance g_max (so w_max = 1).
SONG_MILLER_ABBOTT_2000 = PairSTDP(
    A_plus=0.005,
    A_minus=1.05 * 0.005,
    tau_plus=20 * ms,
    tau_minus=20 * ms,
    w_max=1.0,
    pairing="all-to-all",
    bounds="hard",
)

#: Bi & Poo 1998 (J Neurosci 18:10464) window; exponential fit of Bi & Poo 2001 (Annu Rev
#: Neurosci 24:139): tau_plus = 16.8 ms, tau_minus = 33.7 ms. The amplitudes +0.777 / -0.273 are
#: the often quoted fit of the *total* fractional change after 60 pairings at 1 Hz (UNCONFIRMED
#: against the papers' text); here they are divided by 60 (linear summation assumed), with w in
#: units of the initial weight and soft bounds at [0, 2] as an illustrative choice.
BI_POO_1998 = PairSTDP(
    A_plus=0.777 / 60,
    A_minus=0.273 / 60,
    tau_plus=16.8 * ms,
    tau_minus=33.7 * ms,
    w_max=2.0,
    pairing="all-to-all",
    bounds="soft",
)
