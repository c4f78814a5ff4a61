"""Run a group of independent, current-driven neurons on the runtime or the standalone device."""

from __future__ import annotations

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
             "waveform": None if input_current is None else hash(np.asarray(_values(input_current)).tobytes()),
             "current": None if constant_current is None else hash(np.asarray(constant_current).tobytes())},
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
