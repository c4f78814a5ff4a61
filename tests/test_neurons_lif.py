"""LIF models against analytic solutions."""

import brian2 as b2
import numpy as np
from brian2 import ms, mV, nA, nS, pA, second

from bioneuro.neurons import (
    AdaptiveThresholdLIF,
    LIFConductance,
    LIFCurrent,
    lif_firing_rate,
    make_neurons,
)


def _spike_trains(group, duration):
    monitor = b2.SpikeMonitor(group)
    b2.Network(group, monitor).run(duration)
    return monitor.spike_trains()


def test_lif_fi_curve_matches_analytic_formula():
    # Oracle: f(I) = 1 / (t_ref + tau ln((RI + E_L - V_r) / (RI + E_L - theta))) (Dayan & Abbott 2001,
    # eq. 5.11 plus refractoriness); on a grid each interval may be off by at most one dt.
    model = LIFCurrent()
    dt = 0.05 * ms
    currents = np.array([0.5, 1.4, 1.55, 1.8, 2.5, 3.5, 5.0, 8.0]) * nA  # rheobase is 1.5 nA
    group = make_neurons(model, len(currents), per_neuron={"I_ext": currents}, dt=dt)
    trains = _spike_trains(group, 400 * ms)
    expected = lif_firing_rate(model, currents)
    for index, current in enumerate(currents):
        times = trains[index]
        if expected[index] == 0:
            assert len(times) == 0, f"{current} is below rheobase but the neuron fired"
            continue
        intervals = np.diff(times / ms)
        assert len(intervals) >= 2
        analytic_interval = float(1 / expected[index] / ms)
        assert np.all(np.abs(intervals - analytic_interval) <= float(dt / ms) + 1e-9), (
            current,
            intervals,
            analytic_interval,
        )
        # First spike from rest: t1 = tau ln(RI / (RI + E_L - theta)) (no refractory period yet).
        drive = model.membrane_resistance * current
        first = model.membrane_time_constant * np.log(
            drive / (drive + model.resting_potential - model.threshold_potential)
        )
        assert abs(float((times[0] - first) / ms)) <= float(dt / ms) + 1e-9


def test_lif_synaptic_currents_give_analytic_psp():
    # Oracle: with v(0) = E_L and I_syn(0) = I0, v - E_L = R I0 tau_s / (tau_s - tau_m)
    # (exp(-t/tau_s) - exp(-t/tau_m)), or R I0 (t/tau) exp(-t/tau) when tau_s = tau_m (the default
    # inhibitory case); excitation depolarises, inhibition hyperpolarises.
    model = LIFCurrent()
    dt = 0.01 * ms
    group = make_neurons(model, 2, dt=dt)
    group.I_syn_exc = [0.5, 0] * nA
    group.I_syn_inh = [0, 0.5] * nA
    monitor = b2.StateMonitor(group, "v", record=True, dt=dt)
    b2.Network(group, monitor).run(40 * ms)
    t = monitor.t
    results = {}
    for index, name in enumerate(("exc", "inh")):
        tau_s = getattr(model, f"synaptic_time_constant_{name}")
        tau_m = model.membrane_time_constant
        if tau_s == tau_m:  # the default inhibitory case: an alpha function
            psp = model.membrane_resistance * 0.5 * nA * (t / tau_m) * np.exp(-t / tau_m)
        else:
            psp = (
                model.membrane_resistance * 0.5 * nA * tau_s / (tau_s - tau_m)
                * (np.exp(-t / tau_s) - np.exp(-t / tau_m))
            )
        results[name] = (monitor.v[index] - model.resting_potential, psp)
    deviation, psp = results["exc"]
    # exponential Euler holds I_syn constant within a step: O(dt / tau_s) relative error
    assert np.max(np.abs(deviation - psp)) < 0.01 * np.max(psp)
    deviation, psp = results["inh"]
    assert np.max(np.abs(deviation + psp)) < 0.01 * np.max(psp)


def test_conductance_lif_relaxes_to_conductance_weighted_mean():
    # Oracle: with a constant conductance g_e (decay switched off), v relaxes exponentially to
    # v_inf = (g_L E_L + g_e E_e) / (g_L + g_e) with time constant tau_m g_L / (g_L + g_e).
    model = LIFConductance(threshold_potential=100 * mV)  # never fires
    dt = 0.1 * ms
    g_exc = np.array([0.0, 2.0, 5.0]) * nS
    group = make_neurons(model, 3, per_neuron={"tau_exc": 1e9 * second}, dt=dt)
    group.g_exc = g_exc
    monitor = b2.StateMonitor(group, "v", record=True, dt=dt)
    b2.Network(group, monitor).run(60 * ms)
    g_l, e_l, e_e = model.leak_conductance, model.resting_potential, model.excitatory_reversal_potential
    for index, g_e in enumerate(g_exc):
        v_inf = (g_l * e_l + g_e * e_e) / (g_l + g_e)
        tau = model.membrane_time_constant * g_l / (g_l + g_e)
        expected = v_inf + (e_l - v_inf) * np.exp(-monitor.t / tau)
        assert np.max(np.abs(monitor.v[index] - expected)) < 1e-3 * mV


def test_adaptive_threshold_rises_by_increment_per_spike():
    # Oracle: theta(T) = theta0 exp(-T/tau) + dtheta sum_k exp(-(T - t_k - dt)/tau) (each increment is
    # applied to the state at the end of the spike's step), for tau_theta = 1e7 ms (Diehl & Cook) and
    # for a short tau_theta = 50 ms; the frozen neuron keeps theta0 exactly while still firing.
    model = AdaptiveThresholdLIF()
    dt = 0.1 * ms
    duration = 1000 * ms
    currents = np.array([20, 40, 60, 40, 40]) * pA
    tau_theta = np.array([1e7, 1e7, 1e7, 50, 1e7]) * ms
    group = make_neurons(
        model,
        5,
        per_neuron={"I_ext": currents, "tau_theta": tau_theta},
        settable=["theta_plastic"],
        dt=dt,
    )
    group.theta_plastic = [1, 1, 1, 1, 0]
    trains = _spike_trains(group, duration)
    theta0, increment = model.initial_theta, model.theta_increment
    for index in range(5):
        times = trains[index]
        assert len(times) >= 3, f"neuron {index} fired only {len(times)} spikes"
        if index == 4:
            assert group.theta[index] == theta0
            continue
        tau = tau_theta[index]
        expected = theta0 * np.exp(-duration / tau) + increment * np.sum(
            np.exp(-(duration - times - dt) / tau)
        )
        assert abs(float((group.theta[index] - expected) / mV)) < 1e-6, index
    # more drive, more spikes, higher threshold
    counts = [len(trains[i]) for i in range(3)]
    assert counts[0] < counts[1] < counts[2]
    assert group.theta[0] < group.theta[1] < group.theta[2]
