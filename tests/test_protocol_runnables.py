"""Command-line runnables of the network and plasticity protocols: parameters from --set strings, run record,
figures. Oracles: the record's numbers equal those of the protocol function called directly."""

import numpy as np
import pytest
from bioneuro.protocols._pairing import PLASTIC_RULES
from bioneuro.protocols.brunel import BrunelParameters, mean_field_rate
from bioneuro.protocols.frequency_dependence import frequency_dependence
from brian2 import Hz, ms, second

from bioneuro.config import resolve_parameters
from bioneuro.registry import get_runnable
from bioneuro.runner import RunContext


def _run(name, assignments):
    runnable = get_runnable(name)
    params = resolve_parameters(runnable.parameters, assignments=assignments)
    record = runnable.execute(params, RunContext(seed=4, progress=False))
    figures = runnable.figures(record)
    assert figures and all(hasattr(f, "savefig") for f in figures.values())
    return params, record


def test_frequency_dependence_runnable_matches_function():
    params, record = _run("frequency-dependence", ["rules=triplet-visual", "frequencies=5 Hz,40 Hz",
                                                   "pairs_per_train=10"])
    direct = frequency_dependence(PLASTIC_RULES["triplet-visual"], np.array([5.0, 40.0]) * Hz, pairs_per_train=10)
    assert np.allclose(record.arrays["change_triplet-visual"], direct.change)


def test_brunel_runnable_reports_mean_field_of_its_parameters():
    params, record = _run("brunel-network", ["n_exc=400", "duration=100 ms", "transient=20 ms", "state=D"])
    assert record.spikes["network"].n_neurons == 500
    assert record.metrics["mean_field_rate_Hz"] == pytest.approx(float(mean_field_rate(params) / Hz), abs=1e-3)
    assert isinstance(params, BrunelParameters)
    with pytest.raises(ValueError):
        BrunelParameters(state="E")


def test_song_runnable_records_weights_in_bounds():
    params, record = _run("song-2000", ["duration=1 s", "n_exc_inputs=100", "n_inh_inputs=20"])
    weights = np.asarray(record.weights["plastic"].weights)
    assert weights.shape == (100,) and np.all((weights >= 0) & (weights <= 1))
    assert record.arrays["weight_history"].shape[1] == 100
    assert float(params.duration / second) == 1.0 and float(params.dt / ms) == 0.1
