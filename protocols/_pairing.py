"""Spike-pairing experiments on plastic synapses: imposed pre/post spike times, one synapse per condition.

Each condition (a spike-timing difference, a pairing frequency) gets its own presynaptic and postsynaptic
spike generator and one synapse between them, so all conditions run in parallel in one simulation. The
synapse transmits nothing (plasticity only); the postsynaptic spikes are imposed, as in a pairing
experiment where the postsynaptic cell is driven by current injection.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import brian2 as b2
import numpy as np
from brian2 import Quantity, ms, second

from bioneuro.runner import run_network, runtime_device
from bioneuro.synapses import (
    BI_POO_1998,
    DIEHL_COOK_2015,
    MASQUELIER_THORPE_2007,
    PFISTER_GERSTNER_HIPPOCAMPAL_ALL_TO_ALL,
    PFISTER_GERSTNER_VISUAL_ALL_TO_ALL,
    PFISTER_GERSTNER_VISUAL_ALL_TO_ALL_MINIMAL,
    PFISTER_GERSTNER_VISUAL_NEAREST,
    SONG_MILLER_ABBOTT_2000,
    make_synapses,
)

__all__ = ["PLASTIC_RULES", "PairingSchedule", "run_pairings", "unbounded"]


def unbounded(rule, w_max: float = 100.0):
    """``rule`` with its upper weight bound raised so that a pairing experiment never reaches it."""
    return replace(rule, w_max=w_max)


#: Command-line names of the plastic synapse models of the library, with their published parameters.
#: ``*-additive`` / ``*-unbounded`` variants lift the upper bound (and, for Bi & Poo, use hard bounds) so
#: that the measured change is the sum of the rule's per-pair updates, as in the papers' fits.
PLASTIC_RULES = {
    "bi-poo-additive": replace(BI_POO_1998, bounds="hard", w_max=100.0),
    "bi-poo": BI_POO_1998,
    "song-2000": SONG_MILLER_ABBOTT_2000,
    "triplet-visual": unbounded(PFISTER_GERSTNER_VISUAL_ALL_TO_ALL),
    "triplet-visual-minimal": unbounded(PFISTER_GERSTNER_VISUAL_ALL_TO_ALL_MINIMAL),
    "triplet-visual-nearest": unbounded(PFISTER_GERSTNER_VISUAL_NEAREST),
    "triplet-hippocampal": unbounded(PFISTER_GERSTNER_HIPPOCAMPAL_ALL_TO_ALL),
    "pair-visual": replace(BI_POO_1998, A_plus=5e-3, A_minus=7e-3, bounds="hard", w_max=100.0),
    "diehl-cook": DIEHL_COOK_2015,
    "masquelier-thorpe": MASQUELIER_THORPE_2007,
}


@dataclass(frozen=True)
class PairingSchedule:
    """Spike times of ``n_conditions`` independent pre/post pairs.

    Attributes
    ----------
    n_conditions : int
    pre_indices, post_indices : ndarray of int
    pre_times, post_times : Quantity [second]
        Multiples of ``dt``.
    duration : Quantity [second]
        Enough to contain every spike and let the last update happen.
    dt : Quantity [second]
    """

    n_conditions: int
    pre_indices: np.ndarray
    pre_times: Quantity
    post_indices: np.ndarray
    post_times: Quantity
    duration: Quantity
    dt: Quantity

    @classmethod
    def from_offsets(cls, pre_times_s: list[np.ndarray], delays_s: list[float], dt: Quantity) -> PairingSchedule:
        """Condition ``k``: presynaptic spikes at ``pre_times_s[k]`` (seconds), postsynaptic spikes
        ``delays_s[k]`` later (negative: earlier). Times are shifted so that all are positive and rounded
        to ``dt``."""
        step = float(dt / second)
        lead = max(0.0, -min(min(t) + d for t, d in zip(pre_times_s, delays_s, strict=True))) + 2 * step
        pre_i, pre_t, post_i, post_t = [], [], [], []
        for k, (times, delay) in enumerate(zip(pre_times_s, delays_s, strict=True)):
            times = np.asarray(times, dtype=float) + lead
            pre_i.append(np.full(len(times), k))
            post_i.append(np.full(len(times), k))
            pre_t.append(np.round(times / step))
            post_t.append(np.round((times + delay) / step))
        pre_steps, post_steps = np.concatenate(pre_t), np.concatenate(post_t)
        last = max(pre_steps.max(), post_steps.max())
        return cls(
            n_conditions=len(pre_times_s),
            pre_indices=np.concatenate(pre_i).astype(int),
            pre_times=pre_steps * step * second,
            post_indices=np.concatenate(post_i).astype(int),
            post_times=post_steps * step * second,
            duration=(last + 3) * step * second,
            dt=dt,
        )


def run_pairings(rule, schedule: PairingSchedule, initial_weight: float, *, seed: int = 0) -> np.ndarray:
    """Final weight of each condition's synapse after its pairings (runtime device).

    Parameters
    ----------
    rule : synapse model
        Any plastic model of :mod:`bioneuro.synapses` (``equations(target_expression, formulation)``).
    schedule : PairingSchedule
    initial_weight : float or Quantity
        In the rule's weight unit.
    seed : int

    Returns
    -------
    ndarray
        Final weights (plain numbers in the rule's weight unit), shape ``(n_conditions,)``.
    """
    n = schedule.n_conditions
    with runtime_device(seed):
        pre = b2.SpikeGeneratorGroup(n, schedule.pre_indices, schedule.pre_times, dt=schedule.dt, name="pre")
        post = b2.SpikeGeneratorGroup(n, schedule.post_indices, schedule.post_times, dt=schedule.dt, name="post")
        synapses = make_synapses(pre, post, rule, target_expression="", connect={"j": "i"},
                                 weights=initial_weight, dt=schedule.dt, name="plastic")
        network = b2.Network(pre, post, synapses)
        run_network(network, schedule.duration)
        order = np.argsort(np.asarray(synapses.i))
        return np.asarray(synapses.w[:], dtype=float)[order]


def regular_times(n_spikes: int, rate: Quantity, start: float = 0.0) -> np.ndarray:
    """``n_spikes`` times (seconds) at ``rate`` starting at ``start``."""
    return start + np.arange(n_spikes) / float(rate * second)


DEFAULT_PAIRING_DT = 0.1 * ms
