"""The Diehl & Cook sweep script's diagnostics (benchmarks/sweep_diehl_cook.py), on hand-built run records."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from brian2 import mV

from bioneuro.io.record import RunRecord, SynapseWeights, write_run

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "sweep_diehl_cook.py"


@pytest.fixture(scope="module")
def sweep():
    spec = importlib.util.spec_from_file_location("sweep_diehl_cook", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_participation_ratio_counts_equally_used_inputs(sweep):
    """Analytic: k equal nonzero weights give exactly k; weights drawn as 0.3*(U[0,1)+0.01) give
    784*E[w]^2/E[w^2] = 784*0.153^2/(0.0075+0.153^2) = 594 (within 2 % for 784 draws per neuron)."""
    w = np.zeros((784, 3))
    w[:100, 0] = 0.78
    w[:, 1] = 0.1
    w[5, 2] = 1.0
    assert sweep.participation_ratio(w) == pytest.approx([100, 784, 1])
    rng = np.random.default_rng(0)
    initial = 0.3 * (rng.random((784, 200)) + 0.01)
    mean, second = 0.3 * 0.51, 0.3**2 * (1 / 12 + 0.51**2)
    assert np.median(sweep.participation_ratio(initial)) == pytest.approx(784 * mean**2 / second, rel=0.02)


def _record(n_images: int, counts: np.ndarray, weights: np.ndarray, theta_mv: np.ndarray) -> RunRecord:
    nonzero = (counts > 0).sum(axis=1)
    rows, neurons = np.nonzero(counts)
    pre, post = np.divmod(np.arange(weights.size), weights.shape[1])
    return RunRecord(
        kind="model", name="diehl-cook",
        weights={"input_exc": SynapseWeights(pre=pre, post=post, weights=weights.ravel())},
        arrays={"theta": theta_mv * mV, "train_spike_counts_nonzero": nonzero,
                "train_spike_counts_neuron": neurons, "train_spike_counts_count": counts[rows, neurons]},
        metrics={"test_accuracy": 0.5, "n_train_images": n_images, "presentations_train": 3 * n_images // 2,
                 "n_forced_accepts": 0, "n_unassigned_neurons": 1, "time_train_s": 12.0},
        provenance={"git_revision": "abc"},
    )


def test_summary_of_a_run_folder_equals_hand_computed_values(sweep, tmp_path):
    """Oracle: the values computed by hand from the counts, weights and thresholds written into the record."""
    n_images, n = 12000, 4
    counts = np.zeros((n_images, n), dtype=np.int64)
    counts[:2000, 0] = 9  # before the last 10,000 images: must not count
    counts[2000:, 1] = 3  # every image of the last 10,000: one neuron with 3 spikes ...
    counts[2000:7000, 2] = 1  # ... and in half of them a second neuron with a single spike
    weights = np.zeros((784, n))
    weights[:100, 0] = 0.78  # crisp: PR 100
    weights[:, 1:] = 78 / 784  # uniform: PR 784 (diffuse)
    theta = np.array([10.0, 20.0, 30.0, 60.0])
    out = tmp_path / "sweep" / "theta_plus=1uV_seed1"
    folder = write_run(_record(n_images, counts, weights, theta), out,
                       folder=out / "model" / "diehl-cook" / "20260101T000000-abc")
    assert sweep.finished_run(out) == folder
    (folder.parent / ".20260102T000000-abc.partial").mkdir()  # an unfinished run beside it is not taken
    (folder.parent / ".20260102T000000-abc.partial" / "run.h5").write_bytes(b"")
    assert sweep.finished_run(out) == folder
    row = sweep.summarise_run(folder)
    assert row["presentations_per_image"] == 1.5
    assert row["theta_mean_mV"] == pytest.approx(30.0)
    assert row["spikes_per_image_last"] == pytest.approx(3 + 0.5)
    assert row["share_single_spike_responses_last"] == pytest.approx(5000 / 15000)
    assert row["participation_ratio_median"] == pytest.approx(784)
    assert row["neurons_diffuse"] == 3
    assert row["git_revision_of_run"] == "abc"


def test_report_tabulates_every_run(sweep, tmp_path):
    rows = [{"value": v, "seed": s, "test_accuracy": acc, "presentations_per_image": 1.1, "theta_mean_mV": 20.0,
             "spikes_per_image_last": 8.0, "share_single_spike_responses_last": 0.4,
             "participation_ratio_median": 200.0, "neurons_diffuse": 3, "n_unassigned_neurons": 0,
             "time_train_s": 100.0}
            for (v, s, acc) in (("50 uV", 1, 0.7311), ("12.5 uV", 1, 0.8353))]
    stem = tmp_path / "report"
    sweep.write_report(stem, "theta_plus", ["50 uV", "12.5 uV"], [1], rows, "cmd", ["n_neurons=100"])
    text = stem.with_suffix(".md").read_text()
    assert "| 50 uV | 1 | 73.11 % |" in text and "| 12.5 uV | 1 | 83.53 % |" in text
    assert json.loads(stem.with_suffix(".json").read_text())["runs"] == rows
    assert stem.with_suffix(".png").stat().st_size > 0


def test_run_one_resumes_an_interrupted_run_and_skips_a_finished_one(sweep, tmp_path, monkeypatch):
    """The command handed to the CLI: the sweep's settings, --resume for a run that left checkpoints, and no
    second run once a finished run is there."""
    folder = tmp_path / "theta_plus=25uV_seed2"
    partial = folder / "model" / "diehl-cook" / ".20260101T000000-abc.partial"
    (partial / "checkpoints").mkdir(parents=True)
    calls = []

    class Done:
        returncode = 0

    def fake_run(command, **kwargs):
        calls.append(command)
        counts = np.ones((10, 2), dtype=np.int64)
        write_run(_record(10, counts, np.full((784, 2), 0.1), np.array([20.0, 20.0])), folder,
                  folder=folder / "model" / "diehl-cook" / "20260101T000000-abc")
        return Done()

    monkeypatch.setattr(sweep.subprocess, "run", fake_run)
    run = sweep.run_one(folder, ["n_neurons=400", "theta_plus=25 uV"], 2, None, tmp_path / "log")
    assert run == folder / "model" / "diehl-cook" / "20260101T000000-abc"
    (command,) = calls
    assert command[command.index("--resume") + 1] == str(partial)
    assert command[command.index("--seed") + 1] == "2"
    assert "theta_plus=25 uV" in command and "eval_workers=1" in command
    assert sweep.run_one(folder, ["n_neurons=400"], 2, None, tmp_path / "log") == run
    assert len(calls) == 1


def test_swept_values_are_placed_by_number_and_unit_or_as_categories(sweep):
    numbers, ticks, unit, log_scale = sweep._x_positions(["50 uV", "12.5 uV", "1e-1 uV"])
    assert numbers == {"50 uV": 50.0, "12.5 uV": 12.5, "1e-1 uV": 0.1} and unit == "uV" and log_scale
    assert [x for x, _ in ticks] == [0.1, 12.5, 50.0]
    assert sweep._x_positions(["-1", "0", "2"])[3] is False  # not all positive: linear axis
    positions, ticks, unit, log_scale = sweep._x_positions(["euler", "exponential_euler"])
    assert positions == {"euler": 0.0, "exponential_euler": 1.0} and unit == "" and not log_scale
    mixed = sweep._x_positions(["1 ms", "2 s"])[0]  # two units: not comparable as numbers
    assert mixed == {"1 ms": 0.0, "2 s": 1.0}


def test_report_names_a_modified_tree_as_such(sweep):
    """A run made from a modified working tree is not a run of its commit: the report keeps ``+dirty``."""
    assert sweep._short_revision("5b85e7606214ba0aec7873069881bcf230174fe9+dirty") == "5b85e76+dirty"
    assert sweep._short_revision("5b85e7606214ba0aec7873069881bcf230174fe9") == "5b85e76"
    assert sweep._short_revision(None) == "unknown"
