"""Current clamp: inject a step, ramp or noisy current into one neuron and measure its responses.

:func:`current_clamp` is the protocol (model, stimulus, seed) -> :class:`CurrentClampResult`; the
``current-clamp`` runnable wraps it into a run record with action-potential features (threshold, peak,
after-hyperpolarisation, half-width, latency) and spike-train features (rate, adaptation index).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import Quantity, ms, mV, second

from bioneuro.config import check_fields, param
from bioneuro.encoders.waveforms import (
    CurrentWaveform,
    ornstein_uhlenbeck_current,
    ramp_current,
    step_current,
)
from bioneuro.io.record import RunRecord, SpikeTrains, StateTrace
from bioneuro.neurons.base import NeuronModel
from bioneuro.neurons.catalog import NEURON_CATALOG
from bioneuro.neurons.hodgkin_huxley import HodgkinHuxley
from bioneuro.registry import Runnable

from ._common import check_neuron, coerce_quantity, default_current, default_dt, set_frozen
from ._simulate import simulate_driven
from .features import (
    ActionPotentialFeatures,
    SpikeTrainFeatures,
    action_potential_features,
    spike_train_features,
)

__all__ = [
    "STIMULI",
    "CurrentClampParameters",
    "CurrentClampResult",
    "make_stimulus",
    "current_clamp",
    "RUNNABLES",
]

STIMULI = ("step", "ramp", "noise")


@dataclass(frozen=True)
class CurrentClampParameters:
    """Current-clamp protocol parameters.

    The current amplitude depends on the model's input unit (nA for point neurons, uA/cm**2 for
    Hodgkin-Huxley); when left unset it defaults to a current that drives the chosen model to regular
    firing (10 uA/cm**2 for Hodgkin & Huxley 1952, 2x rheobase-scale currents for the others).
    """

    neuron: NeuronModel = param(HodgkinHuxley, choices=NEURON_CATALOG, help="neuron model")
    stimulus: str = param("step", help="waveform: step, ramp (0 -> amplitude) or noise (OU around amplitude)")
    amplitude: Quantity | None = param(None, quantity=True, help="step amplitude, ramp end or noise mean")
    noise_std: Quantity | None = param(None, quantity=True, help="noise SD (default: amplitude / 2)")
    noise_time_constant: Quantity = param(5 * ms, positive=True, help="noise correlation time")
    t_start: Quantity = param(50 * ms, non_negative=True, help="stimulus onset")
    t_stop: Quantity = param(250 * ms, positive=True, help="stimulus offset")
    duration: Quantity = param(300 * ms, positive=True, help="simulated time")
    dt: Quantity | None = param(None, quantity=True, help="time step (default 0.01 ms for HH, else 0.1 ms)")

    def __post_init__(self):
        check_fields(self)
        check_neuron(self.neuron)
        if self.stimulus not in STIMULI:
            raise ValueError(f"stimulus {self.stimulus!r} is not one of {', '.join(STIMULI)}")
        unit = self.neuron.input_current_unit
        for name in ("amplitude", "noise_std"):
            value = getattr(self, name)
            if value is not None:
                set_frozen(self, name, coerce_quantity(name, value, unit))
        if self.dt is not None:
            set_frozen(self, "dt", coerce_quantity("dt", self.dt, second))
            if not self.dt > 0 * second:
                raise ValueError(f"dt = {self.dt!r} must be positive")

    def check_window(self) -> None:
        """Cross-field check, run by the protocol (``--set`` applies one field at a time, so intermediate
        parameter sets may legitimately violate it)."""
        if not self.t_start < self.t_stop <= self.duration:
            raise ValueError(
                f"expected t_start < t_stop <= duration, got {self.t_start!r}, {self.t_stop!r}, {self.duration!r}"
            )

    @property
    def current(self) -> Quantity:
        """The amplitude, or the model's default current."""
        return default_current(self.neuron) if self.amplitude is None else self.amplitude

    @property
    def time_step(self) -> Quantity:
        """The time step, or the model's default."""
        return default_dt(self.neuron) if self.dt is None else self.dt


@dataclass(frozen=True)
class CurrentClampResult:
    """What a current-clamp recording yields.

    Attributes
    ----------
    times : Quantity [second]
    v : Quantity [volt]
        Membrane potential at ``times``.
    current : CurrentWaveform
        The injected current.
    spike_times : Quantity [second]
    action_potentials : ActionPotentialFeatures
    train : SpikeTrainFeatures
        In the stimulus window.
    """

    times: Quantity
    v: Quantity
    current: CurrentWaveform
    spike_times: Quantity
    action_potentials: ActionPotentialFeatures
    train: SpikeTrainFeatures


def make_stimulus(params: CurrentClampParameters, seed: int) -> CurrentWaveform:
    """The injected-current waveform described by ``params`` (noise drawn from ``seed``)."""
    params.check_window()
    amplitude, dt = params.current, params.time_step
    if params.stimulus == "step":
        return step_current(amplitude, params.t_start, params.t_stop, params.duration, dt)
    if params.stimulus == "ramp":
        return ramp_current(0 * amplitude, amplitude, params.t_start, params.t_stop, params.duration, dt)
    std = 0.5 * amplitude if params.noise_std is None else params.noise_std
    noise = ornstein_uhlenbeck_current(
        amplitude, std, params.noise_time_constant, params.duration, dt, seed=seed
    )
    unit = _unit(amplitude)
    values = np.asarray(noise.values / unit)
    on = np.zeros(len(values), dtype=bool)
    on[int(round(float(params.t_start / dt))) : int(round(float(params.t_stop / dt)))] = True
    return CurrentWaveform(np.where(on, values, 0.0) * unit, dt)


def _unit(value: Quantity) -> Quantity:
    return Quantity(1.0, dim=value.dim)


def current_clamp(
    model: NeuronModel,
    current: CurrentWaveform,
    *,
    t_start: Quantity,
    t_stop: Quantity,
    seed: int = 0,
    device: str = "runtime",
    cache_dir: Path | None = None,
) -> CurrentClampResult:
    """Inject ``current`` into one neuron of ``model`` and measure its responses.

    Parameters
    ----------
    model : NeuronModel
    current : CurrentWaveform
        1-D waveform; its length sets the duration and its ``dt`` the time step.
    t_start, t_stop : Quantity [second]
        Stimulus window for latency, rate and adaptation.
    seed : int
    device : str
        ``"runtime"`` or ``"standalone"``.
    cache_dir : Path, optional
        Build cache of the standalone device.

    Returns
    -------
    CurrentClampResult
    """
    check_neuron(model)
    if np.ndim(current.values) != 1:
        raise ValueError(f"current must be a 1-D waveform, got shape {np.shape(current.values)}")
    run = simulate_driven(
        model, 1, current.duration, current.dt, input_current=current, record_v=[0], seed=seed,
        device=device, cache_dir=cache_dir,
    )
    v = run.v[:, 0]
    return CurrentClampResult(
        times=run.times,
        v=v,
        current=current,
        spike_times=run.spike_times,
        action_potentials=action_potential_features(run.times, v, run.spike_times),
        train=spike_train_features(run.spike_times, t_start, t_stop),
    )


def _metric(value: Quantity, unit: Quantity) -> float:
    number = float(value / unit)
    return round(number, 6) if np.isfinite(number) else float("nan")


def _execute(params: CurrentClampParameters, context) -> RunRecord:
    waveform = make_stimulus(params, context.seed)
    result = current_clamp(
        params.neuron, waveform, t_start=params.t_start, t_stop=params.t_stop, seed=context.seed,
        device=context.device, cache_dir=context.cache_dir,
    )
    first = result.action_potentials.first()
    ap = result.action_potentials
    metrics = {
        "n_spikes": result.train.n_spikes,
        "rate_Hz": _metric(result.train.rate, 1 / second),
        "latency_ms": _metric(result.train.latency, ms),
        "adaptation_index": round(result.train.adaptation_index, 6) if np.isfinite(result.train.adaptation_index)
        else float("nan"),
        "first_spike_threshold_mV": _metric(first["threshold"], mV),
        "first_spike_peak_mV": _metric(first["peak"], mV),
        "first_spike_ahp_mV": _metric(first["ahp"], mV),
        "first_spike_half_width_ms": _metric(first["half_width"], ms),
        "mean_peak_mV": _metric(np.nanmean(np.asarray(ap.peak / mV)) * mV, mV) if len(ap.peak) else float("nan"),
        "mean_ahp_mV": _metric(np.nanmean(np.asarray(ap.ahp / mV)) * mV, mV)
        if np.any(np.isfinite(np.asarray(ap.ahp))) else float("nan"),
        "stimulus": params.stimulus,
        "amplitude": str(params.current),
    }
    return RunRecord(
        kind="protocol",
        name="current-clamp",
        spikes={"neuron": SpikeTrains(np.zeros(len(result.spike_times), dtype=np.int64), result.spike_times, 1)},
        states={"neuron": {"v": StateTrace(result.times, result.v[:, None], np.array([0]))}},
        arrays={
            "stimulus_current": result.current.values,
            "stimulus_times": result.current.times,
            "ap_threshold": ap.threshold,
            "ap_peak": ap.peak,
            "ap_ahp": ap.ahp,
            "ap_half_width": ap.half_width,
        },
        metrics=metrics,
    )


def _figures(record: RunRecord) -> dict:
    from bioneuro.plotting.protocols import plot_voltage_trace

    trace = record.states["neuron"]["v"]
    spikes = record.spikes["neuron"]
    figure = plot_voltage_trace(
        trace.times,
        trace.values[:, 0],
        current_times=record.arrays.get("stimulus_times"),
        current=record.arrays.get("stimulus_current"),
        spike_times=spikes.timestamps,
        title=f"current clamp ({record.metrics.get('stimulus', '')}, {record.metrics.get('amplitude', '')})",
    )
    return {"voltage_trace": figure}


RUNNABLES = [
    Runnable(
        name="current-clamp",
        kind="protocol",
        summary="Step, ramp or noisy current into one neuron: voltage trace, AP and spike-train features",
        parameters=CurrentClampParameters,
        execute=_execute,
        figures=_figures,
    )
]
