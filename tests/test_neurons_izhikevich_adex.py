"""Izhikevich presets and AdEx: firing-pattern classes and adaptation."""

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms, nA, nS

from bioneuro.neurons import IZHIKEVICH_PRESETS, AdEx, Izhikevich, make_neurons

DT = 0.1 * ms
PRESETS = ("RS", "IB", "CH", "FS", "LTS")


@pytest.fixture(scope="module")
def izhikevich_intervals():
    """ISIs (ms) of the five presets of Izhikevich (2003) Fig. 2 at I = 10 for 300 ms, in one group
    (per-neuron a, b, c, d), plus the RS cell built from its preset's namespace constants."""
    models = [Izhikevich.preset(name) for name in PRESETS]
    per_neuron = {
        "a": b2.Quantity([m.a for m in models]),
        "b": np.array([m.b for m in models]),
        "c": b2.Quantity([m.c for m in models]),
        "d": b2.Quantity([m.d for m in models]),
        "I_ext": 10 * nA,
    }
    group = make_neurons(Izhikevich(), len(models), per_neuron=per_neuron, dt=DT)
    reference = make_neurons(Izhikevich.preset("RS"), 1, per_neuron={"I_ext": 10 * nA}, dt=DT)
    spikes, reference_spikes = b2.SpikeMonitor(group), b2.SpikeMonitor(reference)
    b2.Network(group, reference, spikes, reference_spikes).run(300 * ms)
    trains = spikes.spike_trains()
    intervals = {name: np.diff(trains[i] / ms) for i, name in enumerate(PRESETS)}
    return intervals, trains[0] / ms, reference_spikes.spike_trains()[0] / ms


def test_per_neuron_parameters_equal_namespace_constants(izhikevich_intervals):
    # Oracle: a second formulation; the RS row of the per-neuron group and an RS group with its
    # parameters as namespace constants produce the same spikes.
    _, per_neuron_times, reference_times = izhikevich_intervals
    assert len(reference_times) > 3
    np.testing.assert_allclose(per_neuron_times, reference_times)


def test_presets_match_published_parameters():
    # Oracle: Izhikevich (2003), Fig. 2 caption.
    assert IZHIKEVICH_PRESETS["RS"] == (0.02, 0.2, -65.0, 8.0)
    assert IZHIKEVICH_PRESETS["IB"] == (0.02, 0.2, -55.0, 4.0)
    assert IZHIKEVICH_PRESETS["CH"] == (0.02, 0.2, -50.0, 2.0)
    assert IZHIKEVICH_PRESETS["FS"] == (0.1, 0.2, -65.0, 2.0)
    assert IZHIKEVICH_PRESETS["LTS"] == (0.02, 0.25, -65.0, 2.0)


def test_regular_spiking_adapts_without_bursts(izhikevich_intervals):
    # Oracle (Izhikevich 2003, Fig. 2 RS): tonic spikes with spike-frequency adaptation, no bursts.
    isi = izhikevich_intervals[0]["RS"]
    assert len(isi) >= 4
    assert isi[-1] > 1.5 * isi[0]
    assert np.all(isi > 10)
    assert 1000 / isi[-1] < 40  # Hz: slow regular firing


def test_fast_spiking_fires_fast_and_settles_quickly(izhikevich_intervals):
    # Oracle (Fig. 2 FS): periodic trains at high frequency with practically no adaptation: the
    # rate settles within a few spikes and stays several times the RS rate.
    intervals = izhikevich_intervals[0]
    fs, rs = intervals["FS"], intervals["RS"]
    assert 1000 / fs[-1] > 100
    assert 1000 / fs[-1] > 3 * 1000 / rs[-1]
    steady = fs[3:]
    assert np.ptp(steady) < 0.05 * np.mean(steady)


def test_intrinsically_bursting_starts_with_a_burst(izhikevich_intervals):
    # Oracle (Fig. 2 IB): a stereotyped burst at onset, then repetitive single spikes.
    isi = izhikevich_intervals[0]["IB"]
    assert np.all(isi[:2] < 6)  # a burst of >= 3 spikes
    assert np.all(isi[2:] > 20)  # then tonic single spikes
    assert len(isi) >= 6


def test_chattering_fires_repeated_bursts(izhikevich_intervals):
    # Oracle (Fig. 2 CH): repetitive bursts of closely spaced spikes: ISIs are bimodal (short within,
    # long between bursts), with several bursts in 300 ms.
    isi = izhikevich_intervals[0]["CH"]
    short, long_ = isi < 8, isi > 30
    assert np.all(short | long_)
    assert long_.sum() >= 3
    bursts = np.split(isi, np.flatnonzero(long_))
    assert all(np.sum(burst < 8) >= 2 for burst in bursts[1:-1])  # >= 3 spikes per burst


def test_low_threshold_spiking_adapts_from_high_frequency(izhikevich_intervals):
    # Oracle (Fig. 2 LTS): high-frequency trains with pronounced adaptation.
    isi = izhikevich_intervals[0]["LTS"]
    assert 1000 / isi[0] > 200
    assert isi[-1] > 2.5 * isi[0]
    assert np.all(np.diff(isi[:6]) > 0)


def test_adex_adapts_and_non_adapting_control_does_not():
    # Oracle (Brette & Gerstner 2005): with a = 4 nS, b = 0.0805 nA the ISIs lengthen monotonically
    # during a current step; the same cell with a = b = 0 (second formulation: no adaptation
    # current) fires at a constant rate (ISIs equal within one dt).
    group = make_neurons(
        AdEx(),
        2,
        per_neuron={"I_ext": 1 * nA, "a": [4, 0] * nS, "b": [0.0805, 0] * nA},
        dt=DT,
    )
    spikes = b2.SpikeMonitor(group)
    b2.Network(group, spikes).run(400 * ms)
    trains = spikes.spike_trains()
    adapting, control = np.diff(trains[0] / ms), np.diff(trains[1] / ms)
    assert len(adapting) >= 4
    assert adapting[-1] > 2 * adapting[0]
    assert np.all(np.diff(adapting) > -float(DT / ms))
    assert np.ptp(control) <= float(DT / ms) + 1e-9
    assert len(control) > len(adapting)
