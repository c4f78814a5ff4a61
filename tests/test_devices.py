"""bioneuro's C++ standalone device (``bioneuro_standalone``) and the geometric-gap input draws.

Oracles:

* second formulation: one deterministic network with heterogeneous delays, refractoriness and a second
  clock, simulated by Brian2's runtime device, Brian2's ``cpp_standalone`` and ``bioneuro_standalone``
  (bioneuro's spike queue, threshold and network-loop templates) gives the same spikes and final state;
* analytic: neurons integrating a constant dyadic drive exactly (``v += dt*drive`` with a power-of-two
  ``dt``) cross ``v >= 1`` at known steps; groups of 1, 63, 64, 65 and 130 neurons put spiking neurons at
  every position of the threshold template's 64-neuron blocks and 8-neuron words;
* invariance: a network whose synapses are laid out in ``delay_sorted_order`` at run time (post indices
  from a file, per-synapse values permuted) behaves exactly like the connect() layout, because all its
  values are multiples of 1/16 (sums do not depend on their order);
* brute force for ``delay_sorted_order``; the geometric law for ``dc_gap`` (mean, P(0), tail); equality
  of the C++ and numpy implementations of ``dc_gap``.

Builds are shared: one ``cpp_standalone`` build and one runtime run (:func:`reference`), and one
``bioneuro_standalone`` build holding the networks of all device tests (:func:`bioneuro`), run once per
check with different ``run_args`` / environment. ``bioneuro`` depends on ``reference`` so that the two
standalone projects are never open at once (Brian2 has one current device).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import brian2 as b2
import numpy as np
import pytest
from bioneuro.models.diehl_cook.network import _gap_numpy, dc_gap
from brian2 import ms, second

from bioneuro.devices import (
    DEVICE_NAME,
    delay_sorted_order,
    post_indices_variable,
    runtime_post_indices,
)
from bioneuro.runner import StandaloneProject, runtime_device, structure_key

DURATION = 125 * ms  # a whole number of steps of every clock below

# ------------------------------------------------------------------------------------------ network 1
# Second formulation: 150 current-driven LIF neurons -> 150 LIF neurons with conductance-like input g,
# fixed random sparse connectivity, fixed random weights and delays (0 to 3.9 ms in steps of dt: many
# delay values, including zero), refractoriness in both groups, and a run_regularly on a 0.25 ms clock
# that modulates the drive of the sources (the two clocks coincide every 0.5 ms). N = 150 is not a
# multiple of 64, so the last threshold block is partial.
N1 = 150
DT1 = 0.1 * ms
SRC_EQS = """
dv/dt = (I - v) / (10*ms) : 1 (unless refractory)
I : 1
I0 : 1 (constant)
k : integer
"""
TGT_EQS = """
dv/dt = (I_t + g - v) / (8*ms) : 1 (unless refractory)
dg/dt = -g / (5*ms) : 1
I_t : 1 (constant)
"""
DECAY_EQS = """
dx/dt = -rate * x / (2*ms) : 1
rate : 1 (shared)
"""
SRC_STATE = ("v", "I", "k", "lastspike", "not_refractory")
TGT_STATE = ("v", "g", "lastspike", "not_refractory")


def _network1_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20240611)
    connected = rng.random((N1, N1)) < 0.3
    pre, post = np.nonzero(connected)  # row-major: presynaptic-major, as Brian2 creates synapses
    return {
        "pre": pre.astype(np.int32),
        "post": post.astype(np.int32),
        "w": rng.uniform(0.03, 0.15, pre.size),
        "delay_steps": rng.integers(0, 40, pre.size),
        "I0": rng.uniform(0.9, 1.6, N1),
        "v_src": rng.uniform(0.0, 1.0, N1),
        "I_t": rng.uniform(0.5, 0.95, N1),
        "v_tgt": rng.uniform(0.0, 1.0, N1),
    }


def _build_network1() -> dict:
    a = _network1_arrays()
    src = b2.NeuronGroup(N1, SRC_EQS, threshold="v > 1", reset="v = 0", refractory=2 * ms,
                         method="exact", dt=DT1, name="n1_src")
    src.I0 = a["I0"]
    src.I = a["I0"]
    src.v = a["v_src"]
    src.run_regularly("k += 1\nI = I0 + 0.25 * ((k + i) % 3)", dt=0.25 * ms, name="n1_modulate")
    tgt = b2.NeuronGroup(N1, TGT_EQS, threshold="v > 1", reset="v = 0", refractory=3 * ms,
                         method="euler", dt=DT1, name="n1_tgt")
    tgt.I_t = a["I_t"]
    tgt.v = a["v_tgt"]
    syn = b2.Synapses(src, tgt, "w : 1", on_pre="g_post += w", dt=DT1, name="n1_syn")
    syn.connect(i=a["pre"], j=a["post"])
    syn.w = a["w"]
    syn.delay = a["delay_steps"] * DT1
    src_spikes = b2.SpikeMonitor(src, name="n1_src_spikes")
    tgt_spikes = b2.SpikeMonitor(tgt, name="n1_tgt_spikes")
    g_trace = b2.StateMonitor(tgt, "g", record=[0, 77, 149], dt=0.25 * ms, name="n1_g_trace")
    # exact decay whose per-step factor exp(-dt*rate/(2 ms)) is loop-invariant (bioneuro's device computes
    # it again only when its argument changes) and changes every 0.25 ms with the shared rate
    decay = b2.NeuronGroup(3, DECAY_EQS, method="exact", dt=DT1, name="n1_decay")
    decay.x = [1.0, 0.5, 0.25]
    decay.run_regularly("rate = 1 + (rate + 1) % 3", dt=0.25 * ms, name="n1_decay_rate")
    x_trace = b2.StateMonitor(decay, "x", record=True, name="n1_x_trace")
    return {"objects": [src, tgt, syn, src_spikes, tgt_spikes, g_trace, decay, x_trace], "src": src,
            "tgt": tgt, "src_spikes": src_spikes, "tgt_spikes": tgt_spikes, "g_trace": g_trace,
            "x_trace": x_trace}


def _read_network1(h: dict) -> dict[str, np.ndarray]:
    out = {}
    for name in ("src", "tgt"):
        monitor = h[f"{name}_spikes"]
        out[f"{name}.i"] = np.asarray(monitor.i[:]).copy()
        out[f"{name}.step"] = np.round(np.asarray(monitor.t_[:]) / float(DT1)).astype(np.int64)
    for name in SRC_STATE:
        out[f"src.{name}"] = np.asarray(getattr(h["src"], name + "_")[:]).copy()
    for name in TGT_STATE:
        out[f"tgt.{name}"] = np.asarray(getattr(h["tgt"], name + "_")[:]).copy()
    out["g_trace"] = np.asarray(h["g_trace"].g[:]).copy()
    out["x_trace"] = np.asarray(h["x_trace"].x[:]).copy()
    return out


# ------------------------------------------------------------------------------------------ network 2
# Threshold template edge cases: v integrates a constant drive m/64 per second with dt = 2**-10 s, so
# every value is a multiple of 2**-16 and exact; v reaches 1 after n = ceil(65536/m) updates (exactly 1
# when m divides 65536: the >= comparison is tested at equality). After a spike at step k, the refractory
# period of R steps holds v at 0 until step k + R, so the next spike is at k + R - 1 + n.
THRESHOLD_SIZES = (1, 63, 64, 65, 130)
DT2 = 2.0**-10 * second
N_STEPS2 = 128  # DURATION / DT2
UNIT = 65536  # 1 / (dt * 1/64 per second): increments of v are m / UNIT
DRIVE_TABLE = (0, 65536, 4096, 5000, 0, 8192, 3, 30000, 65536, 0, 16384)
THRESHOLD_EQS = """
dv/dt = drive / second : 1 (unless refractory)
drive : 1 (constant)
ref : second (constant)
"""


def _threshold_pattern(size: int, variant: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-neuron drive numerators m (drive = m/64) and refractory steps R for one group."""
    i = np.arange(size)
    m = np.asarray(DRIVE_TABLE)[(3 * i + i // 8 + size + 5 * variant) % len(DRIVE_TABLE)]
    refractory_steps = 1 + (i + 2 * size + variant) % 4
    if variant == 1 and size in (64, 130):
        # whole blocks firing together: every neuron at every step
        m[:64] = UNIT
        refractory_steps[:64] = 1
    return m.astype(np.int64), refractory_steps.astype(np.int64)


def _expected_threshold(m: np.ndarray, refractory_steps: np.ndarray):
    """Analytic spikes (index, step), in the order a SpikeMonitor records them, and the final v."""
    spikes = []
    final_v = np.zeros(len(m))
    for index, (mi, ri) in enumerate(zip(m, refractory_steps, strict=True)):
        updates_to_threshold = -(-UNIT // mi) if mi > 0 else None
        step = None if updates_to_threshold is None else updates_to_threshold - 1
        last = None
        while step is not None and step < N_STEPS2:
            spikes.append((step, index))
            last = step
            step += ri - 1 + updates_to_threshold
        n_updates = N_STEPS2 if last is None else max(0, N_STEPS2 - last - ri)
        final_v[index] = n_updates * mi / UNIT
    spikes.sort()
    steps = np.array([s for s, _ in spikes], dtype=np.int64)
    indices = np.array([k for _, k in spikes], dtype=np.int64)
    return indices, steps, final_v


def _build_network2() -> dict:
    groups, monitors = [], []
    for size in THRESHOLD_SIZES:
        group = b2.NeuronGroup(size, THRESHOLD_EQS, threshold="v >= 1", reset="v = 0", refractory="ref",
                               method="euler", dt=DT2, name=f"n2_group_{size}")
        m, refractory_steps = _threshold_pattern(size, 0)
        group.drive = m / 64.0
        group.ref = refractory_steps * DT2
        groups.append(group)
        monitors.append(b2.SpikeMonitor(group, name=f"n2_spikes_{size}"))
    return {"objects": groups + monitors, "groups": groups, "monitors": monitors}


# ------------------------------------------------------------------------------------------ network 3
# Run-time post indices: 20 presynaptic neurons with periodic spikes -> 37 integrate-and-fire neurons
# without leak, all to all, per-synapse delays of 0 to 9 steps; on_pre adds the weight and depresses it,
# on_post potentiates it (so the post pathway's queue must use the new post indices too). Every value is
# a multiple of 1/16, so every sum is exact whatever the order of the events within a step.
N3_PRE, N3_POST = 20, 37
DT3 = 0.1 * ms


def _network3_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    n = N3_PRE * N3_POST
    return {
        "pre": np.repeat(np.arange(N3_PRE), N3_POST),
        "post": np.tile(np.arange(N3_POST), N3_PRE),
        "w": rng.integers(0, 9, n) / 8.0,
        "delay_steps": rng.integers(0, 10, n),
        "period": rng.integers(15, 60, N3_PRE),
        "phase": rng.integers(0, 15, N3_PRE),
    }


def _build_network3() -> dict:
    a = _network3_arrays()
    pre = b2.NeuronGroup(N3_PRE, "period : integer (constant)\nphase : integer (constant)",
                         threshold="timestep(t, dt) % period == phase", reset="", dt=DT3, name="n3_pre")
    pre.period = a["period"]
    pre.phase = a["phase"]
    post = b2.NeuronGroup(N3_POST, "v : 1\nn_in : integer", threshold="v >= 6", reset="v -= 6",
                          refractory=0.5 * ms, dt=DT3, name="n3_post")
    syn = b2.Synapses(pre, post, "w : 1\nd_syn : second (constant)",
                      on_pre="v_post += w\nn_in_post += 1\nw = clip(w - 0.0625, 0, 4)",
                      on_post="w = clip(w + 0.125, 0, 4)", dt=DT3, name="n3_syn")
    syn.connect()
    syn.w = a["w"]
    syn.d_syn = a["delay_steps"] * DT3
    spikes = b2.SpikeMonitor(post, name="n3_spikes")
    return {"objects": [pre, post, syn, spikes], "post": post, "syn": syn, "spikes": spikes}


def _after_run_args_network3(h: dict) -> None:
    """After ``apply_run_args``: the layout may change, then delays are taken from ``d_syn``."""
    runtime_post_indices(h["syn"])
    h["syn"].delay = "d_syn"


# ------------------------------------------------------------------------------------------ network 5
# dc_gap in C++: each neuron stores dc_gap(key, i, step0, p) once (a clock of one step).
N5 = 3000


def _dc_gap_arguments(variant: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(100 + variant)
    p = 10.0 ** rng.uniform(-7, 0, N5)
    special = [0.0, -0.25, 1.0, 1.5, 1e-300, 1 - 1e-16, 0.5, 1e-12, 0.999999, 0.01, 0.1]
    p[: len(special)] = special
    return {
        "p": p,
        "key": rng.integers(-(2**31), 2**31 - 1, N5).astype(np.int32),
        "step0": rng.integers(0, 2**31 - 1, N5).astype(np.int32),
    }


def _build_network5() -> dict:
    group = b2.NeuronGroup(N5, "gap : integer\np : 1 (constant)\nkey : integer (constant)\n"
                               "step0 : integer (constant)", dt=DURATION,
                           namespace={"dc_gap": dc_gap}, name="n5_gaps")
    a = _dc_gap_arguments(0)
    group.p = a["p"]
    group.key = a["key"]
    group.step0 = a["step0"]
    group.run_regularly("gap = dc_gap(key, i, step0, p)", name="n5_draw")
    return {"objects": [group], "group": group}


# ------------------------------------------------------------------------------------------ network 6
# exp() and log() in a loop the compiler can vectorise (an unconditional assignment over 1,000 neurons)
N6 = 1000


def _build_network6() -> dict:
    group = b2.NeuronGroup(N6, "x : 1 (constant)\ny : 1\nz : 1", dt=DURATION, name="n6_math")
    group.x = np.linspace(-40.0, 40.0, N6)
    group.run_regularly("y = exp(x)\nz = log(1 + x*x)", name="n6_exp")
    return {"objects": [group], "group": group}


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Network 1 on the runtime device (numpy) and on Brian2's cpp_standalone: plain arrays."""
    results = {}
    with runtime_device():
        b2.defaultclock.dt = DT1
        h = _build_network1()
        b2.Network(*h["objects"]).run(DURATION)
        results["runtime"] = _read_network1(h)
    cache = tmp_path_factory.mktemp("cpp_standalone")
    with StandaloneProject(structure_key("test-devices-cpp", {"n": N1}), cache,
                           device="cpp_standalone") as project:
        b2.defaultclock.dt = DT1
        h = _build_network1()
        b2.Network(*h["objects"]).run(DURATION)
        project.build()
        project.run()
        results["cpp_standalone"] = _read_network1(h)
    return results


@pytest.fixture(scope="module")
def bioneuro(reference, tmp_path_factory):
    """One bioneuro_standalone build of networks 1, 2, 3, 5 and 6 (open for the whole module)."""
    cache = tmp_path_factory.mktemp("bioneuro_standalone")
    with StandaloneProject(structure_key("test-devices-bioneuro", {"n": N1}), cache,
                           device=DEVICE_NAME) as project:
        b2.defaultclock.dt = DT1
        handles = {1: _build_network1(), 2: _build_network2(), 3: _build_network3(), 5: _build_network5(),
                   6: _build_network6()}
        b2.get_device().apply_run_args()
        _after_run_args_network3(handles[3])
        b2.Network(*(obj for h in handles.values() for obj in h["objects"])).run(DURATION)
        project.build()
        yield project, handles


# ------------------------------------------------------------------------------------------ tests 1


@pytest.mark.standalone
def test_three_devices_give_identical_spikes_and_state(reference, bioneuro):
    project, handles = bioneuro
    project.run()
    ours = _read_network1(handles[1])
    cpp = reference["cpp_standalone"]
    runtime = reference["runtime"]
    # the network is active: both groups spike, most neurons take part, delayed input matters
    assert len(ours["src.i"]) > 1000 and len(ours["tgt.i"]) > 1500
    assert len(np.unique(ours["tgt.i"])) == N1
    assert set(ours) == set(cpp) == set(runtime)
    # the loop-invariant decay factor took three values during the run (the cached exp was recomputed)
    ratios = ours["x_trace"][0, 1:] / ours["x_trace"][0, :-1]
    assert np.unique(np.round(ratios, 12)).size == 3
    np.testing.assert_allclose(np.unique(np.round(ratios, 12)), np.exp(-float(DT1 / (2 * ms)) * np.arange(1, 4))[::-1],
                               rtol=1e-11)
    for name in ours:
        # the two compiled programs run the same generated arithmetic: bit for bit identical
        np.testing.assert_array_equal(ours[name], cpp[name], err_msg=name)
        if name.endswith((".i", ".step", ".k", ".I", ".not_refractory", ".lastspike")):
            # spikes, integers, spike times and one-operation sums: identical on the runtime device too
            np.testing.assert_array_equal(ours[name], runtime[name], err_msg=name)
        else:
            # v and g: numpy evaluates the same expressions, but with its own exp and without C++'s
            # -ffast-math rewrites (contractions, reciprocals), and Brian2's runtime spike queue may
            # add the synaptic events of a step in another order; the results then differ in the last
            # bits (measured: at most 1.2e-14), never in a spike
            np.testing.assert_allclose(ours[name], runtime[name], rtol=0, atol=1e-12, err_msg=name)


# ------------------------------------------------------------------------------------------ tests 2


@pytest.mark.standalone
@pytest.mark.parametrize("variant", [0, 1])
def test_blocked_threshold_spikes_at_the_analytic_steps(bioneuro, variant):
    project, handles = bioneuro
    run_args = {}
    for size, group in zip(THRESHOLD_SIZES, handles[2]["groups"], strict=True):
        m, refractory_steps = _threshold_pattern(size, variant)
        run_args[group.drive] = m / 64.0
        run_args[group.ref] = refractory_steps * DT2
    project.run(run_args)
    total = 0
    for size, group, monitor in zip(THRESHOLD_SIZES, handles[2]["groups"], handles[2]["monitors"],
                                    strict=True):
        m, refractory_steps = _threshold_pattern(size, variant)
        indices, steps, final_v = _expected_threshold(m, refractory_steps)
        got_steps = np.round(np.asarray(monitor.t_[:]) / float(DT2)).astype(np.int64)
        np.testing.assert_array_equal(np.asarray(monitor.i[:]), indices, err_msg=f"size {size}")
        np.testing.assert_array_equal(got_steps, steps, err_msg=f"size {size}")
        np.testing.assert_array_equal(np.asarray(group.v[:]), final_v, err_msg=f"size {size}")
        total += len(indices)
    assert total > 1000


# ------------------------------------------------------------------------------------------ tests 3


def _read_network3(h: dict) -> dict[str, np.ndarray]:
    return {
        "i": np.asarray(h["spikes"].i[:]).copy(),
        "t": np.asarray(h["spikes"].t_[:]).copy(),
        "v": np.asarray(h["post"].v[:]).copy(),
        "n_in": np.asarray(h["post"].n_in[:]).copy(),
        "w": np.asarray(h["syn"].w[:]).copy(),
        "syn_i": np.asarray(h["syn"].i[:]).copy(),
        "syn_j": np.asarray(h["syn"].j[:]).copy(),
        "delay": np.asarray(h["syn"].delay_[:]).copy(),
    }


def _layout_run_args(h: dict, order: np.ndarray) -> dict:
    a = _network3_arrays()
    return {h["syn"].w: a["w"][order], h["syn"].d_syn: a["delay_steps"][order] * DT3}


@pytest.mark.standalone
def test_runtime_post_indices_with_delay_sorted_layout_is_invisible(bioneuro, tmp_path):
    project, handles = bioneuro
    h = handles[3]
    a = _network3_arrays()
    identity = np.arange(len(a["pre"]))
    project.run(_layout_run_args(h, identity))
    plain = _read_network3(h)
    # connect() is presynaptic-major, as delay_sorted_order requires
    np.testing.assert_array_equal(plain["syn_i"], a["pre"])
    np.testing.assert_array_equal(plain["syn_j"], a["post"])
    np.testing.assert_array_equal(np.round(plain["delay"] / float(DT3)), a["delay_steps"])
    assert len(plain["i"]) > 200 and len(np.unique(plain["i"])) == N3_POST

    order = delay_sorted_order(a["pre"], a["post"], a["delay_steps"])
    assert not np.array_equal(order, identity)
    path = tmp_path / "post.int32"
    a["post"][order].astype(np.int32).tofile(path)
    project.run(_layout_run_args(h, order), environment={post_indices_variable(h["syn"]): str(path)})
    sorted_run = _read_network3(h)
    # the program took the layout: post indices, delays and weights at position k are synapse order[k]'s
    np.testing.assert_array_equal(sorted_run["syn_i"], a["pre"])
    np.testing.assert_array_equal(sorted_run["syn_j"], a["post"][order])
    np.testing.assert_array_equal(np.round(sorted_run["delay"] / float(DT3)), a["delay_steps"][order])
    # ... and behaved identically (exact: every value is a multiple of 1/16)
    for name in ("i", "t", "v", "n_in"):
        np.testing.assert_array_equal(sorted_run[name], plain[name], err_msg=name)
    unpermuted = np.empty_like(sorted_run["w"])
    unpermuted[order] = sorted_run["w"]
    np.testing.assert_array_equal(unpermuted, plain["w"])
    assert not np.array_equal(plain["w"], a["w"])  # plasticity changed the weights

    # an empty variable keeps the connect() layout
    project.run(_layout_run_args(h, identity), environment={post_indices_variable(h["syn"]): ""})
    again = _read_network3(h)
    for name in plain:
        np.testing.assert_array_equal(again[name], plain[name], err_msg=name)


@pytest.mark.standalone
def test_runtime_post_indices_file_of_wrong_size_fails(bioneuro, tmp_path, capfd):
    project, handles = bioneuro
    syn = handles[3]["syn"]
    variable = post_indices_variable(syn)
    n = N3_PRE * N3_POST
    short = tmp_path / "short.int32"
    np.arange(n - 1, dtype=np.int32).tofile(short)
    expected = {
        short: f"{short} holds {4 * (n - 1)} bytes, expected {4 * n} (one int32 per synapse)",
        tmp_path / "missing.int32": f"cannot open the post-index file {tmp_path / 'missing.int32'}",
    }
    for path, reason in expected.items():
        capfd.readouterr()
        with pytest.raises(RuntimeError, match="Project run failed") as failure:
            project.run(environment={variable: str(path)})
        assert str(project.directory) in str(failure.value)
        # StandaloneProject.run adds the program's own explanation to Brian2's message
        assert reason in str(failure.value)
        assert reason in capfd.readouterr().err
        assert variable not in os.environ  # StandaloneProject.run restored the environment
    # the compiled program itself exits with status 3
    results = tmp_path / "results"
    results.mkdir()
    completed = subprocess.run(
        [str(project.directory / "main"), "--results_dir", str(results) + os.sep],
        cwd=project.directory, env={**os.environ, variable: str(short)}, capture_output=True, text=True,
        timeout=60,
    )
    assert completed.returncode == 3, completed.stderr
    assert "one int32 per synapse" in completed.stderr
    # the project still runs afterwards
    project.run()


# ------------------------------------------------------------------------------------------ tests 4


def _brute_force_order(pre, post, delay_steps):
    return np.array(sorted(range(len(pre)), key=lambda k: (pre[k], delay_steps[k], post[k])), dtype=np.int64)


@pytest.mark.parametrize("seed", range(6))
def test_delay_sorted_order_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    pre = np.sort(rng.integers(0, 5, n))
    post = rng.integers(0, 7, n)  # repeated (pre, post) pairs: ties keep connect() order
    delay_steps = rng.integers(0, 4, n)
    order = delay_sorted_order(pre, post, delay_steps)
    assert order.dtype == np.int64
    np.testing.assert_array_equal(order, _brute_force_order(pre, post, delay_steps))
    np.testing.assert_array_equal(pre[order], pre)  # a permutation within each presynaptic neuron


def test_delay_sorted_order_rejects_bad_input():
    with pytest.raises(ValueError, match="presynaptic-major"):
        delay_sorted_order(np.array([0, 1, 0]), np.array([0, 0, 0]), np.array([0, 0, 0]))
    with pytest.raises(ValueError, match="one length"):
        delay_sorted_order(np.array([0, 1]), np.array([0, 0, 0]), np.array([0, 0, 0]))
    with pytest.raises(ValueError, match="one length"):
        delay_sorted_order(np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([0, 0]))
    with pytest.raises(ValueError, match="1-D"):
        delay_sorted_order(np.zeros((2, 2), int), np.zeros((2, 2), int), np.zeros((2, 2), int))


# ------------------------------------------------------------------------------------------ tests 5


@pytest.mark.parametrize("p", [0.01, 0.1, 0.5])
def test_dc_gap_numpy_follows_the_geometric_law(p):
    # gaps for many (index, step) pairs of one key: failures before the first success, P(k) = (1-p)^k p
    n = 400_000
    index = np.arange(n) % 1000
    step = np.arange(n) // 1000 * 7919 + 3
    gaps = _gap_numpy(12345, index, step, p)
    assert gaps.dtype == np.int32 and gaps.shape == (n,) and gaps.min() >= 0
    mean, sd = (1 - p) / p, np.sqrt(1 - p) / p
    assert abs(gaps.mean() - mean) < 5 * sd / np.sqrt(n), (gaps.mean(), mean)
    assert abs(np.mean(gaps == 0) - p) < 5 * np.sqrt(p * (1 - p) / n)
    for k in (1, 2, 5, int(1 / p)):
        tail = (1 - p) ** k  # P(gap >= k)
        assert abs(np.mean(gaps >= k) - tail) < 5 * np.sqrt(tail * (1 - tail) / n), k
    # a counter-based draw: same arguments, same gap; another key, other gaps
    np.testing.assert_array_equal(_gap_numpy(12345, index[:1000], step[:1000], p), gaps[:1000])
    assert not np.array_equal(_gap_numpy(12346, index[:1000], step[:1000], p), gaps[:1000])


def test_dc_gap_numpy_limits():
    index = np.arange(50)
    for p in (0.0, -0.5, -np.inf):
        np.testing.assert_array_equal(_gap_numpy(1, index, 10, p), 2**30)
    for p in (1.0, 1.5, np.inf):
        np.testing.assert_array_equal(_gap_numpy(1, index, 10, p), 0)
    # gaps beyond 2**30 are capped at 2**30 ("never")
    assert _gap_numpy(1, index, 10, 1e-300).max() == 2**30


@pytest.mark.standalone
@pytest.mark.parametrize("variant", [0, 1])
def test_dc_gap_cpp_equals_numpy(bioneuro, variant):
    project, handles = bioneuro
    group = handles[5]["group"]
    a = _dc_gap_arguments(variant)
    project.run({group.p: a["p"], group.key: a["key"], group.step0: a["step0"]})
    cpp = np.asarray(group.gap[:])
    expected = _gap_numpy(a["key"], np.arange(N5), a["step0"].astype(np.int64), a["p"])
    assert len(np.unique(expected)) > 1000  # gaps from 0 to "never"
    np.testing.assert_array_equal(cpp, expected)


@pytest.mark.standalone
def test_exp_and_log_vectorise_and_stay_accurate(bioneuro):
    """Oracle: numpy's exp/log (correctly rounded to < 1 ulp) within 4 ulp, glibc's bound for its vector
    variants; and, with GCC on x86-64 glibc, the compiled loop calls a vector variant (``_ZGV...``)."""
    import platform

    project, handles = bioneuro
    group = handles[6]["group"]
    project.run()
    x = np.linspace(-40.0, 40.0, N6)
    np.testing.assert_allclose(np.asarray(group.y[:]), np.exp(x), rtol=4 * np.finfo(float).eps, atol=0)
    np.testing.assert_allclose(np.asarray(group.z[:]), np.log(1 + x * x), rtol=4 * np.finfo(float).eps,
                               atol=0)
    from bioneuro.devices import _vectoriser_flags

    if platform.machine() == "x86_64" and platform.libc_ver()[0] == "glibc" and _vectoriser_flags():
        code = (Path(b2.get_device().project_dir) / "code_objects" / "n6_exp_codeobject.o").read_bytes()
        assert b"_ZGV" in code and b"v_exp" in code and b"v_log" in code


def test_memoise_scalar_exp_rewrites_only_whole_loop_invariant_exp_calls():
    """The rewrite caches ``const double _lio_N = exp(ARG);`` lines (one call making up the whole value) and
    leaves every other line alone: products of calls, per-neuron exp, other functions."""
    from bioneuro.devices import memoise_scalar_exp

    kept = [
        "    const double _lio_3 = exp(a) * exp(b);",
        "    const double _v = exp(dt * g);",
        "    const double _lio_4 = log(1.0f*dt/tau);",
        "    const double _lio_5 = 2.0 * exp(-dt/tau);",
    ]
    code = "\n".join(["    const double _lio_2 = exp(1.0f*(- dt)/tau_ge);", *kept])
    out = memoise_scalar_exp(code).split("\n")
    assert out[-len(kept):] == kept
    rewritten = "\n".join(out[: -len(kept)])
    assert "const double _lio_2_x = 1.0f*(- dt)/tau_ge;" in rewritten
    assert "_lio_2_value = exp(_lio_2_x)" in rewritten and rewritten.endswith("const double _lio_2 = _lio_2_value;")
    assert memoise_scalar_exp("\n".join(kept)) == "\n".join(kept)
