"""Diehl & Cook (2015) model pieces that need no compilation: STDP sign and size, traces, evaluation."""

import dataclasses

import numpy as np
import pytest
from bioneuro.models.diehl_cook import DiehlCookParameters, evaluation
from bioneuro.models.diehl_cook.network import _uniform_numpy, namespace, trace_time_constant
from brian2 import ms


def _history_input(b2, n, emitting, ns):
    """Input neurons firing where ``emitting`` (an expression) holds, with the model's emission history
    (last emission 1e4 s in the past)."""
    from bioneuro.models.diehl_cook.network import HISTORY_EQS, HISTORY_RESET

    group = b2.NeuronGroup(n, HISTORY_EQS + f"emitting = {emitting} : boolean", threshold="emitting",
                           reset=HISTORY_RESET, namespace=ns)
    group.hbits = 0
    group.hstep = group.hold = -20_000_000
    return group


def _trace_neurons(b2, n, threshold, integration, ns):
    """Postsynaptic neurons with the model's two STDP traces (integrated as the model integrates them),
    firing where ``threshold`` holds."""
    group = b2.NeuronGroup(
        n,
        """ge : 1
        dpost1/dt = -post1/tau_post1_euler : 1
        dpost2/dt = -post2/tau_post2_euler : 1
        plastic : 1 (shared)""",
        threshold=threshold, reset="post1 = 1\npost2 = 1", method=integration, namespace=ns,
    )
    group.plastic = 1
    return group


def _stdp_run(pre_times_ms, post_times_ms, w0=0.5, integration="exponential_euler"):
    """Simulate one plastic synapse with the model's own STDP strings and input emission history on the numpy
    runtime (the traces integrated as the model integrates them with ``membrane_integration=integration``)."""
    import brian2 as b2
    from bioneuro.models.diehl_cook.network import STDP_MODEL, STDP_ON_POST, STDP_ON_PRE

    p = DiehlCookParameters(membrane_integration=integration)
    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = p.dt
    ns = namespace(p)

    def fires_at(times_ms):
        return " or ".join(f"timestep(t, dt) == {int(round(t / 0.5))}" for t in times_ms)

    pre = _history_input(b2, 1, fires_at(pre_times_ms), ns)
    post = _trace_neurons(b2, 1, fires_at(post_times_ms), integration, ns)
    syn = b2.Synapses(pre, post, STDP_MODEL, on_pre=STDP_ON_PRE, on_post=STDP_ON_POST, namespace=ns)
    syn.connect()
    syn.w = w0
    syn.delay = 0 * ms
    syn.delay_step = 0
    net = b2.Network(pre, post, syn)
    net.run((max(list(pre_times_ms) + list(post_times_ms)) + 5) * ms)
    return float(syn.w[0])


INTEGRATIONS = pytest.mark.parametrize("integration", ["exponential_euler", "euler"])


@INTEGRATIONS
def test_stdp_depression_on_presynaptic_spike_has_released_sign_and_size(integration):
    # post at 5 ms, pre arrives at 25 ms: w -= nu_pre * post1 = 1e-4 * exp(-20/20) (released code).
    w = _stdp_run([25.0], [5.0], integration=integration)
    assert w == pytest.approx(0.5 - 1e-4 * np.exp(-1.0), rel=0, abs=1e-12)


@INTEGRATIONS
def test_stdp_triplet_potentiation_needs_earlier_postsynaptic_spike(integration):
    # pre at 25 ms, post at 5 and 30 ms: depression at 25 ms, then potentiation at 30 ms by
    # nu_post * pre * post2before = 1e-2 * exp(-5/20) * exp(-25/40).
    w = _stdp_run([25.0], [5.0, 30.0], integration=integration)
    expected = 0.5 - 1e-4 * np.exp(-1.0) + 1e-2 * np.exp(-5 / 20) * np.exp(-25 / 40)
    assert w == pytest.approx(expected, rel=0, abs=1e-12)
    # a single post spike after the pre spike (no earlier post spike): post2before = 0, no potentiation
    assert _stdp_run([25.0], [30.0], integration=integration) == pytest.approx(0.5, abs=1e-15)


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


@pytest.mark.parametrize(
    "n_neurons, expected_uV", [(25, 3.125), (100, 12.5), (399, 49.875), (400, 50.0), (1600, 50.0), (6400, 50.0)]
)
def test_scaled_theta_plus_follows_the_size_rule(n_neurons, expected_uV):
    """Oracle: the rule of deviation 10 worked by hand, 0.05 mV * min(1, n/400); the default is the released
    0.05 mV at every size."""
    from bioneuro.config import resolve_parameters

    assert float(DiehlCookParameters(n_neurons=n_neurons).theta_increment) == pytest.approx(5e-5, rel=1e-12)
    scaled = resolve_parameters(DiehlCookParameters, assignments=[f"n_neurons={n_neurons}", "theta_plus=scaled"])
    assert scaled.theta_plus is None
    assert float(scaled.theta_increment) == pytest.approx(expected_uV * 1e-6, rel=1e-12)


def test_scaled_theta_plus_follows_later_size_changes_and_shares_the_build_of_its_value():
    from bioneuro.models.diehl_cook.network import structure_of

    from bioneuro.config import resolve_parameters

    scaled = resolve_parameters(DiehlCookParameters, assignments=["n_neurons=100", "theta_plus=scaled"])
    assert float(dataclasses.replace(scaled, n_neurons=400).theta_increment) == pytest.approx(5e-5, rel=1e-12)
    explicit = resolve_parameters(scaled, assignments=["theta_plus=0.05 mV"])
    assert float(explicit.theta_increment) == pytest.approx(5e-5, rel=1e-12)
    # the rule and the same value written out compile to one build (the key holds the value in effect)
    written = resolve_parameters(DiehlCookParameters, assignments=["n_neurons=100", "theta_plus=12.5 uV"])
    assert structure_of(scaled) == structure_of(written)
    assert structure_of(scaled) != structure_of(explicit)
    # and the generated code receives the value in effect
    assert float(namespace(scaled)["theta_plus"]) == pytest.approx(12.5e-6, rel=1e-12)


@pytest.mark.parametrize("value, error, message", [("3 ms", TypeError, "voltage"), ("0.05", TypeError, "voltage"),
                                                   ("-1 uV", ValueError, ">= 0"), ("auto", ValueError, "scaled")])
def test_theta_plus_rejects_what_is_neither_a_voltage_nor_scaled(value, error, message):
    from bioneuro.config import resolve_parameters

    with pytest.raises(error, match=message):
        resolve_parameters(DiehlCookParameters, assignments=[f"theta_plus={value}"])


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
    euler = _decay_constants(DiehlCookParameters(membrane_integration="euler"))
    exponential = _decay_constants(DiehlCookParameters(membrane_integration="exponential_euler"))
    assert 1 - float(dt / euler["tau_ge"]) == pytest.approx(np.exp(-float(dt / exponential["tau_ge"])))
    assert 1 - float(dt / euler["tau_gi"]) == pytest.approx(np.exp(-float(dt / exponential["tau_gi"])))
    for name, tau in (("tau_post1_euler", 20 * ms), ("tau_post2_euler", 40 * ms)):
        assert 1 - float(dt / euler[name]) == pytest.approx(np.exp(-float(dt / tau)), rel=1e-12)
        assert exponential[name] == tau
    with pytest.raises(ValueError, match="membrane_integration"):
        DiehlCookParameters(membrane_integration="rk4")


def _refractory_membrane(separate_hold: bool) -> np.ndarray:
    """Excitatory v (mV) of the model's equations under exponential Euler, driven by conductance kicks and
    threshold crossings, with the refractory hold either Brian2's ``(unless refractory)`` or the model's
    separate select after the update (``HOLD_CODE``)."""
    import brian2 as b2
    from bioneuro.models.diehl_cook.network import EXC_EQS, EXC_RESET, EXC_THRESHOLD, HOLD_CODE

    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    p = DiehlCookParameters()
    b2.defaultclock.dt = p.dt
    eqs = EXC_EQS.replace(" (unless refractory)", "") if separate_hold else EXC_EQS
    group = b2.NeuronGroup(
        3, eqs, threshold=EXC_THRESHOLD, reset=EXC_RESET, refractory=p.refractory_exc,
        method="exponential_euler", namespace=namespace(p),
    )
    if separate_hold:
        group.run_regularly(HOLD_CODE.format(reset="v_reset_e"), when="groups", order=1)
    group.theta = 20 * b2.mV
    group.plastic = 1
    group.v = [-60, -52, -70] * b2.mV
    kicks = b2.NeuronGroup(1, "", threshold="timestep(t, dt) % 7 == 0", reset="")
    drive = b2.Synapses(kicks, group, on_pre="ge_post += 4*(i_post + 1)\ngi_post += 0.5")
    drive.connect()
    monitor = b2.StateMonitor(group, "v", record=True)
    b2.Network(group, kicks, drive, monitor).run(60 * ms)
    return np.asarray(monitor.v / b2.mV)


def test_separate_refractory_hold_equals_brian2_unless_refractory():
    """Oracle: Brian2's own ``(unless refractory)`` formulation of the same equations. The model integrates
    v in every step and selects the reset value while refractory (so that the exp vectorises); the values
    must be identical, spikes (and hence refractory periods) included."""
    ours = _refractory_membrane(separate_hold=True)
    brian2s = _refractory_membrane(separate_hold=False)
    assert np.array_equal(ours, brian2s)
    assert np.all(np.sum(np.isclose(ours, -65.0, atol=1e-12), axis=1) >= 10)  # every neuron held at reset


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


def _stdp_tables(seed):
    """Random pre/post spike tables (steps x neurons) and delay steps (all-to-all, connect() order)."""
    rng = np.random.default_rng(seed)
    n_pre, n_post, n_steps = 6, 3, 600
    # bursts (consecutive steps: the 32-step window fills), sparse firing and long silences (> 32 steps)
    pre_table = np.zeros((n_steps, n_pre))
    for k in range(n_pre):
        p = rng.choice([0.02, 0.1, 0.6])
        pre_table[:, k] = rng.random(n_steps) < p
        pre_table[rng.integers(100, 400):, k] *= rng.random() < 0.5  # some inputs fall silent
    post_table = (rng.random((n_steps, n_post)) < 0.05).astype(float)
    delays = rng.integers(0, 21, size=n_pre * n_post)
    delays[:3] = [0, 20, 0]
    return pre_table, post_table, delays


def _table_scope(b2, p, pre_table, post_table):
    """A fresh numpy-runtime scope at the model's dt; the model's namespace with the two spike tables."""
    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = p.dt
    ns = namespace(p)
    ns["pre_table"] = b2.TimedArray(pre_table, dt=p.dt)
    ns["post_table"] = b2.TimedArray(post_table, dt=p.dt)
    return ns


def _history_vs_arrival_store(seed):
    """Final weights of random pre/post spike trains through all-to-all synapses with random delay steps,
    (1) with the model's emission-history strings, (2) with an arrival step stored per synapse at every
    arrival (the formulation the history replaces). Numpy runtime: both do the same float arithmetic."""
    import brian2 as b2
    from bioneuro.models.diehl_cook.network import STDP_MODEL, STDP_ON_POST, STDP_ON_PRE

    pre_table, post_table, delays = _stdp_tables(seed)
    (n_steps, n_pre), n_post = pre_table.shape, post_table.shape[1]
    results = []
    p = DiehlCookParameters()
    reference_model = STDP_MODEL.replace("delay_step : integer (constant)", "tarr_step : integer")
    reference_pre = STDP_ON_PRE + "tarr_step = timestep(t, dt)\n"
    reference_post = (
        "w = clip(w + plastic_post*nu_post*dc_decay(timestep(t, dt) - tarr_step, dt/tau_pre)*post2_post, 0, w_max)"
    )
    for model, on_pre, on_post in ((STDP_MODEL, STDP_ON_PRE, STDP_ON_POST),
                                   (reference_model, reference_pre, reference_post)):
        ns = _table_scope(b2, p, pre_table, post_table)
        pre = _history_input(b2, n_pre, "pre_table(t, i) > 0.5", ns)
        post = _trace_neurons(b2, n_post, "post_table(t, i) > 0.5", "euler", ns)
        syn = b2.Synapses(pre, post, model, on_pre=on_pre, on_post=on_post, namespace=ns)
        syn.connect()
        syn.w = 0.5
        syn.delay = delays * p.dt
        if "tarr_step" in model:
            syn.tarr_step = -20_000_000
        else:
            syn.delay_step = delays
        b2.Network(pre, post, syn).run(n_steps * p.dt)
        results.append(np.asarray(syn.w[:]).copy())
    return results


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_emission_history_gives_the_per_synapse_arrival_trace_exactly(seed):
    history, stored = _history_vs_arrival_store(seed)
    # potentiation happened (by up to 1e-2 per pairing), depression alone moves w by < 1e-3 here
    assert np.max(history) > 0.5 + 1e-3
    np.testing.assert_array_equal(history, stored)


@pytest.mark.parametrize("seed", [1, 2])
def test_model_stdp_equals_the_library_rule(seed):
    """Oracle: ``bioneuro.synapses.DiehlCookSTDP``, the library form of the same rule (per-synapse event-driven
    pre/post1/post2 traces, Brian2's delayed ``on_pre``), on the same spike trains and delays. The model keeps
    the postsynaptic traces per neuron (exponential Euler: exact per-step factors) and recovers the presynaptic
    trace from the emission history with exp() tables, so the two differ by rounding only: weights within
    1e-12 (each of the ~100 updates per synapse rounds at ~1e-16)."""
    import brian2 as b2
    from bioneuro.models.diehl_cook.network import STDP_MODEL, STDP_ON_POST, STDP_ON_PRE

    from bioneuro.synapses import DiehlCookSTDP

    pre_table, post_table, delays = _stdp_tables(seed)
    (n_steps, n_pre), n_post = pre_table.shape, post_table.shape[1]
    p = DiehlCookParameters()  # exponential Euler: the traces decay exactly in each step
    weights = {}
    for form in ("model", "library"):
        ns = _table_scope(b2, p, pre_table, post_table)
        if form == "model":
            pre = _history_input(b2, n_pre, "pre_table(t, i) > 0.5", ns)
            post = _trace_neurons(b2, n_post, "post_table(t, i) > 0.5", "exponential_euler", ns)
            syn = b2.Synapses(pre, post, STDP_MODEL, on_pre=STDP_ON_PRE, on_post=STDP_ON_POST, namespace=ns)
        else:
            rule = DiehlCookSTDP(nu_pre=p.nu_pre, nu_post=p.nu_post, tau_pre=p.tau_pre, tau_post1=p.tau_post1,
                                 tau_post2=p.tau_post2, w_max=p.w_max).equations("ge_post += w")
            pre = b2.NeuronGroup(n_pre, "x : 1", threshold="pre_table(t, i) > 0.5", namespace=ns)
            post = b2.NeuronGroup(n_post, "ge : 1", threshold="post_table(t, i) > 0.5", namespace=ns)
            syn = b2.Synapses(pre, post, rule.model, on_pre=rule.on_pre, on_post=rule.on_post,
                              namespace=rule.namespace)
        syn.connect()
        syn.w = 0.5
        syn.delay = delays * p.dt
        if form == "model":
            syn.delay_step = delays
        b2.Network(pre, post, syn).run(n_steps * p.dt)
        weights[form] = np.asarray(syn.w[:]).copy()
        weights[form + "_ge"] = np.asarray(post.ge[:]).copy()
    assert np.max(np.abs(weights["model"] - 0.5)) > 1e-3  # potentiation and depression happened
    np.testing.assert_allclose(weights["model"], weights["library"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(weights["model_ge"], weights["library_ge"], rtol=1e-12)


def test_history_functions_find_the_latest_emission_before_a_delay():
    """The numpy history functions against a brute-force search over the emission steps themselves."""
    from bioneuro.models.diehl_cook.network import (
        _hist_bits_numpy,
        _hist_old_numpy,
        _last_emission_numpy,
    )

    rng = np.random.default_rng(0)
    for _ in range(200):
        emissions = np.sort(rng.choice(np.arange(1, 400), size=rng.integers(1, 60), replace=False))
        bits, hstep, hold = np.int32(0), np.int32(-1000), np.int32(-1000)
        for e in emissions:
            hold = _hist_old_numpy(bits, hstep, hold, e)
            bits = _hist_bits_numpy(bits, hstep, e)
            hstep = np.int32(e)
        step = int(emissions[-1]) + int(rng.integers(0, 40))
        for delay in range(0, 33):
            now = bool(rng.random() < 0.5) and step > emissions[-1]
            candidates = [e for e in emissions if e <= step - delay] + ([step] if now and delay == 0 else [])
            expected = max(candidates) if candidates else -1000
            assert int(_last_emission_numpy(bits, hstep, hold, now, step, delay)) == expected


def _compile_and_run(tmp_path, source: str, stdin: str) -> str:
    """Compile a C++ test program with the system compiler (the test is skipped without one) and return what
    it prints for ``stdin``."""
    import shutil
    import subprocess

    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler")
    (tmp_path / "test.cpp").write_text(source)
    subprocess.run([compiler, "-O2", "-o", str(tmp_path / "test"), str(tmp_path / "test.cpp")], check=True)
    return subprocess.run([str(tmp_path / "test")], input=stdin, capture_output=True, text=True, check=True).stdout


def test_history_functions_cpp_match_numpy(tmp_path):
    """The C++ history functions (what the compiled model runs) against their numpy versions."""
    from bioneuro.models.diehl_cook.network import (
        _HISTORY_CPP,
        _hist_bits_numpy,
        _hist_old_numpy,
        _last_emission_numpy,
    )

    rng = np.random.default_rng(3)
    n = 5000
    bits = rng.integers(-2**31, 2**31, size=n)
    bits[: n // 4] = 0
    hstep = rng.integers(-100, 100, size=n)
    hold = hstep - rng.integers(32, 1000, size=n)
    step = hstep + rng.integers(-1, 60, size=n)
    now = rng.random(n) < 0.3
    delay = rng.integers(0, 33, size=n)
    columns = np.stack([bits, hstep, hold, step, now, delay], axis=1)
    source = "#include <cstdint>\n#include <cstdio>\n" + _HISTORY_CPP + """
int main() {
    long long b, h, o, s, now, d;
    while (std::scanf("%lld %lld %lld %lld %lld %lld", &b, &h, &o, &s, &now, &d) == 6)
        std::printf("%d %d %d\\n", dc_hist_old(b, h, o, s), dc_hist_bits(b, h, s),
                    dc_last_emission(b, h, o, now != 0, s, d));
}
"""
    out = _compile_and_run(tmp_path, source, "\n".join(" ".join(str(int(x)) for x in row) for row in columns))
    cpp = np.loadtxt(out.splitlines(), dtype=np.int64).reshape(n, 3)
    np.testing.assert_array_equal(cpp[:, 0], _hist_old_numpy(bits, hstep, hold, step))
    np.testing.assert_array_equal(cpp[:, 1], _hist_bits_numpy(bits, hstep, step))
    np.testing.assert_array_equal(cpp[:, 2], _last_emission_numpy(bits, hstep, hold, now, step, delay))


def test_delays_longer_than_the_emission_history_are_refused():
    # 16 ms = 32 steps of 0.5 ms is the longest delay the 32-bit history covers; 16.5 ms is refused
    DiehlCookParameters(max_delay=16 * ms, rest_time=150 * ms)
    with pytest.raises(ValueError, match="at most 32"):
        DiehlCookParameters(max_delay=16.5 * ms)


def test_decay_table_is_exp_within_a_few_ulp(tmp_path):
    """exp(-k r) from the two tables (C++, what the compiled model runs, and numpy) against exp() itself."""
    from bioneuro.models.diehl_cook.network import _DECAY_CPP, _decay_numpy

    k = np.concatenate([np.arange(0, 3000), np.arange(3000, 70000, 37), [-3, -1, 10**6, 2**30]])
    r = 0.5 / 20  # dt / tau_pre
    # oracle: exp(-k r) in extended precision; in double, the argument k*r (and the table's split of it)
    # is rounded, which costs up to ~k*r*eps relative on top of exp's own ~1 ulp per factor
    exact = np.exp(-k.astype(np.longdouble) * np.longdouble(r))
    bound = (4 + 2 * np.abs(k) * r) * np.finfo(float).eps * exact + np.finfo(float).tiny

    def check(values):
        finite = k * r < 700  # below the subnormal range
        assert np.all(np.abs(values[finite] - exact[finite]) <= bound[finite])
        assert np.all(values[k * r > 745.2] == 0.0)

    ours = _decay_numpy(k, r)
    check(ours)
    source = "#include <cmath>\n#include <cstdint>\n#include <cstdio>\nusing std::exp;\n" + _DECAY_CPP + """
int main() {
    long long k;
    while (std::scanf("%lld", &k) == 1)
        std::printf("%.17g\\n", dc_decay((int32_t)k, 0.5 / 20));
}
"""
    cpp = np.array([float(x) for x in _compile_and_run(tmp_path, source, "\n".join(map(str, k))).split()])
    check(cpp)


@pytest.mark.parametrize("integration", ["exponential_euler", "euler"])
def test_rest_fast_forward_closed_forms_equal_brian2_stepping(integration):
    """Oracle: Brian2's own integrator (numpy runtime) stepping the model's excitatory and inhibitory equations
    through 240 quiet steps (no input, conductances 1e-10: the state in which the rest is skipped) against the
    closed forms the compiled loop applies instead (``fast_forward_code``), for each integration scheme.
    Tolerances: v within 1e-13 V (the neglected conductances move v by < 1e-15 V here; the rest is rounding),
    the decaying variables within 1e-12 relative."""
    import brian2 as b2
    from bioneuro.models.diehl_cook.network import (
        _EXC_DECAYS,
        _INH_DECAYS,
        EXC_EQS,
        INH_EQS,
        fast_forward_code,
    )

    p = DiehlCookParameters(membrane_integration=integration)
    n, steps = 20, 240
    rng = np.random.default_rng(3)
    exc_start = {"v": rng.uniform(-0.09, -0.05, n), "theta": rng.uniform(0.0, 0.04, n),
                 "post1": rng.uniform(0, 1, n), "post2": rng.uniform(0, 1, n), "ge": np.full(n, 1e-10),
                 "gi": np.full(n, 1e-10)}
    inh_start = {"v": rng.uniform(-0.065, -0.045, n), "ge": np.full(n, 1e-10), "gi": np.full(n, 1e-10)}
    cases = ((EXC_EQS.replace(" (unless refractory)", ""), integration, exc_start, _EXC_DECAYS, {}),
             (INH_EQS, "euler", inh_start, _INH_DECAYS, {"tau_ge": p.tau_ge, "tau_gi": p.tau_gi}))
    for equations, method, start, decays, overrides in cases:
        b2.set_device("runtime")
        b2.prefs.codegen.target = "numpy"
        b2.start_scope()
        b2.defaultclock.dt = p.dt
        ns = {**namespace(p), **overrides}
        stepped = b2.NeuronGroup(n, equations, method=method, namespace=ns)
        skipped = b2.NeuronGroup(n, equations + "ff_n : integer (shared)", method=method, namespace=ns)
        for group in (stepped, skipped):
            for name, value in start.items():
                setattr(group, name + "_", value)
            if "plastic" in group.variables:
                group.plastic = 1
        skipped.ff_n = steps
        b2.Network(stepped).run(steps * p.dt)
        closed_form = skipped.run_regularly(fast_forward_code(decays, method))
        b2.Network(closed_form).run(p.dt)  # the closed form once; the group's own update does not run
        for name in start:
            ours, brian = np.asarray(getattr(skipped, name + "_")), np.asarray(getattr(stepped, name + "_"))
            if name == "v":
                np.testing.assert_allclose(ours, brian, rtol=0, atol=1e-13, err_msg=name)
            else:
                np.testing.assert_allclose(ours, brian, rtol=1e-12, atol=0, err_msg=name)
            assert not np.allclose(brian, start[name], rtol=1e-6, atol=0), name  # it did decay
