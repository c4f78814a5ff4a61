"""Frequency-current (F-I) curve, rheobase and the type of the firing onset.

All currents of a sweep run in parallel, one neuron per current inside one group. The rheobase (lowest
constant current giving repetitive firing) is then narrowed by parallel bisection ("multisection"): each
round simulates ``n_parallel`` neurons spread evenly inside the current bracket, so the bracket shrinks by
``n_parallel + 1`` per run. On the standalone device every round reuses one compiled program
(``I_ext`` set through ``run_args``).

The onset is *continuous* (Hodgkin's class / type I: arbitrarily low rates near rheobase, as at a
saddle-node on invariant circle bifurcation) or *discontinuous* (type II: firing starts at a finite rate,
as at the subcritical Hopf bifurcation of the Hodgkin-Huxley model). We classify by the ratio of the rate
just above rheobase (within the bisection tolerance) to the rate at twice the rheobase: a continuous onset
makes it small (0.13 for the LIF at a relative tolerance of 1e-3, and it falls as the tolerance shrinks),
a discontinuous onset keeps it near the ratio of the finite onset rate to the rate at 2x rheobase
(about 0.7 for HH).

References
----------
Hodgkin AL (1948) The local electric changes associated with repetitive action in a non-medullated
axon. J Physiol 107:165-181.
Rinzel J, Ermentrout GB (1998) Analysis of neural excitability and oscillations. In: Koch C, Segev I
(eds) Methods in Neuronal Modeling, 2nd ed. MIT Press, pp 251-291.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import Quantity, ms, second

from bioneuro.config import check_fields, param
from bioneuro.io.record import RunRecord, SpikeTrains
from bioneuro.neurons.base import NeuronModel
from bioneuro.neurons.catalog import NEURON_CATALOG
from bioneuro.neurons.hodgkin_huxley import HodgkinHuxley
from bioneuro.registry import Runnable

from ._common import check_neuron, coerce_quantity, default_current, default_dt, set_frozen
from ._simulate import ConstantCurrentBatch

__all__ = [
    "FICurveParameters",
    "FICurveResult",
    "RheobaseResult",
    "steady_rates",
    "fi_curve",
    "find_rheobase",
    "classify_onset",
    "RUNNABLES",
]


def steady_rates(indices: np.ndarray, times: Quantity, n_neurons: int, t_start: Quantity) -> Quantity:
    """Per-neuron steady rate ``1 / mean(ISI)`` of the spikes at or after ``t_start``.

    Neurons with fewer than two such spikes get 0 Hz (no repetitive firing).

    Parameters
    ----------
    indices : ndarray of int
    times : Quantity [second]
    n_neurons : int
    t_start : Quantity [second]
        End of the discarded transient.

    Returns
    -------
    Quantity [hertz]
    """
    t = np.asarray(times / second, dtype=float)
    keep = t >= float(t_start / second)
    idx, t = np.asarray(indices)[keep], t[keep]
    counts = np.bincount(idx, minlength=n_neurons)
    first = np.full(n_neurons, np.inf)
    last = np.full(n_neurons, -np.inf)
    np.minimum.at(first, idx, t)
    np.maximum.at(last, idx, t)
    rates = np.zeros(n_neurons)
    ok = counts >= 2
    rates[ok] = (counts[ok] - 1) / (last[ok] - first[ok])
    return rates / second


@dataclass(frozen=True)
class RheobaseResult:
    """Bracket of the rheobase after parallel bisection.

    Attributes
    ----------
    low, high : Quantity
        Highest current without and lowest current with repetitive firing found (``high`` is the
        reported rheobase); ``nan`` when even the top of the search range did not fire.
    onset_rate : Quantity [hertz]
        Steady rate at ``high``.
    n_runs : int
        Simulations (rounds) used.
    """

    low: Quantity
    high: Quantity
    onset_rate: Quantity
    n_runs: int


@dataclass(frozen=True)
class FICurveResult:
    """An F-I curve with its rheobase and onset type.

    Attributes
    ----------
    currents : Quantity
    rates : Quantity [hertz]
        Steady rates (``1/mean ISI`` after the transient).
    spike_counts : ndarray of int
        Spikes of each neuron in the whole run.
    spike_indices : ndarray of int
    spike_times : Quantity [second]
        Spikes of the sweep (neuron ``k`` had current ``currents[k]``).
    rheobase : RheobaseResult
    reference_rate : Quantity [hertz]
        Rate at twice the rheobase (interpolated on the sweep).
    onset_type : str
        ``"I"`` (continuous) or ``"II"`` (discontinuous); ``"none"`` without firing.
    sweep_seconds : float
        Wall time of the sweep simulation (including any compilation).
    """

    currents: Quantity
    rates: Quantity
    spike_counts: np.ndarray
    spike_indices: np.ndarray
    spike_times: Quantity
    rheobase: RheobaseResult
    reference_rate: Quantity
    onset_type: str
    sweep_seconds: float


def classify_onset(onset_rate: Quantity, reference_rate: Quantity, ratio: float = 0.3) -> str:
    """``"II"`` if ``onset_rate >= ratio * reference_rate`` (discontinuous onset), else ``"I"``.

    Parameters
    ----------
    onset_rate : Quantity [hertz]
        Rate just above rheobase.
    reference_rate : Quantity [hertz]
        Rate at twice the rheobase.
    ratio : float
        Decision level (see the module docstring).
    """
    if not float(reference_rate * second) > 0:
        return "none"
    return "II" if float(onset_rate / reference_rate) >= ratio else "I"


def find_rheobase(
    batch: ConstantCurrentBatch,
    low: Quantity,
    high: Quantity,
    *,
    t_transient: Quantity,
    relative_tolerance: float = 1e-3,
    max_rounds: int = 8,
) -> RheobaseResult:
    """Narrow ``[low, high]`` (``low`` silent, ``high`` firing repetitively) by parallel bisection.

    Parameters
    ----------
    batch : ConstantCurrentBatch
        An open batch; its ``n_neurons`` currents are spread evenly inside the bracket each round.
    low, high : Quantity
        Initial bracket.
    t_transient : Quantity [second]
        Spikes before this time are ignored when deciding on repetitive firing.
    relative_tolerance : float
        Stop when ``high - low <= relative_tolerance * high``.
    max_rounds : int

    Returns
    -------
    RheobaseResult
    """
    unit = Quantity(1.0, dim=high.dim)
    lo, hi = float(low / unit), float(high / unit)
    onset = np.nan
    runs = 0
    n = batch.n_neurons
    while hi - lo > relative_tolerance * abs(hi) and runs < max_rounds:
        currents = np.linspace(lo, hi, n + 2)[1:-1]
        indices, times = batch.run(currents * unit)
        runs += 1
        rates = np.asarray(steady_rates(indices, times, n, t_transient) * second)
        firing = np.flatnonzero(rates > 0)
        if len(firing) == 0:
            lo = currents[-1]
        else:
            k = firing[0]
            hi, onset = currents[k], rates[k]
            lo = currents[k - 1] if k > 0 else lo
    if np.isnan(onset) and runs:
        indices, times = batch.run(np.full(n, hi) * unit)
        runs += 1
        onset = float(np.max(steady_rates(indices, times, n, t_transient) * second))
    return RheobaseResult(low=lo * unit, high=hi * unit, onset_rate=onset / second, n_runs=runs)


def fi_curve(
    model: NeuronModel,
    currents: Quantity,
    *,
    duration: Quantity = 1 * second,
    dt: Quantity | None = None,
    t_transient: Quantity = 200 * ms,
    relative_tolerance: float = 1e-3,
    n_parallel: int = 16,
    onset_ratio: float = 0.3,
    seed: int = 0,
    device: str = "runtime",
    cache_dir: Path | None = None,
) -> FICurveResult:
    """F-I curve of ``model`` over ``currents``, its rheobase and the type of its onset.

    Parameters
    ----------
    model : NeuronModel
    currents : Quantity
        Increasing constant currents (model's input unit), one neuron each, simulated together.
    duration : Quantity [second]
    dt : Quantity [second], optional
        Default 0.01 ms for Hodgkin-Huxley, 0.1 ms otherwise.
    t_transient : Quantity [second]
        Initial part ignored by the steady rates.
    relative_tolerance : float
        Relative width of the final rheobase bracket.
    n_parallel : int
        Neurons per bisection round.
    onset_ratio : float
        See :func:`classify_onset`.
    seed : int
    device : str
        ``"runtime"`` or ``"standalone"``.
    cache_dir : Path, optional

    Returns
    -------
    FICurveResult
    """
    check_neuron(model)
    currents = coerce_quantity("currents", currents, model.input_current_unit)
    values = np.asarray(currents, dtype=float)
    if values.ndim != 1 or len(values) < 2 or np.any(np.diff(values) <= 0):
        raise ValueError(f"currents must be an increasing 1-D array of at least 2 values, got {currents!r}")
    if not 0 * second <= t_transient < duration:
        raise ValueError(f"t_transient = {t_transient!r} must lie in [0, duration = {duration!r})")
    dt = default_dt(model) if dt is None else dt
    unit = Quantity(1.0, dim=currents.dim)
    start = time.perf_counter()
    with ConstantCurrentBatch(model, len(values), duration, dt, seed=seed, device=device,
                              cache_dir=cache_dir) as sweep:
        indices, times = sweep.run(currents)
    sweep_seconds = time.perf_counter() - start
    rates = steady_rates(indices, times, len(values), t_transient)
    rate_values = np.asarray(rates * second)
    counts = np.bincount(indices, minlength=len(values))
    firing = np.flatnonzero(rate_values > 0)
    if len(firing) == 0:
        nan = float("nan")
        rheobase = RheobaseResult(nan * unit, nan * unit, nan / second, 0)
        return FICurveResult(currents, rates, counts, indices, times, rheobase, 0 / second, "none", sweep_seconds)
    k = firing[0]
    low = values[k - 1] if k > 0 else 0.0
    with ConstantCurrentBatch(model, n_parallel, duration, dt, seed=seed, device=device,
                              cache_dir=cache_dir) as batch:
        if k == 0 and values[0] <= 0:
            rheobase = RheobaseResult(values[0] * unit, values[0] * unit, rates[0], 0)
        else:
            rheobase = find_rheobase(batch, low * unit, values[k] * unit, t_transient=t_transient,
                                     relative_tolerance=relative_tolerance)
    target = 2 * float(rheobase.high / unit)
    reference = float(np.interp(min(target, values[-1]), values, rate_values)) / second
    onset_type = classify_onset(rheobase.onset_rate, reference, onset_ratio)
    return FICurveResult(currents, rates, counts, indices, times, rheobase, reference, onset_type, sweep_seconds)


@dataclass(frozen=True)
class FICurveParameters:
    """F-I curve protocol parameters; current values default to a range suited to the chosen neuron
    (0 to 2x its regular-firing current: 0-20 uA/cm**2 for Hodgkin-Huxley)."""

    neuron: NeuronModel = param(HodgkinHuxley, choices=NEURON_CATALOG, help="neuron model")
    min_current: Quantity | None = param(None, quantity=True, help="lowest current (default 0)")
    max_current: Quantity | None = param(None, quantity=True, help="highest current (default 2x typical drive)")
    n_currents: int = param(60, positive=True, help="currents in the sweep (one neuron each)")
    duration: Quantity = param(1 * second, positive=True, help="simulated time per current")
    transient: Quantity = param(200 * ms, non_negative=True, help="initial time ignored by the rates")
    dt: Quantity | None = param(None, quantity=True, help="time step (default 0.01 ms for HH, else 0.1 ms)")
    relative_tolerance: float = param(1e-3, positive=True, help="rheobase bracket width / rheobase")
    n_parallel: int = param(16, positive=True, help="neurons per bisection round")

    def __post_init__(self):
        check_fields(self)
        check_neuron(self.neuron)
        unit = self.neuron.input_current_unit
        for name in ("min_current", "max_current"):
            if getattr(self, name) is not None:
                set_frozen(self, name, coerce_quantity(name, getattr(self, name), unit))
        if self.dt is not None:
            set_frozen(self, "dt", coerce_quantity("dt", self.dt, second))

    def currents(self) -> Quantity:
        """The sweep's currents."""
        top = 2 * default_current(self.neuron) if self.max_current is None else self.max_current
        bottom = 0 * top if self.min_current is None else self.min_current
        if not top > bottom:
            raise ValueError(f"max_current = {top!r} must exceed min_current = {bottom!r}")
        unit = Quantity(1.0, dim=top.dim)
        return np.linspace(float(bottom / unit), float(top / unit), self.n_currents) * unit


def _execute(params: FICurveParameters, context) -> RunRecord:
    result = fi_curve(
        params.neuron, params.currents(), duration=params.duration, dt=params.dt, t_transient=params.transient,
        relative_tolerance=params.relative_tolerance, n_parallel=params.n_parallel, seed=context.seed,
        device=context.device, cache_dir=context.cache_dir,
    )
    unit = Quantity(1.0, dim=result.currents.dim)
    return RunRecord(
        kind="protocol",
        name="fi-curve",
        spikes={"neuron": SpikeTrains(result.spike_indices, result.spike_times, len(result.currents))},
        arrays={"currents": result.currents, "rates": result.rates, "spike_counts": result.spike_counts},
        metrics={
            "rheobase": str(result.rheobase.high),
            "rheobase_low": str(result.rheobase.low),
            "rheobase_SI": float(result.rheobase.high / unit),
            "onset_rate_Hz": float(result.rheobase.onset_rate * second),
            "rate_at_twice_rheobase_Hz": float(result.reference_rate * second),
            "onset_type": result.onset_type,
            "bisection_runs": result.rheobase.n_runs,
            "sweep_wall_time_s": round(result.sweep_seconds, 3),
            "max_rate_Hz": float(np.max(result.rates * second)),
        },
    )


def _figures(record: RunRecord) -> dict:
    from bioneuro.plotting.protocols import plot_fi_curve

    metrics = record.metrics
    figure = plot_fi_curve(
        record.arrays["currents"], record.arrays["rates"], rheobase=metrics.get("rheobase_SI"),
        title=f"F-I curve (onset type {metrics.get('onset_type')}, rheobase {metrics.get('rheobase')})",
    )
    return {"fi_curve": figure}


RUNNABLES = [
    Runnable(
        name="fi-curve",
        kind="protocol",
        summary="F-I curve (all currents in parallel), rheobase by parallel bisection, onset type I/II",
        parameters=FICurveParameters,
        execute=_execute,
        figures=_figures,
    )
]
