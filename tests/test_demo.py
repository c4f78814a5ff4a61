"""`bioneuro demo` end to end (LIF part only, to stay fast; the full tour runs in CI's README check).

Oracle: the run folder holds the HDF5, JSON and PNG files the Foundation issue asks for, and the LIF's firing
rate under the current-clamp step equals the analytic LIF rate 1 / (t_ref + tau ln(RI / (RI - (theta - E_L))))
to within one spike over the step.
"""

from __future__ import annotations

import json
import math

from brian2 import nA

from bioneuro import cli
from bioneuro.io.record import read_run
from bioneuro.quantities import parse_quantity


def test_demo_writes_hdf5_json_and_figures(tmp_path):
    assert cli.main(["demo", "--set", "neurons=lif", "--seed", "1", "--out", str(tmp_path), "--no-progress"]) == 0
    (folder,) = (tmp_path / "task" / "demo").iterdir()
    names = {p.name for p in folder.iterdir()}
    assert {"run.h5", "metrics.json", "manifest.json", "raster.png", "lif_voltage_trace.png"} <= names
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["command"].startswith("bioneuro demo")
    record = read_run(folder)
    parameters = record.parameters["lif"]
    amplitude_nA = float(parse_quantity(str(record.metrics["lif.amplitude"])) / nA)  # resolved default
    neuron = parameters["neuron"]
    drive = float(neuron["membrane_resistance"]) * amplitude_nA * 1e-9  # volts
    gap = float(neuron["threshold_potential"] - neuron["resting_potential"])
    rate = 1 / (float(neuron["refractory_period"]) + float(neuron["membrane_time_constant"]) * math.log(drive / (drive - gap)))
    step = float(parameters["t_stop"] - parameters["t_start"])
    assert abs(len(record.spikes["lif"].node_ids) - rate * step) <= 1
