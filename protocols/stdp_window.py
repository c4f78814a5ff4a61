"""STDP pairing window (Bi & Poo 1998 protocol) with an exponential fit.

For each spike-timing difference ``dt = t_post - t_pre`` a synapse receives ``n_pairings`` pre/post pairs
at ``pairing_rate``; all differences run in parallel. The fractional weight change is fitted with
``A+ exp(-dt / tau+)`` for ``dt > 0`` and ``-A- exp(dt / tau-)`` for ``dt < 0`` (``scipy.optimize.curve_fit``).

References
----------
Bi GQ, Poo MM (1998) Synaptic modifications in cultured hippocampal neurons: dependence on spike timing,
synaptic strength, and postsynaptic cell type. J Neurosci 18:10464-10472.
Bi GQ, Poo MM (2001) Synaptic modification by correlated activity: Hebb's postulate revisited. Annu Rev
Neurosci 24:139-166 (exponential fit: tau+ = 16.8 ms, tau- = 33.7 ms).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from brian2 import Hz, Quantity, ms, second
from scipy.optimize import OptimizeWarning, curve_fit

from bioneuro.config import check_fields, param
from bioneuro.io.record import RunRecord
from bioneuro.registry import Runnable

from ._pairing import PLASTIC_RULES, PairingSchedule, regular_times, run_pairings

__all__ = [
    "BI_POO_FIT",
    "ExponentialWindow",
    "StdpWindowResult",
    "StdpWindowParameters",
    "fit_exponential_window",
    "stdp_window",
    "RUNNABLES",
]


@dataclass(frozen=True)
class ExponentialWindow:
    """``A+ exp(-dt/tau+)`` for ``dt > 0``, ``-A- exp(dt/tau-)`` for ``dt < 0`` (``A-`` a magnitude).

    Attributes
    ----------
    a_plus, a_minus : float
        Fractional changes.
    tau_plus, tau_minus : Quantity [second]
    """

    a_plus: float
    tau_plus: Quantity
    a_minus: float
    tau_minus: Quantity

    def __call__(self, delta_t: Quantity) -> np.ndarray:
        """The window at ``delta_t`` (a time quantity, or plain seconds) as fractional change."""
        x = np.asarray(delta_t / ms if isinstance(delta_t, Quantity) else np.asarray(delta_t) * 1e3, dtype=float)
        return np.where(
            x > 0,
            self.a_plus * np.exp(-x / float(self.tau_plus / ms)),
            -self.a_minus * np.exp(x / float(self.tau_minus / ms)),
        )


#: Published exponential fit of the Bi & Poo (1998) data (Bi & Poo 2001): tau+ 16.8 ms, tau- 33.7 ms. The
#: amplitudes (+0.777, -0.273 fractional change after 60 pairings at 1 Hz) are the values commonly quoted
#: with this fit (van Rossum, Bi & Turrigiano 2000; UNCONFIRMED against the papers' own text).
BI_POO_FIT = ExponentialWindow(a_plus=0.777, tau_plus=16.8 * ms, a_minus=0.273, tau_minus=33.7 * ms)


def fit_exponential_window(delta_t: Quantity, change: np.ndarray) -> ExponentialWindow:
    """Least-squares exponential fit of each side of an STDP window.

    Parameters
    ----------
    delta_t : Quantity [second]
        Spike-timing differences ``t_post - t_pre``; at least two on each side of 0 (0 itself is ignored).
    change : ndarray
        Fractional weight changes.

    Returns
    -------
    ExponentialWindow
    """
    x = np.asarray(delta_t / ms, dtype=float)
    y = np.asarray(change, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"delta_t and change differ in shape: {x.shape} vs {y.shape}")
    positive, negative = x > 0, x < 0
    if positive.sum() < 2 or negative.sum() < 2:
        raise ValueError("the fit needs at least two timing differences on each side of 0")
    if not (np.any(y[positive] > 0) and np.any(y[negative] < 0)):
        raise ValueError("no potentiation for delta_t > 0 or no depression for delta_t < 0: nothing to fit")

    def decay(s, amplitude, tau):
        return amplitude * np.exp(-s / tau)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)  # an exact fit has no covariance estimate
        (a_plus, tau_plus), _ = curve_fit(decay, x[positive], y[positive], p0=(max(y[positive].max(), 1e-6), 20.0))
        (a_minus, tau_minus), _ = curve_fit(decay, -x[negative], -y[negative],
                                            p0=(max(-y[negative].min(), 1e-6), 20.0))
    return ExponentialWindow(float(a_plus), tau_plus * ms, float(a_minus), tau_minus * ms)


@dataclass(frozen=True)
class StdpWindowResult:
    """Measured STDP window.

    Attributes
    ----------
    delta_t : Quantity [second]
    initial_weight : float
    final_weights : ndarray
    change : ndarray
        Fractional change ``(w_final - w_0) / w_0``.
    fit : ExponentialWindow or None
        ``None`` when a side has no change to fit.
    """

    delta_t: Quantity
    initial_weight: float
    final_weights: np.ndarray
    change: np.ndarray
    fit: ExponentialWindow | None


def stdp_window(
    rule,
    delta_t: Quantity,
    *,
    n_pairings: int = 60,
    pairing_rate: Quantity = 1 * Hz,
    initial_weight: float = 1.0,
    dt: Quantity = 0.1 * ms,
    seed: int = 0,
) -> StdpWindowResult:
    """Measure the STDP window of ``rule`` with the Bi & Poo pairing protocol.

    Parameters
    ----------
    rule : synapse model
        Any plastic model of :mod:`bioneuro.synapses`.
    delta_t : Quantity [second]
        Timing differences ``t_post - t_pre`` (one synapse each).
    n_pairings : int
    pairing_rate : Quantity [hertz]
    initial_weight : float
        In the rule's weight unit.
    dt : Quantity [second]
    seed : int

    Returns
    -------
    StdpWindowResult
    """
    if n_pairings < 1:
        raise ValueError(f"n_pairings = {n_pairings!r} must be at least 1")
    offsets = np.asarray(delta_t / second, dtype=float)
    if offsets.ndim != 1 or len(offsets) == 0:
        raise ValueError(f"delta_t must be a non-empty 1-D array, got {delta_t!r}")
    if not float(pairing_rate * second) > 0 or np.max(np.abs(offsets)) >= 1 / float(pairing_rate * second):
        raise ValueError(f"pairing_rate = {pairing_rate!r} must be positive and slower than the largest |delta_t|")
    times = regular_times(n_pairings, pairing_rate)
    schedule = PairingSchedule.from_offsets([times] * len(offsets), list(offsets), dt)
    final = run_pairings(rule, schedule, initial_weight, seed=seed)
    change = (final - float(initial_weight)) / float(initial_weight)
    try:
        fit = fit_exponential_window(delta_t, change)
    except (ValueError, RuntimeError):
        fit = None
    return StdpWindowResult(delta_t, float(initial_weight), final, change, fit)


def _default_delta_t():
    return np.array([-100, -80, -60, -40, -30, -20, -15, -10, -5, -2, 2, 5, 10, 15, 20, 30, 40, 60, 80, 100]) * ms


@dataclass(frozen=True)
class StdpWindowParameters:
    """Bi & Poo (1998) pairing protocol: 60 pairings at 1 Hz for each timing difference."""

    rule: object = param(PLASTIC_RULES["bi-poo-additive"], choices=PLASTIC_RULES, help="plastic synapse model")
    delta_t: tuple = param(tuple(_default_delta_t()), help="timing differences t_post - t_pre")
    n_pairings: int = param(60, positive=True, help="pairings per timing difference")
    pairing_rate: Quantity = param(1 * Hz, positive=True, help="pairing frequency")
    initial_weight: float = param(1.0, positive=True, help="initial weight (rule's weight unit)")
    dt: Quantity = param(0.1 * ms, positive=True, help="time step")

    def __post_init__(self):
        check_fields(self)


def _execute(params: StdpWindowParameters, context) -> RunRecord:
    delta_t = np.asarray([float(d / second) for d in params.delta_t]) * second
    result = stdp_window(params.rule, delta_t, n_pairings=params.n_pairings, pairing_rate=params.pairing_rate,
                         initial_weight=params.initial_weight, dt=params.dt, seed=context.seed)
    metrics = {"rule": type(params.rule).__name__}
    if result.fit is not None:
        metrics.update({
            "fit_a_plus": result.fit.a_plus, "fit_tau_plus_ms": float(result.fit.tau_plus / ms),
            "fit_a_minus": result.fit.a_minus, "fit_tau_minus_ms": float(result.fit.tau_minus / ms),
        })
    return RunRecord(kind="protocol", name="stdp-window",
                     arrays={"delta_t": result.delta_t, "change": result.change, "final_weights": result.final_weights},
                     metrics=metrics)


def _figures(record: RunRecord) -> dict:
    from bioneuro.plotting.protocols import plot_stdp_window

    m = record.metrics
    fit = None
    if "fit_tau_plus_ms" in m:
        fit = ExponentialWindow(m["fit_a_plus"], m["fit_tau_plus_ms"] * ms, m["fit_a_minus"], m["fit_tau_minus_ms"] * ms)
    return {"stdp_window": plot_stdp_window(record.arrays["delta_t"], record.arrays["change"], fit=fit,
                                            published=BI_POO_FIT, title=f"STDP window ({m.get('rule')})")}


RUNNABLES = [
    Runnable(
        name="stdp-window",
        kind="protocol",
        summary="Bi & Poo pairing protocol on any plastic synapse: STDP window with exponential fit",
        parameters=StdpWindowParameters,
        execute=_execute,
        figures=_figures,
    )
]
