"""Diehl & Cook (2015) model pieces that need no compilation: STDP sign and size, traces, evaluation."""

import numpy as np
import pytest
from bioneuro.models.diehl_cook import DiehlCookParameters, evaluation
from bioneuro.models.diehl_cook.network import _uniform_numpy, namespace, trace_time_constant
from brian2 import ms


def _stdp_run(pre_times_ms, post_times_ms, w0=0.5):
    """Simulate one plastic synapse with the model's own STDP strings on the numpy runtime."""
    import brian2 as b2
    from bioneuro.models.diehl_cook.network import STDP_MODEL, STDP_ON_POST, STDP_ON_PRE

    p = DiehlCookParameters()
    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = p.dt
    ns = namespace(p)
    pre = b2.SpikeGeneratorGroup(1, np.zeros(len(pre_times_ms), int), np.asarray(pre_times_ms) * ms)
    steps = [int(round(t / 0.5)) for t in post_times_ms]
    post = b2.NeuronGroup(
        1,
        """ge : 1
        dpost1/dt = -post1/tau_post1_euler : 1
        dpost2/dt = -post2/tau_post2_euler : 1
        plastic : 1 (shared)""",
        threshold=" or ".join(f"timestep(t, dt) == {s}" for s in steps),
        reset="post1 = 1\npost2 = 1",
        method="euler",
        namespace=ns,
    )
    post.plastic = 1
    syn = b2.Synapses(pre, post, STDP_MODEL, on_pre=STDP_ON_PRE, on_post=STDP_ON_POST, namespace=ns)
    syn.connect()
    syn.w = w0
    syn.tarr_step = -20_000_000  # last arrival 1e4 s in the past
    syn.delay = 0 * ms
    net = b2.Network(pre, post, syn)
    net.run((max(list(pre_times_ms) + list(post_times_ms)) + 5) * ms)
    return float(syn.w[0])


def test_stdp_depression_on_presynaptic_spike_has_released_sign_and_size():
    # post at 5 ms, pre arrives at 25 ms: w -= nu_pre * post1 = 1e-4 * exp(-20/20) (released code).
    w = _stdp_run([25.0], [5.0])
    assert w == pytest.approx(0.5 - 1e-4 * np.exp(-1.0), rel=0, abs=1e-12)


def test_stdp_triplet_potentiation_needs_earlier_postsynaptic_spike():
    # pre at 25 ms, post at 5 and 30 ms: depression at 25 ms, then potentiation at 30 ms by
    # nu_post * pre * post2before = 1e-2 * exp(-5/20) * exp(-25/40).
    w = _stdp_run([25.0], [5.0, 30.0])
    expected = 0.5 - 1e-4 * np.exp(-1.0) + 1e-2 * np.exp(-5 / 20) * np.exp(-25 / 40)
    assert w == pytest.approx(expected, rel=0, abs=1e-12)
    # a single post spike after the pre spike (no earlier post spike): post2before = 0, no potentiation
    assert _stdp_run([25.0], [30.0]) == pytest.approx(0.5, abs=1e-15)


def test_euler_trace_time_constant_decays_exactly():
    dt, tau = 0.5 * ms, 20 * ms
    tau_euler = trace_time_constant(tau, dt)
    assert 1 - float(dt / tau_euler) == pytest.approx(np.exp(-0.5 / 20), rel=1e-14)


def test_hash_uniforms_are_uniform_and_key_dependent():
    index = np.arange(784)
    values = np.concatenate([_uniform_numpy(5, index, step) for step in range(200)])
    # mean of 156,800 U(0,1) draws: sd 0.00073; 5 sd tolerance
    assert values.mean() == pytest.approx(0.5, abs=0.0037)
    assert np.all((values >= 0) & (values < 1))
    assert not np.array_equal(_uniform_numpy(5, index, 3), _uniform_numpy(6, index, 3))


def test_label_assignment_and_prediction_by_hand():
    counts = np.array([[5, 0, 1], [4, 1, 0], [0, 6, 0], [1, 5, 0]])
    labels = np.array([3, 3, 7, 7])
    assigned = evaluation.assign_labels(counts, labels)
    assert assigned.tolist() == [3, 7, 3]  # third neuron: mean 0.5 for class 3, 0 for class 7
    assert evaluation.assign_labels(np.zeros((2, 2)), np.array([1, 2])).tolist() == [-1, -1]
    predictions = evaluation.predict(np.array([[9, 0, 0], [0, 9, 0], [0, 0, 0]]), assigned)
    assert predictions.tolist() == [3, 7, 9]  # silent image: ties go to the highest class (released code)
    assert evaluation.confusion_matrix(np.array([3, 7]), np.array([3, 3]))[3].tolist()[3] == 1


def test_chunk_windows_include_preceding_rest():
    # slot = 10 steps, presentation = 6 steps; spikes at steps 2 (slot 0), 7 (rest 0 -> window 1),
    # 15 (slot 1), 27 (rest of last slot -> carried)
    counts, carry = evaluation.chunk_spike_counts(
        np.array([2, 7, 15, 27]), np.array([0, 1, 1, 0]), 2, 3, 6, 10, np.array([1, 0])
    )
    assert counts.tolist() == [[2, 0], [0, 2], [0, 0]]
    assert carry.tolist() == [1, 0]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"n_neurons": 0}, "n_neurons"),
        ({"dataset": "cifar"}, "dataset"),
        ({"tau_pre": -1 * ms}, "tau_pre"),
        ({"rest_time": 5 * ms}, "rest_time"),
    ],
)
def test_parameters_reject_bad_values(change, message):
    with pytest.raises((ValueError, TypeError), match=message):
        DiehlCookParameters(**change)


def test_runaway_detector_flags_diverged_states_only():
    """Oracle: a state from initial_state() is sane; v of 1e6 V, a NaN conductance or inf weights are not."""
    from bioneuro.models.diehl_cook.network import initial_state
    from bioneuro.models.diehl_cook.training import RunawayError, check_state

    params = DiehlCookParameters(n_neurons=10)
    state = initial_state(params, np.random.default_rng(0))
    check_state(state)  # passes
    for key, value in (("exc.v", 1e6), ("inh.gi", np.nan), ("exc.ge", -2e4)):
        broken = {name: np.array(array, copy=True) for name, array in state.items()}
        broken[key][3] = value
        with pytest.raises(RunawayError, match=key.replace(".", r"\.")):
            check_state(broken)
    broken = {name: np.array(array, copy=True) for name, array in state.items()}
    broken["syn.w"][0] = np.inf
    with pytest.raises(RunawayError, match="weights"):
        check_state(broken)
    # a presentation with more than RUNAWAY_SPIKES_PER_NEURON spikes per neuron (normal: ~0.03)
    counts = np.zeros((3, 10), dtype=np.int64)
    counts[1] = 20  # 200 spikes from 10 neurons: at the limit, accepted
    check_state(state, counts)
    counts[2, 0] = 201
    with pytest.raises(RunawayError, match="evoked 201 excitatory spikes"):
        check_state(state, counts)


def test_exponential_euler_keeps_eulers_conductance_decay_and_exact_traces():
    """Oracle: analytic per-step factors. Euler: ge decays by 1 - dt/tau; exponential Euler with the
    derived time constant gives the same factor; the traces decay by exp(-dt/tau) under both."""
    from bioneuro.models.diehl_cook.network import _decay_constants, euler_factor_time_constant

    dt = 0.5 * ms
    for tau in (1 * ms, 2 * ms, 20 * ms):
        tau_eff = euler_factor_time_constant(tau, dt)
        assert np.exp(-float(dt / tau_eff)) == pytest.approx(1 - float(dt / tau), rel=1e-12)
    euler = _decay_constants(DiehlCookParameters())
    exponential = _decay_constants(DiehlCookParameters(membrane_integration="exponential_euler"))
    assert 1 - float(dt / euler["tau_ge"]) == pytest.approx(np.exp(-float(dt / exponential["tau_ge"])))
    assert 1 - float(dt / euler["tau_gi"]) == pytest.approx(np.exp(-float(dt / exponential["tau_gi"])))
    for name, tau in (("tau_post1_euler", 20 * ms), ("tau_post2_euler", 40 * ms)):
        assert 1 - float(dt / euler[name]) == pytest.approx(np.exp(-float(dt / tau)), rel=1e-12)
        assert exponential[name] == tau
    with pytest.raises(ValueError, match="membrane_integration"):
        DiehlCookParameters(membrane_integration="rk4")


def test_exponential_euler_membrane_step_cannot_overshoot():
    """Oracle: the exact solution of dv/dt = (E_eq - v)(1 + g)/tau stays between v and E_eq, while forward
    Euler overshoots once g*dt/tau > 2 (the run-away of the released integration under strong inhibition)."""
    import brian2 as b2

    b2.start_scope()
    g_inh = 1000.0  # summed inhibitory conductance (dimensionless, as in the model)
    eqs = "dv/dt = ((-65*mV - v) + gi*(-100*mV - v))/(100*ms) : volt\ngi : 1"
    results = {}
    for method in ("euler", "exponential_euler"):
        group = b2.NeuronGroup(1, eqs, method=method, dt=0.5 * ms)
        group.v = -50 * b2.mV
        group.gi = g_inh
        b2.Network(group).run(0.5 * ms)
        results[method] = float(group.v[0])
    equilibrium = (-0.065 + g_inh * -0.100) / (1 + g_inh)
    assert equilibrium <= results["exponential_euler"] <= -0.050
    # forward Euler: v + dt/tau*((E_L - v) + g*(E_I - v)) = -50 mV + 0.005*(-15 - 50000) mV, far beyond E_I
    assert results["euler"] == pytest.approx(-0.300075, rel=1e-9)
    assert results["euler"] < -0.100
