"""Run records: HDF5 round trip with units, and atomic writing.

Oracles: values written are read back exactly with their units; an interrupted write leaves neither a run
folder nor a file that :func:`read_run` accepts.
"""

from __future__ import annotations

import h5py
import matplotlib.pyplot as plt
import numpy as np
import pytest
from brian2 import ms, mV, nA, nS, second

from bioneuro.io import record as record_module
from bioneuro.io.record import (
    IncompleteRunError,
    RunRecord,
    SpikeTrains,
    StateTrace,
    SynapseWeights,
    read_run,
    write_run,
    write_run_h5,
)


def _example() -> RunRecord:
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0, 2, 500))
    return RunRecord(
        kind="protocol",
        name="example",
        parameters={"tau_m": 20 * ms, "n_neurons": 7, "neuron": {"v_rest": -65 * mV, "label": "lif"}},
        spikes={"exc": SpikeTrains(rng.integers(0, 7, 500), times * second, 7, t_start=0 * ms, t_stop=2 * second)},
        states={"exc": {"v": StateTrace(np.arange(100) * 0.1 * ms, rng.normal(-60, 5, (100, 3)) * mV, [0, 2, 4])}},
        weights={"input_exc": SynapseWeights(np.arange(5), np.arange(5)[::-1], rng.uniform(0, 1, 5) * nS)},
        arrays={"currents": np.linspace(0, 1, 11) * nA, "labels": np.array(["a", "b"]), "counts": np.arange(4)},
        metrics={"rate_Hz": 35.7, "n_spikes": 500, "ok": True},
        provenance={"git_revision": "0123456789abcdef", "seed": 3},
    )


def test_round_trip_restores_values_and_units(tmp_path):
    original = _example()
    figure = plt.figure()
    plt.plot([0, 1], [0, 1])
    folder = write_run(original, tmp_path, {"line": figure})
    assert folder.parent == tmp_path / "protocol" / "example"
    assert folder.name.endswith("-0123456")
    assert {p.name for p in folder.iterdir()} == {"run.h5", "metrics.json", "manifest.json", "parameters.json",
                                                   "line.png"}
    loaded = read_run(folder)
    assert loaded.parameters["tau_m"] == 20 * ms
    assert loaded.parameters["neuron"] == {"v_rest": -65 * mV, "label": "lif"}
    assert loaded.metrics == original.metrics
    spikes = loaded.spikes["exc"]
    np.testing.assert_array_equal(spikes.node_ids, original.spikes["exc"].node_ids)
    np.testing.assert_array_equal(np.asarray(spikes.timestamps / second), np.asarray(original.spikes["exc"].timestamps / second))
    assert spikes.n_neurons == 7
    assert spikes.t_start == 0 * second and spikes.t_stop == 2 * second
    trace = loaded.states["exc"]["v"]
    np.testing.assert_allclose(np.asarray(trace.values / mV), np.asarray(original.states["exc"]["v"].values / mV), rtol=1e-15)
    np.testing.assert_array_equal(trace.node_ids, [0, 2, 4])
    np.testing.assert_allclose(np.asarray(loaded.weights["input_exc"].weights / nS),
                               np.asarray(original.weights["input_exc"].weights / nS), rtol=1e-15)
    np.testing.assert_allclose(np.asarray(loaded.arrays["currents"] / nA), np.linspace(0, 1, 11), rtol=1e-15)
    np.testing.assert_array_equal(loaded.arrays["labels"], ["a", "b"])
    np.testing.assert_array_equal(loaded.arrays["counts"], np.arange(4))


def test_spike_arrays_must_agree():
    with pytest.raises(ValueError, match="differ in length"):
        SpikeTrains(np.arange(3), np.arange(2) * ms, 3)
    with pytest.raises(ValueError, match="n_neurons"):
        SpikeTrains(np.array([0, 5]), np.arange(2) * ms, 3)


def test_crash_while_writing_leaves_nothing_readable(tmp_path, monkeypatch):
    original = _example()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    # a crash in the middle of the HDF5 file: no run.h5, no temporary file
    monkeypatch.setattr(record_module, "_write_array", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        write_run_h5(original, tmp_path / "run.h5")
    assert list(tmp_path.iterdir()) == []
    # a crash in the middle of the folder: no run folder and no working folder
    with pytest.raises(RuntimeError, match="disk full"):
        write_run(original, tmp_path / "out")
    leftovers = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert leftovers == []


def test_reader_refuses_incomplete_and_foreign_files(tmp_path):
    path = write_run_h5(_example(), tmp_path / "run.h5")
    with h5py.File(path, "a") as h5:
        del h5.attrs["complete"]  # what a killed writer would leave: no completion mark
    with pytest.raises(IncompleteRunError, match="incomplete"):
        read_run(path)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as h5:
        h5["x"] = 1
    with pytest.raises(IncompleteRunError, match="not a bioneuro run"):
        read_run(foreign)
    text = tmp_path / "text.h5"
    text.write_text("hello")
    with pytest.raises(IncompleteRunError, match="not an HDF5 file"):
        read_run(text)
    with pytest.raises(FileNotFoundError):
        read_run(tmp_path / "absent")
