"""The command line, in-process: listing, running, showing, and every bad input of the Foundation issue.

Oracles: exit statuses and messages naming the bad value; for a run, the folder's content (spike counts of a
LIF neuron driven above threshold equal the analytic count floor(T / ISI) within one spike); for every bad input,
that no run folder (nor working folder) is left behind.
"""

from __future__ import annotations

import dataclasses
import math
import os
import stat

import brian2 as b2
import numpy as np
import pytest

from bioneuro import cli, registry
from bioneuro.config import check_fields, param
from bioneuro.io.record import RunRecord, SpikeTrains, StateTrace, read_run
from bioneuro.neurons import LIFCurrent, make_neurons
from bioneuro.neurons.catalog import NEURON_CATALOG
from bioneuro.runner import run_network, runtime_device


@dataclasses.dataclass(frozen=True)
class TinyParameters:
    """A constant-current LIF population (test fixture)."""

    n_neurons: int = param(3, positive=True)
    duration: b2.Quantity = param(100 * b2.ms, positive=True)
    current: b2.Quantity = param(2 * b2.nA)
    neuron: object = param(LIFCurrent, choices=NEURON_CATALOG)

    def __post_init__(self):
        check_fields(self)


def _tiny(parameters: TinyParameters, context) -> RunRecord:
    with runtime_device(context.seed):
        group = make_neurons(parameters.neuron, parameters.n_neurons,
                             per_neuron={"I_ext": np.full(parameters.n_neurons, float(parameters.current / b2.nA)) * b2.nA})
        spikes = b2.SpikeMonitor(group)
        voltage = b2.StateMonitor(group, "v", record=[0])
        run_network(b2.Network(group, spikes, voltage), parameters.duration)
        return RunRecord(
            kind="protocol", name="tiny",
            spikes={"neuron": SpikeTrains(np.asarray(spikes.i), spikes.t[:], parameters.n_neurons)},
            states={"neuron": {"v": StateTrace(voltage.t[:], voltage.v[:].T, [0])}},
            metrics={"n_spikes": int(spikes.num_spikes)},
        )


TINY = registry.Runnable(name="tiny", kind="protocol", summary="tiny LIF test protocol",
                         parameters=TinyParameters, execute=_tiny)


@pytest.fixture
def tiny_registry(monkeypatch):
    monkeypatch.setattr(registry, "discover", lambda: {"tiny": TINY})


def _files(path):
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


def test_list_shows_registered_runnables(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name, runnable in registry.discover().items():
        assert name in out and runnable.summary in out


def test_run_and_show(tiny_registry, tmp_path, capsys):
    assert cli.main(["run", "tiny", "--set", "n_neurons=2", "--seed", "5", "--out", str(tmp_path)]) == 0
    folders = list((tmp_path / "protocol" / "tiny").iterdir())
    assert len(folders) == 1
    record = read_run(folders[0])
    # Oracle: LIF with R I = 20 mV above rest, threshold 15 mV above rest, tau 10 ms, t_ref 2 ms:
    # ISI = t_ref + tau ln(RI / (RI - 15 mV)); spikes in 100 ms = floor(100 ms / ISI) (first spike after one ISI
    # less the refractory period at most shifts the count by one).
    isi = 2e-3 + 10e-3 * math.log(20 / (20 - 15))
    expected = int(0.1 / isi)
    per_neuron = np.bincount(record.spikes["neuron"].node_ids, minlength=2)
    assert all(abs(count - expected) <= 1 for count in per_neuron)
    assert record.provenance["seed"] == 5
    assert record.parameters["n_neurons"] == 2
    assert {"run.h5", "metrics.json", "manifest.json", "parameters.json"} <= {p.name for p in folders[0].iterdir()}
    capsys.readouterr()
    assert cli.main(["show", str(folders[0])]) == 0
    shown = capsys.readouterr().out
    assert "protocol tiny" in shown and "n_spikes" in shown and "spikes neuron" in shown


def test_params_lists_defaults(tiny_registry, capsys):
    assert cli.main(["params", "tiny"]) == 0
    out = capsys.readouterr().out
    assert "duration = 100.0 ms" in out and "neuron.membrane_time_constant" in out


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["run", "nonexistent"], "unknown model, protocol or task 'nonexistent'"),
        (["run", "tiny", "--set", "tau=3 ms"], "unknown parameter 'tau'"),
        (["run", "tiny", "--set", "neuron.membrane_time_constant=20 mV"], "'20 mV' has the wrong dimension; expected a time"),
        (["run", "tiny", "--set", "duration=0 ms"], "duration"),
        (["run", "tiny", "--set", "duration=-5 ms"], "duration"),
        (["run", "tiny", "--set", "n_neurons=0"], "n_neurons"),
        (["run", "tiny", "--set", "n_neurons=-4"], "n_neurons"),
        (["run", "tiny", "--set", "neuron.membrane_time_constant=-1 ms"], "membrane_time_constant"),
        (["run", "tiny", "--set", "neuron=equations", "--set", "neuron.equations=dv/dt = (-v / (10*ms) : volt"],
         "could not parse the neuron equations"),
        (["run", "tiny", "--set", "current=2 parsecs"], "unknown unit 'parsecs'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(tiny_registry, tmp_path, capsys, arguments, fragment):
    assert cli.main([*arguments, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("bioneuro: error:") and fragment in error and "\n" not in error
    assert _files(tmp_path / "out") == []


def test_malformed_toml(tiny_registry, tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("duration = \"100 ms\"\nn_neurons = = 2\n")
    assert cli.main(["run", "tiny", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert "malformed TOML" in capsys.readouterr().err
    assert _files(tmp_path / "out") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; covered by the file case below")
def test_unwritable_output_folder_permissions(tiny_registry, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    assert cli.main(["run", "tiny", "--out", str(locked / "out")]) == 2
    assert "cannot be written" in capsys.readouterr().err


def test_output_folder_that_is_a_file(tiny_registry, tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    assert cli.main(["run", "tiny", "--out", str(blocker / "sub")]) == 2
    assert "cannot be written" in capsys.readouterr().err
    assert blocker.read_text() == "not a folder"


def test_failure_inside_a_run_leaves_no_folder(monkeypatch, tmp_path, capsys):
    def broken(parameters, context):
        raise ValueError("dataset 'mnist' not found")

    runnable = dataclasses.replace(TINY, execute=broken)
    monkeypatch.setattr(registry, "discover", lambda: {"tiny": runnable})
    assert cli.main(["run", "tiny", "--out", str(tmp_path)]) == 2
    assert "dataset 'mnist' not found" in capsys.readouterr().err
    assert _files(tmp_path) == [] and not any(tmp_path.rglob("*.partial"))


def test_show_rejects_non_run(tmp_path, capsys):
    (tmp_path / "run.h5").write_text("garbage")
    assert cli.main(["show", str(tmp_path)]) == 2
    assert "not an HDF5 file" in capsys.readouterr().err


def test_help_teaches(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "bioneuro run" in out


def test_validate_exit_status_follows_the_checks(monkeypatch, tmp_path, capsys):
    """Oracle: a check whose measured value is outside its tolerance makes `bioneuro validate` exit 1."""
    from bioneuro.protocols import validation

    def passing():
        return [validation.Row("p", "m", "q", "1", "1", "exact", True, "s")], {}

    def failing():
        return [validation.Row("p", "m", "q", "2", "1", "exact", False, "s")], {}

    monkeypatch.setattr(validation, "CHECKS", {"good": passing, "bad": failing})
    args = ["validate", "--report-dir", str(tmp_path / "report"), "--out", str(tmp_path / "runs")]
    assert cli.main([*args, "--only", "good"]) == 0
    assert "| p | m | q | 1 | 1 | exact | **pass** | s |" in (tmp_path / "report" / "VALIDATION.md").read_text()
    assert cli.main([*args, "--only", "good", "--only", "bad"]) == 1
    assert "1 values out of tolerance" in capsys.readouterr().err
    assert cli.main([*args, "--only", "nonsense"]) == 2


def test_device_must_be_supported_by_the_runnable(monkeypatch, tmp_path, capsys):
    compiled_only = dataclasses.replace(TINY, devices=("standalone",))
    monkeypatch.setattr(registry, "discover", lambda: {"tiny": compiled_only})
    assert cli.main(["run", "tiny", "--device", "runtime", "--out", str(tmp_path)]) == 2
    assert "tiny runs on standalone, not --device runtime" in capsys.readouterr().err
    assert _files(tmp_path) == []


def test_show_figures_draws_again_from_the_run_file(monkeypatch, tmp_path, capsys):
    """`show RUN --figures` draws the runnable's figures from run.h5 into a run made with --no-figures."""
    seen = []

    def figures(record):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        seen.append((len(record.spikes["neuron"].node_ids), record.metrics["n_spikes"]))
        fig, ax = plt.subplots()
        ax.plot(record.states["neuron"]["v"].times, record.states["neuron"]["v"].values[:, 0])
        return {"voltage": fig}

    monkeypatch.setattr(registry, "discover", lambda: {"tiny": dataclasses.replace(TINY, figures=figures)})
    assert cli.main(["run", "tiny", "--seed", "1", "--no-figures", "--out", str(tmp_path)]) == 0
    (folder,) = (tmp_path / "protocol" / "tiny").iterdir()
    assert not list(folder.glob("*.png")) and not seen
    capsys.readouterr()
    assert cli.main(["show", str(folder), "--figures"]) == 0
    assert "figures drawn again: voltage.png" in capsys.readouterr().out
    assert (folder / "voltage.png").stat().st_size > 1000
    ((n_read, n_metric),) = seen  # drawn once, from the record read back: its spikes are the run's spikes
    assert n_read == n_metric > 0
    monkeypatch.setattr(registry, "discover", lambda: {"tiny": TINY})  # a runnable without figures
    assert cli.main(["show", str(folder), "--figures"]) == 2
    assert "tiny draws no figures" in capsys.readouterr().err
