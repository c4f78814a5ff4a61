"""Current-clamp protocol: feature extraction against hand-built traces, HH spike shape against
Hodgkin & Huxley (1952), LIF spike-train features against the analytic LIF, run record and CLI parameters."""

import numpy as np
import pytest
from bioneuro.protocols.current_clamp import CurrentClampParameters, current_clamp, make_stimulus
from bioneuro.protocols.features import action_potential_features, spike_train_features
from brian2 import Mohm, cm, ms, mV, nA, second, uA

from bioneuro.config import resolve_parameters
from bioneuro.encoders.waveforms import step_current
from bioneuro.neurons import HodgkinHuxley, LIFCurrent
from bioneuro.neurons.lif import lif_firing_rate
from bioneuro.registry import get_runnable
from bioneuro.runner import RunContext


def _triangle_spike():
    """Rest -60 mV, linear rise to +40 mV in 1 ms, fall to -80 mV in 2 ms, recovery to -60 mV in 5 ms."""
    dt = 0.01
    knots_t = [0, 5, 6, 8, 13, 20]
    knots_v = [-60, -60, 40, -80, -60, -60]
    t = np.arange(0, 20, dt)
    return t * ms, np.interp(t, knots_t, knots_v) * mV


def test_features_of_a_triangular_spike():
    # Oracle: geometry. Threshold at the corner (-60 mV), peak +40 mV, AHP -80 mV; half level -10 mV is
    # crossed 0.5 ms after the corner and 2 ms * 50/120 after the peak.
    t, v = _triangle_spike()
    features = action_potential_features(t, v, [5.6] * ms)
    assert float(features.threshold[0] / mV) == pytest.approx(-60, abs=1.5)
    assert float(features.peak[0] / mV) == pytest.approx(40, abs=1e-9)
    assert float(features.ahp[0] / mV) == pytest.approx(-80, abs=1e-9)
    assert float(features.half_width[0] / ms) == pytest.approx(0.5 + 2 * 50 / 120, abs=0.03)


def test_spike_train_features_closed_form():
    # ISIs 10, 20, 40 ms: adaptation index = mean(10/30, 20/60) = 1/3; latency 5 ms; 4 spikes in 100 ms.
    spikes = np.array([15, 25, 45, 85]) * ms
    features = spike_train_features(spikes, 10 * ms, 110 * ms)
    assert features.n_spikes == 4
    assert float(features.rate * second) == pytest.approx(40)
    assert float(features.latency / ms) == pytest.approx(5)
    assert features.adaptation_index == pytest.approx(1 / 3)


def test_hodgkin_huxley_pulse_peak_and_ahp():
    # Hodgkin & Huxley (1952) squid axon, modern convention: a 1 ms, 20 uA/cm**2 pulse from rest gives an
    # action potential peaking near +40 mV with an after-hyperpolarisation near -76 mV (REFERENCES.md).
    # Tolerance 2 mV.
    pulse = step_current(20 * uA / cm**2, 5 * ms, 6 * ms, 40 * ms, 0.01 * ms)
    result = current_clamp(HodgkinHuxley(), pulse, t_start=5 * ms, t_stop=6 * ms)
    assert len(result.spike_times) == 1
    assert float(result.action_potentials.peak[0] / mV) == pytest.approx(40, abs=2)
    assert float(result.action_potentials.ahp[0] / mV) == pytest.approx(-76, abs=2)
    assert 0.5 < float(result.action_potentials.half_width[0] / ms) < 3


def test_lif_step_rate_matches_analytic_formula():
    # Oracle: f(I) = 1 / (t_ref + tau ln((RI + E_L - V_r) / (RI + E_L - theta))) (Dayan & Abbott 2001);
    # on a 0.1 ms grid each interspike interval may be one step longer.
    model = LIFCurrent()
    current = 2.5 * nA
    step = step_current(current, 0 * ms, 500 * ms, 500 * ms, 0.1 * ms)
    result = current_clamp(model, step, t_start=0 * ms, t_stop=500 * ms)
    isi = np.diff(np.asarray(result.spike_times / second))
    expected_period = 1 / float(lif_firing_rate(model, current) * second)
    assert np.all(np.abs(isi - expected_period) <= 1e-4 + 1e-9)
    assert result.train.adaptation_index == pytest.approx(0, abs=0.01)
    # integrate-and-fire models have no upstroke: threshold undefined, peak just below threshold
    assert np.all(np.isnan(np.asarray(result.action_potentials.threshold)))
    assert float(result.action_potentials.peak[0] / mV) == pytest.approx(-50, abs=1.0)
    assert float(model.membrane_resistance / Mohm) == 10


def test_parameters_from_command_line_strings():
    params = resolve_parameters(
        CurrentClampParameters, assignments=["neuron=lif", "amplitude=3 nA", "stimulus=ramp", "duration=200 ms",
                                             "t_stop=150 ms"]
    )
    assert isinstance(params.neuron, LIFCurrent)
    assert float(params.current / nA) == pytest.approx(3)
    waveform = make_stimulus(params, seed=0)
    assert float(waveform.values[-1] / nA) == 0 and float(np.max(waveform.values) / nA) == pytest.approx(3, rel=1e-2)
    with pytest.raises(TypeError):
        CurrentClampParameters(neuron=LIFCurrent(), amplitude=3 * uA / cm**2)
    with pytest.raises(ValueError):
        CurrentClampParameters(stimulus="sine")


def test_noise_stimulus_is_seeded_and_confined_to_window():
    params = CurrentClampParameters(neuron=LIFCurrent(), stimulus="noise", amplitude=2 * nA)
    a, b = make_stimulus(params, seed=3), make_stimulus(params, seed=3)
    assert np.array_equal(np.asarray(a.values), np.asarray(b.values))
    values = np.asarray(a.values / nA)
    assert np.all(values[: int(50 / 0.1)] == 0) and np.all(values[int(250 / 0.1):] == 0)
    assert np.mean(values[500:2500]) == pytest.approx(2, abs=0.3)


def test_runnable_record_and_figure():
    runnable = get_runnable("current-clamp")
    assert runnable.kind == "protocol"
    params = resolve_parameters(runnable.parameters, assignments=["duration=120 ms", "t_stop=100 ms"])
    assert isinstance(params.neuron, HodgkinHuxley)
    record = runnable.execute(params, RunContext(seed=0, progress=False))
    assert record.spikes["neuron"].n_neurons == 1
    trace = record.states["neuron"]["v"]
    assert trace.values.shape == (len(trace.times), 1)
    # 10 uA/cm**2 is above the HH onset of repetitive firing (about 6.2 uA/cm**2): several spikes, peaks > 0 mV
    assert record.metrics["n_spikes"] >= 3
    assert record.metrics["first_spike_peak_mV"] > 20
    figures = runnable.figures(record)
    assert "voltage_trace" in figures
