"""F-I curve protocol: LIF against its analytic F-I curve, classic HH type II onset, parallel bisection."""

import numpy as np
import pytest
from bioneuro.protocols._simulate import ConstantCurrentBatch
from bioneuro.protocols.fi_curve import classify_onset, fi_curve, find_rheobase, steady_rates
from brian2 import cm, ms, nA, second, uA

from bioneuro.config import resolve_parameters
from bioneuro.neurons import HodgkinHuxley, LIFCurrent
from bioneuro.neurons.lif import lif_firing_rate
from bioneuro.registry import get_runnable
from bioneuro.runner import RunContext


def test_steady_rates_closed_form():
    # neuron 0: spikes every 10 ms after the transient -> 100 Hz; neuron 1: one spike -> 0; neuron 2: none.
    indices = np.array([0, 0, 0, 0, 1, 1])
    times = np.array([0.005, 0.1, 0.11, 0.12, 0.01, 0.2]) * second
    rates = steady_rates(indices, times, 3, 0.05 * second)
    assert np.allclose(np.asarray(rates * second), [100, 0, 0])


def test_lif_fi_curve_matches_analytic_formula_to_one_step_per_interval():
    # Oracle: f(I) = 1 / (t_ref + tau ln((RI + E_L - V_r) / (RI + E_L - theta))) (Dayan & Abbott 2001,
    # eq. 5.11 plus refractoriness). Spikes align to the 0.1 ms grid: each interval may be up to one step
    # longer, so |1/rate - T| <= dt over the whole sweep; below rheobase both are 0.
    model = LIFCurrent()
    currents = np.linspace(0, 5, 40) * nA
    result = fi_curve(model, currents, duration=1 * second, dt=0.1 * ms, t_transient=0 * ms,
                      relative_tolerance=1e-4)
    expected = np.asarray(lif_firing_rate(model, currents) * second)
    measured = np.asarray(result.rates * second)
    assert np.array_equal(measured > 0, expected > 0)
    on = expected > 0
    assert np.all(np.abs(1 / measured[on] - 1 / expected[on]) <= 1e-4 + 1e-12)
    # Analytic rheobase (theta - E_L) / R = 1.5 nA: the bracket contains it.
    assert float(result.rheobase.low / nA) <= 1.5 <= float(result.rheobase.high / nA) + 1e-9
    assert float(result.rheobase.high / nA) == pytest.approx(1.5, rel=1e-3)
    assert result.onset_type == "I"


def test_parallel_bisection_brackets_lif_rheobase_with_few_runs():
    # Oracle: the analytic LIF rheobase 1.5 nA. From [1, 2] nA with 15 neurons per round, a relative
    # bracket of 1e-3 needs ceil(log(1 / 1.5e-3) / log 16) = 3 rounds.
    with ConstantCurrentBatch(LIFCurrent(), 15, 300 * ms, 0.1 * ms) as batch:
        result = find_rheobase(batch, 1 * nA, 2 * nA, t_transient=0 * ms, relative_tolerance=1e-3)
    assert float(result.low / nA) <= 1.5 < float(result.high / nA)  # exactly 1.5 nA never reaches threshold
    assert float((result.high - result.low) / result.high) <= 1e-3
    assert result.n_runs <= 3


def test_classify_onset():
    assert classify_onset(50 / second, 75 / second) == "II"
    assert classify_onset(10 / second, 110 / second) == "I"
    assert classify_onset(0 / second, 0 / second) == "none"


def test_hodgkin_huxley_jumps_to_a_finite_rate_at_onset():
    # Classic HH (Hodgkin & Huxley 1952) is type II: the onset of repetitive firing for steps from rest lies
    # near 6.2-6.3 uA/cm**2 (Rinzel & Ermentrout 1998) and firing starts at a finite rate (~50 Hz at
    # 6.3 degC). Oracle: 3 and 6.0 uA/cm**2 give no repetitive firing, 6.6 uA/cm**2 (5 % above onset)
    # already fires above 40 Hz, where a continuous (type I) onset would fire near 0 Hz. One 150 ms run.
    currents = np.array([3.0, 6.0, 6.6]) * uA / cm**2
    with ConstantCurrentBatch(HodgkinHuxley(), 3, 150 * ms, 0.01 * ms) as batch:
        indices, times = batch.run(currents)
    rates = np.asarray(steady_rates(indices, times, 3, 50 * ms) * second)
    assert rates[0] == 0 and rates[1] == 0
    assert rates[2] > 40


@pytest.mark.long
def test_hodgkin_huxley_type_ii_onset_full_curve():
    # As above, through the whole protocol: sweep, parallel bisection, classification.
    currents = np.array([2.0, 4.0, 8.0, 12.0, 16.0]) * uA / cm**2
    result = fi_curve(HodgkinHuxley(), currents, duration=300 * ms, t_transient=100 * ms,
                      relative_tolerance=1e-2, n_parallel=8)
    rates = np.asarray(result.rates * second)
    assert rates[0] == 0 and rates[1] == 0
    assert np.all(rates[2:] > 40)
    assert 5.8 <= float(result.rheobase.high / (uA / cm**2)) <= 6.8
    assert float(result.rheobase.onset_rate * second) > 30
    assert result.onset_type == "II"


def test_runnable_fi_curve_lif():
    runnable = get_runnable("fi-curve")
    params = resolve_parameters(runnable.parameters, assignments=[
        "neuron=lif", "n_currents=12", "duration=300 ms", "transient=0 ms", "max_current=4 nA"])
    record = runnable.execute(params, RunContext(seed=0, progress=False))
    assert record.spikes["neuron"].n_neurons == 12
    assert record.metrics["onset_type"] == "I"
    assert record.metrics["rheobase_SI"] == pytest.approx(1.5e-9, rel=2e-3)
    assert "fi_curve" in runnable.figures(record)


@pytest.mark.standalone
def test_standalone_batch_reuses_one_build_and_matches_runtime(tmp_path):
    # Second formulation: the compiled C++ program (I_ext set through run_args, built once) gives the same
    # spikes as the runtime device for a LIF sweep; two runs with different currents share one build.
    model = LIFCurrent()
    first = np.linspace(1.0, 4.0, 8) * nA
    second_set = np.linspace(2.0, 5.0, 8) * nA
    with ConstantCurrentBatch(model, 8, 200 * ms, 0.1 * ms, device="standalone", cache_dir=tmp_path) as batch:
        compiled = [batch.run(first), batch.run(second_set)]
        assert batch._project.n_runs == 2
    for currents, (indices, times) in zip((first, second_set), compiled, strict=True):
        with ConstantCurrentBatch(model, 8, 200 * ms, 0.1 * ms) as runtime:
            ref_indices, ref_times = runtime.run(currents)
        assert np.array_equal(indices, ref_indices)
        assert np.allclose(np.asarray(times), np.asarray(ref_times))
