"""Frequency dependence of STDP (Sjöström, Turrigiano & Nelson 2001 protocol): pair rule against triplet rule.

Pre/post pairs at ``+10 ms`` (pre before post) and ``-10 ms`` (post before pre) are given at a pairing
frequency of 0.1-50 Hz, 75 pairs in all. Sjöström et al. delivered them as 15 trains of 5 pairs separated by
10 s; the default here is one continuous train of 75 pairs, which is how we reproduce Pfister & Gerstner's
(2006) model curves (their simulation protocol is UNCONFIRMED against the paper's text). The choice matters
for the all-to-all triplet rule: with 5-pair trains its postsynaptic triplet trace (tau_y 125 ms) never builds
up and the +10 ms potentiation does not grow with frequency (measured: +0.00, +0.10, +0.10, +0.02, -0.00 at
0.1-50 Hz), whereas with 75 continuous pairs it does; the nearest-spike triplet parameters reproduce the
pattern under both. Set ``pairs_per_train=5, n_trains=15`` for the trains of the experiment. All (frequency,
timing) conditions run in parallel, one synapse each. The fractional weight change is compared with the published
table. A pair rule cannot make ``-10 ms`` pairing potentiate at 40-50 Hz while keeping ``+10 ms``
potentiation growing with frequency; the triplet rule of Pfister & Gerstner (2006) does.

References
----------
Sjöström PJ, Turrigiano GG, Nelson SB (2001) Rate, timing, and cooperativity jointly determine cortical
synaptic plasticity. Neuron 32:1149-1164 (Fig. 1D/7; the table below as collected in REFERENCES.md).
Pfister JP, Gerstner W (2006) Triplets of spikes in a model of spike timing-dependent plasticity.
J Neurosci 26:9673-9682 (Table 4, visual cortex data set; Fig. 5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Hz, Quantity, ms, second

from bioneuro.config import check_fields, param
from bioneuro.io.record import RunRecord
from bioneuro.registry import Runnable

from ._pairing import PLASTIC_RULES, PairingSchedule, regular_times, run_pairings

__all__ = [
    "SJOSTROM_2001",
    "FrequencyDependenceResult",
    "FrequencyDependenceParameters",
    "frequency_dependence",
    "sjostrom_sign_pattern",
    "RUNNABLES",
]

#: Sjöström et al. (2001): pairing frequency (Hz) -> (mean, SEM) fractional change at +10 ms and at -10 ms.
SJOSTROM_2001 = {
    0.1: ((-0.04, 0.05), (-0.29, 0.08)),
    10.0: ((0.14, 0.10), (-0.41, 0.11)),
    20.0: ((0.29, 0.14), (-0.34, 0.10)),
    40.0: ((0.53, 0.11), (0.56, 0.32)),
    50.0: ((0.56, 0.26), (0.75, 0.19)),
}


@dataclass(frozen=True)
class FrequencyDependenceResult:
    """Fractional weight change per (frequency, timing).

    Attributes
    ----------
    frequencies : Quantity [hertz]
    delta_t : Quantity [second]
    change : ndarray
        Shape ``(n_frequencies, n_delta_t)``.
    """

    frequencies: Quantity
    delta_t: Quantity
    change: np.ndarray


def frequency_dependence(
    rule,
    frequencies: Quantity,
    delta_t: Quantity | None = None,
    *,
    pairs_per_train: int = 75,
    n_trains: int = 1,
    train_pause: Quantity = 10 * second,
    initial_weight: float = 1.0,
    dt: Quantity = 1 * ms,
    seed: int = 0,
) -> FrequencyDependenceResult:
    """Weight change of ``rule`` under the Sjöström pairing protocol.

    Parameters
    ----------
    rule : synapse model
        Any plastic model of :mod:`bioneuro.synapses`.
    frequencies : Quantity [hertz]
        Pairing frequencies within a train.
    delta_t : Quantity [second], optional
        Timing differences ``t_post - t_pre``; default +10 ms and -10 ms.
    pairs_per_train, n_trains : int
    train_pause : Quantity [second]
        Silence after each train (10 s: no trace of the library outlives it).
    initial_weight : float
    dt : Quantity [second]
        1 ms is exact for the default timings (every spike time is a multiple of 1 ms) with event-driven
        traces.
    seed : int

    Returns
    -------
    FrequencyDependenceResult
    """
    delta_t = np.array([10.0, -10.0]) * ms if delta_t is None else delta_t
    freqs = np.asarray(frequencies / Hz, dtype=float)
    offsets = np.asarray(delta_t / second, dtype=float)
    if np.any(freqs <= 0) or pairs_per_train < 1 or n_trains < 1:
        raise ValueError("frequencies must be positive; pairs_per_train and n_trains at least 1")
    pre_times, delays = [], []
    for f in freqs:
        train = regular_times(pairs_per_train, f * Hz)
        period = pairs_per_train / f + float(train_pause / second)
        times = np.concatenate([train + j * period for j in range(n_trains)])
        for offset in offsets:
            pre_times.append(times)
            delays.append(offset)
    schedule = PairingSchedule.from_offsets(pre_times, delays, dt)
    final = run_pairings(rule, schedule, initial_weight, seed=seed)
    change = ((final - initial_weight) / initial_weight).reshape(len(freqs), len(offsets))
    return FrequencyDependenceResult(freqs * Hz, offsets * second, change)


def sjostrom_sign_pattern(result: FrequencyDependenceResult) -> dict[str, bool]:
    """The qualitative features of the Sjöström table, checked on a result with ``+10`` and ``-10 ms``
    columns and frequencies including 0.1-20 Hz and 40-50 Hz.

    Returns
    -------
    dict
        ``plus_grows``: +10 ms change larger at the highest than at the lowest frequency and positive at
        >= 20 Hz; ``minus_depresses_low``: -10 ms depresses at <= 20 Hz; ``minus_potentiates_high``:
        -10 ms potentiates at >= 40 Hz; ``all``: the three together.
    """
    f = np.asarray(result.frequencies / Hz)
    d = np.round(np.asarray(result.delta_t / ms), 6)
    plus, minus = result.change[:, list(d).index(10.0)], result.change[:, list(d).index(-10.0)]
    low, high = f <= 20, f >= 40
    pattern = {
        "plus_grows": bool(plus[np.argmax(f)] > plus[np.argmin(f)] and np.all(plus[f >= 20] > 0)),
        "minus_depresses_low": bool(np.all(minus[low] < 0)),
        "minus_potentiates_high": bool(np.all(minus[high] > 0)),
    }
    pattern["all"] = all(pattern.values())
    return pattern


@dataclass(frozen=True)
class FrequencyDependenceParameters:
    """Sjöström et al. (2001) protocol: +/-10 ms pairings at 0.1-50 Hz, 75 pairs (see the module docstring
    for trains of 5 pairs)."""

    rules: tuple = param(("triplet-visual", "bi-poo-additive"), help="rule names (see stdp-window's rule)")
    frequencies: tuple = param(tuple(np.array([0.1, 10, 20, 40, 50]) * Hz), help="pairing frequencies")
    pairs_per_train: int = param(75, positive=True, help="pairs in a train")
    n_trains: int = param(1, positive=True, help="trains (10 s pause after each)")
    dt: Quantity = param(1 * ms, positive=True, help="time step")

    def __post_init__(self):
        check_fields(self)
        for name in self.rules:
            if name not in PLASTIC_RULES:
                raise ValueError(f"unknown rule {name!r}; expected one of {', '.join(PLASTIC_RULES)}")


def _execute(params: FrequencyDependenceParameters, context) -> RunRecord:
    frequencies = np.asarray([float(f / Hz) for f in params.frequencies]) * Hz
    arrays, metrics = {"frequencies": frequencies}, {}
    for name in params.rules:
        result = frequency_dependence(PLASTIC_RULES[name], frequencies, pairs_per_train=params.pairs_per_train,
                                      n_trains=params.n_trains, dt=params.dt, seed=context.seed)
        arrays[f"change_{name}"] = result.change
        pattern = sjostrom_sign_pattern(result) if len(frequencies) > 1 else {}
        metrics.update({f"{name}_{key}": value for key, value in pattern.items()})
        for k, f in enumerate(np.asarray(frequencies / Hz)):
            metrics[f"{name}_plus10_{f:g}Hz"] = round(float(result.change[k, 0]), 5)
            metrics[f"{name}_minus10_{f:g}Hz"] = round(float(result.change[k, 1]), 5)
    return RunRecord(kind="protocol", name="frequency-dependence", arrays=arrays, metrics=metrics)


def _figures(record: RunRecord) -> dict:
    from bioneuro.plotting.protocols import plot_frequency_dependence

    changes = {key.removeprefix("change_"): value for key, value in record.arrays.items() if key.startswith("change_")}
    return {"frequency_dependence": plot_frequency_dependence(record.arrays["frequencies"], changes, SJOSTROM_2001)}


RUNNABLES = [
    Runnable(
        name="frequency-dependence",
        kind="protocol",
        summary="Sjöström 2001 pairing-frequency protocol (+/-10 ms, 0.1-50 Hz): pair vs triplet STDP",
        parameters=FrequencyDependenceParameters,
        execute=_execute,
        figures=_figures,
    )
]
