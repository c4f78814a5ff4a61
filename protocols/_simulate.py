"""Run a group of independent, current-driven neurons on the runtime or the standalone device."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import brian2 as b2
import numpy as np
from brian2 import Quantity, second

from bioneuro.neurons.base import NeuronModel, make_neurons
from bioneuro.runner import StandaloneProject, run_network, runtime_device, structure_key

__all__ = ["DrivenRun", "simulate_driven"]


@dataclass(frozen=True)
class DrivenRun:
    """Output of :func:`simulate_driven`.

    Attributes
    ----------
    spike_indices : ndarray of int
    spike_times : Quantity [second]
    times : Quantity [second] or None
        Sample times of the recorded potentials.
    v : Quantity [volt] or None
        Shape ``(n_times, n_recorded)``.
    recorded : ndarray of int
        Indices of the neurons whose ``v`` was recorded.
    """

    spike_indices: np.ndarray
    spike_times: Quantity
    times: Quantity | None
    v: Quantity | None
    recorded: np.ndarray


def simulate_driven(
    model: NeuronModel,
    n_neurons: int,
    duration: Quantity,
    dt: Quantity,
    *,
    input_current=None,
    constant_current: Quantity | None = None,
    record_v=(),
    seed: int = 0,
    device: str = "runtime",
    cache_dir: Path | None = None,
) -> DrivenRun:
    """Simulate ``n_neurons`` uncoupled neurons of ``model``, each with its own injected current.

    Parameters
    ----------
    model : NeuronModel
    n_neurons : int
    duration, dt : Quantity [second]
    input_current : CurrentWaveform or TimedArray, optional
        Time-varying ``I_ext`` (1-D: shared; 2-D: one column per neuron).
    constant_current : Quantity, optional
        Constant ``I_ext`` per neuron (scalar or ``n_neurons`` values); exclusive with ``input_current``.
    record_v : sequence of int
        Neurons whose membrane potential is recorded every step.
    seed : int
    device : str
        ``"runtime"`` or ``"standalone"`` (compiled once per structure, cached under ``cache_dir``).
    cache_dir : Path, optional

    Returns
    -------
    DrivenRun
    """
    record = np.asarray(list(record_v), dtype=int)
    per_neuron = None if constant_current is None else {"I_ext": constant_current}

    def build():
        group = make_neurons(model, n_neurons, per_neuron=per_neuron, input_current=input_current, dt=dt,
                             name="neurons")
        spikes = b2.SpikeMonitor(group, name="spikes")
        objects = [group, spikes]
        states = None
        if len(record):
            states = b2.StateMonitor(group, "v", record=record, dt=dt, name="states")
            objects.append(states)
        network = b2.Network(*objects)
        return network, spikes, states

    def collect(spikes, states):
        times = v = None
        if states is not None:
            times = np.asarray(states.t / second) * second
            v = np.asarray(states.v / b2.volt).T * b2.volt
        return DrivenRun(
            spike_indices=np.asarray(spikes.i, dtype=np.int64),
            spike_times=np.asarray(spikes.t / second) * second,
            times=times,
            v=v,
            recorded=record,
        )

    if device == "standalone":
        key = structure_key(
            "driven",
            {"model": repr(model), "n": n_neurons, "duration": duration, "dt": dt, "record": record.tolist(),
             "waveform": None if input_current is None else _digest(_values(input_current)),
             "current": None if constant_current is None else _digest(constant_current)},
        )
        with StandaloneProject(key, cache_dir) as project:
            network, spikes, states = build()
            run_network(network, duration)
            project.build()
            project.run(seed=seed)
            return collect(spikes, states)
    if device != "runtime":
        raise ValueError(f"device {device!r} is not one of 'runtime', 'standalone'")
    with runtime_device(seed):
        network, spikes, states = build()
        run_network(network, duration)
        return collect(spikes, states)


def _values(input_current):
    return input_current.values


def _digest(values) -> str:
    """Stable digest of an array's contents (Python's hash() changes between processes)."""
    return hashlib.sha256(np.ascontiguousarray(np.asarray(values, dtype=float)).tobytes()).hexdigest()[:16]


class ConstantCurrentBatch:
    """``n_neurons`` uncoupled neurons of ``model``, each under its own constant current, run many times.

    On the standalone device the program is compiled once (``I_ext`` is a per-neuron variable set through
    ``run_args``), so a sweep or a bisection round costs one run, not one build. On the runtime device each
    call builds a fresh network; with the Cython target the compiled code objects are reused from the cache
    because only the values of ``I_ext`` change.

    Use as a context manager::

        with ConstantCurrentBatch(model, 16, 1 * second, 0.01 * ms) as batch:
            indices, times = batch.run(currents)
    """

    def __init__(self, model: NeuronModel, n_neurons: int, duration: Quantity, dt: Quantity, *,
                 seed: int = 0, device: str = "runtime", cache_dir: Path | None = None):
        if device not in ("runtime", "standalone"):
            raise ValueError(f"device {device!r} is not one of 'runtime', 'standalone'")
        self.model, self.n_neurons, self.duration, self.dt = model, int(n_neurons), duration, dt
        self.seed, self.device, self.cache_dir = seed, device, cache_dir
        self.n_runs = 0
        self._project = None
        self._handles = None

    def __enter__(self) -> ConstantCurrentBatch:
        if self.device == "standalone":
            key = structure_key("constant-current-batch", {"model": repr(self.model), "n": self.n_neurons,
                                                           "duration": self.duration, "dt": self.dt})
            self._project = StandaloneProject(key, self.cache_dir).__enter__()
            group = make_neurons(self.model, self.n_neurons, dt=self.dt, name="neurons")
            spikes = b2.SpikeMonitor(group, name="spikes")
            run_network(b2.Network(group, spikes), self.duration)
            self._project.build()
            self._handles = (group, spikes)
        return self

    def run(self, currents: Quantity) -> tuple[np.ndarray, Quantity]:
        """Simulate once with ``currents`` (``n_neurons`` values); returns spike indices and times."""
        if np.shape(currents) != (self.n_neurons,):
            raise ValueError(f"expected {self.n_neurons} currents, got shape {np.shape(currents)}")
        self.n_runs += 1
        if self._project is not None:
            group, spikes = self._handles
            self._project.run({group.I_ext: currents}, seed=self.seed)
            return np.asarray(spikes.i, dtype=np.int64), np.asarray(spikes.t / second) * second
        run = simulate_driven(self.model, self.n_neurons, self.duration, self.dt, constant_current=currents,
                              seed=self.seed)
        return run.spike_indices, run.spike_times

    def __exit__(self, *exc_info) -> None:
        if self._project is not None:
            self._project.__exit__(*exc_info)
            self._project = None
