"""Settable parameters change a compiled C++ standalone program without rebuilding it.

One build (a 6-neuron LIF group), two runs with different per-neuron ``tau_m`` and ``I_ext`` passed as
``run_args``; each run is checked against the analytic LIF F-I formula.
"""

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms, nA

from bioneuro.neurons import LIFCurrent, lif_firing_rate, make_neurons
from bioneuro.runner import StandaloneProject, default_cache_dir, structure_key

pytestmark = pytest.mark.standalone

DT = 0.05 * ms
DURATION = 300 * ms


def _check_intervals(model, currents, taus, spike_indices, spike_times):
    # Oracle: f(I) = 1 / (t_ref + tau ln((RI + E_L - V_r) / (RI + E_L - theta))), one dt per interval.
    for index, (current, tau) in enumerate(zip(currents, taus, strict=True)):
        times = np.sort(spike_times[spike_indices == index])
        neuron = LIFCurrent(membrane_time_constant=tau)
        expected = lif_firing_rate(neuron, current)
        if expected == 0:
            assert len(times) == 0
            continue
        intervals = np.diff(times / ms)
        assert len(intervals) >= 2
        assert np.all(np.abs(intervals - float(1 / expected / ms)) <= float(DT / ms) + 1e-9)


def test_run_args_change_settable_parameters_without_rebuild():
    model = LIFCurrent()
    key = structure_key("test-neurons-settable", {"model": model, "n": 6})
    first_currents = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) * nA
    first_taus = np.full(6, 10.0) * ms
    second_currents = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.6]) * nA
    second_taus = np.array([5.0, 8.0, 12.0, 15.0, 20.0, 30.0]) * ms
    results = []
    with StandaloneProject(key, default_cache_dir()) as project:
        group = make_neurons(model, 6, settable=["tau_m"], per_neuron={"I_ext": 0 * nA}, dt=DT)
        spikes = b2.SpikeMonitor(group)
        b2.Network(group, spikes).run(DURATION)
        project.build()
        for currents, taus in ((first_currents, first_taus), (second_currents, second_taus)):
            project.run({group.I_ext: currents, group.tau_m: taus})
            results.append((np.asarray(spikes.i[:]), spikes.t[:]))
    assert project.n_runs == 2
    _check_intervals(model, first_currents, first_taus, *results[0])
    _check_intervals(model, second_currents, second_taus, *results[1])
