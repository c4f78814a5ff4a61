"""Runner: the same model code on the runtime and the C++ standalone device.

Oracle: a second formulation — the identical deterministic network simulated by Brian2's runtime device and by
a compiled standalone program must produce the same spikes (same neuron, same time step). For the standalone
seed mechanism: equal seeds give equal random draws, different seeds give different ones, with one build.
"""

from __future__ import annotations

import gc

import brian2 as b2
import numpy as np
import pytest

from bioneuro.runner import (
    RunContext,
    StandaloneProject,
    run_network,
    runtime_device,
    structure_key,
)

# A small deterministic network: 20 LIF neurons driven by graded constant currents, coupled all-to-all by
# delayed excitatory delta synapses (integer-step delays so both devices queue spikes identically).
EQUATIONS = "dv/dt = (I_drive - v) / tau : 1 (unless refractory)\nI_drive : 1 (constant)"


def _build_network():
    group = b2.NeuronGroup(20, EQUATIONS, threshold="v > 1", reset="v = 0", refractory=2 * b2.ms,
                           method="exact", namespace={"tau": 10 * b2.ms}, name="neurons")
    group.I_drive = "1.05 + 0.01 * i"
    synapses = b2.Synapses(group, group, "w : 1", on_pre="v_post += w", name="recurrent")
    synapses.connect(condition="i != j")
    synapses.w = "0.002 * ((i + 3 * j) % 7)"
    synapses.delay = "(1 + (i + j) % 4) * 0.5 * ms"
    monitor = b2.SpikeMonitor(group, name="spikes")
    return b2.Network(group, synapses, monitor), monitor


def test_context_validates_device_and_seed():
    with pytest.raises(ValueError, match="'gpu'"):
        RunContext(device="gpu")
    with pytest.raises(ValueError, match="-3"):
        RunContext(seed=-3)
    assert isinstance(RunContext().seed, int)


def test_run_network_rejects_bad_duration():
    with runtime_device(seed=1):
        network, _ = _build_network()
        with pytest.raises(TypeError, match="duration"):
            run_network(network, 5 * b2.mV)
        with pytest.raises(ValueError, match="duration"):
            run_network(network, -5 * b2.ms)


@pytest.mark.standalone
def test_runtime_and_standalone_give_identical_spikes(tmp_path):
    duration = 200 * b2.ms
    with runtime_device(seed=1):
        b2.defaultclock.dt = 0.1 * b2.ms
        network, monitor = _build_network()
        run_network(network, duration)
        runtime_spikes = (np.asarray(monitor.i), np.round(np.asarray(monitor.t / b2.ms) / 0.1).astype(int))
    key = structure_key("test-runner", {"n": 20})
    with StandaloneProject(key, tmp_path) as project:
        b2.defaultclock.dt = 0.1 * b2.ms
        network, monitor = _build_network()
        run_network(network, duration)
        project.build()
        project.run()
        standalone_spikes = (np.asarray(monitor.i), np.round(np.asarray(monitor.t / b2.ms) / 0.1).astype(int))
    assert len(runtime_spikes[0]) > 100
    order_runtime = np.lexsort(runtime_spikes)
    order_standalone = np.lexsort(standalone_spikes)
    np.testing.assert_array_equal(runtime_spikes[0][order_runtime], standalone_spikes[0][order_standalone])
    np.testing.assert_array_equal(runtime_spikes[1][order_runtime], standalone_spikes[1][order_standalone])


def _build_draws(project):
    group = b2.NeuronGroup(50, "x : 1\nscale : 1 (constant)", name="draws")
    group.run_regularly("x = scale * rand()", dt=1 * b2.ms)
    network = b2.Network(group)
    network.run(1 * b2.ms)
    project.build()
    return group


@pytest.mark.standalone
def test_standalone_seed_and_run_args_without_recompiling(tmp_path):
    key = structure_key("test-seed", {"n": 50})
    with StandaloneProject(key, tmp_path) as project:
        group = _build_draws(project)
        draws = {}
        for seed in (1, 2, 1):
            project.run({group.scale: np.full(50, 3.0)}, seed=seed)
            draws.setdefault(seed, []).append(np.asarray(group.x).copy())
        objects = sorted(project.directory.glob("code_objects/*.o"))
        built_at = [path.stat().st_mtime for path in objects]
    del group
    gc.collect()
    np.testing.assert_array_equal(draws[1][0], draws[1][1])
    assert not np.array_equal(draws[1][0], draws[2][0])
    assert 0 < draws[1][0].min() and 1.0 < draws[1][0].max() < 3.0  # the scale came through run_args
    # Rebuilding the same structure in the same folder recompiles no code object (Brian2 rewrites only
    # changed files; main.cpp may be regenerated because Brian2 orders some initialisations by hash).
    with StandaloneProject(key, tmp_path) as project:
        _build_draws(project)
    assert objects and [path.stat().st_mtime for path in objects] == built_at


def test_results_go_to_a_folder_of_this_process_and_dead_processes_folders_are_removed(tmp_path):
    """A program whose Python process was killed (kill -9) runs on and writes its results: each process reads
    and writes its own results folder, and the folders of processes that no longer exist are removed when a
    project is entered. Oracle: which processes exist (one that has exited, this one, its parent)."""
    import os
    import subprocess
    import sys

    exited = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                            text=True, check=True)
    dead = int(exited.stdout)
    key = structure_key("test-results-folder", {"n": 50})
    project_dir = tmp_path / "standalone" / key
    for pid in (dead, os.getpid(), os.getppid()):
        (project_dir / f"results-{pid}").mkdir(parents=True)
    (project_dir / "results-other").mkdir()
    with StandaloneProject(key, tmp_path) as project:
        group = _build_draws(project)
        project.run({group.scale: np.full(50, 3.0)}, seed=1)
        assert b2.get_device().results_dir.rstrip("/").endswith(f"results-{os.getpid()}")
        assert 0 < np.asarray(group.x).min()  # read back from this process's folder
    remaining = sorted(path.name for path in project_dir.glob("results-*"))
    assert remaining == sorted([f"results-{os.getpid()}", f"results-{os.getppid()}", "results-other"])
    assert any((project_dir / f"results-{os.getpid()}").iterdir())
