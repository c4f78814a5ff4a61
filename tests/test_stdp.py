"""STDP rules of bioneuro.synapses against analytic results and a second formulation.

Oracles:
* event-driven traces vs clock-driven traces integrated exactly each step (agree to rounding);
* event-driven vs clock-driven forward Euler, within a derived bound (see ``_euler_trace_error``);
* isolated pairings vs the exponential window A± exp(-|dt|/tau±);
* spike triplets / quadruplets vs hand-computed values from Pfister & Gerstner 2006, eqs 3-4;
* Diehl & Cook 2015 updates vs their closed form; Masquelier & Thorpe 2007 order rule.
"""

from __future__ import annotations

import dataclasses
import math

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms

from bioneuro.synapses import (
    DIEHL_COOK_2015,
    PAIR_PAIRINGS,
    PFISTER_GERSTNER_HIPPOCAMPAL_ALL_TO_ALL,
    DiehlCookSTDP,
    MasquelierThorpeSTDP,
    PairSTDP,
    TripletSTDP,
    make_synapses,
)

DT = 0.1 * ms


def _generators(pre_times, post_times, dt=DT):
    """SpikeGeneratorGroups from lists of per-neuron spike times (ms).

    Every Brian object in these tests has a fixed name: Brian2's Cython code contains the array
    names, so automatic names (``synapses_37``) would defeat the compilation cache.
    """

    def group(trains, name):
        idx = np.concatenate([[k] * len(ts) for k, ts in enumerate(trains)]).astype(int)
        times = np.concatenate([np.asarray(ts, float) for ts in trains]) * ms
        return b2.SpikeGeneratorGroup(len(trains), idx, times, dt=dt, name=name)

    return group(pre_times, "stdp_test_pre"), group(post_times, "stdp_test_post")


def _run(pre, post, synapses, duration):
    net = b2.Network(pre, post, *synapses)
    net.run(duration)


def _random_trains(rng, n, rate_hz, duration_ms, dt):
    """Poisson-like trains on the dt grid, at most one spike per bin."""
    n_bins = int(round(duration_ms / float(dt / ms)))
    trains = []
    for _ in range(n):
        bins = np.flatnonzero(rng.random(n_bins) < rate_hz * float(dt / b2.second))
        trains.append((bins + 0.0) * float(dt / ms))
    return trains


def _euler_trace_error(tau, dt):
    """max_k |exp(-k h) - (1 - h)^k|, h = dt/tau: the largest error of one unit trace jump
    integrated by forward Euler (about h / (2e))."""
    h = float(dt / tau)
    k = np.arange(0, int(50 / h))
    return float(np.max(np.abs(np.exp(-k * h) - (1 - h) ** k)))


# ----------------------------------------------------------------------------------------------
# Formulation equivalence: one network, every rule, three formulations.

PAIR_RULES = {
    f"pair-{pairing}-{bounds}": PairSTDP(
        A_plus=0.02, A_minus=0.021, tau_plus=16.8 * ms, tau_minus=33.7 * ms, w_max=1.0,
        pairing=pairing, bounds=bounds,
    )
    for pairing in PAIR_PAIRINGS
    for bounds in ("hard", "soft")
}  # fmt: skip
TRIPLET_RULES = {
    f"triplet-{pairing}": dataclasses.replace(
        PFISTER_GERSTNER_HIPPOCAMPAL_ALL_TO_ALL, pairing=pairing, tau_x=200 * ms
    )
    for pairing in ("all-to-all", "nearest-spike")
}
RULES = {
    **PAIR_RULES,
    **TRIPLET_RULES,
    "diehl-cook": dataclasses.replace(DIEHL_COOK_2015, nu_pre=5e-3),
    "masquelier": MasquelierThorpeSTDP(a_plus=0.05, a_minus=-0.04, pairing_window=30 * ms),
}
N_PRE, N_POST, DURATION_MS = 6, 4, 300.0
FORMULATION_DT = 0.2 * ms  # coarser than DT: 36 synapse objects, kept quick on the numpy target


def _euler_bound(rule, n_pre, n_post):
    """Upper bound of |w_euler - w_exact| after n_pre / n_post spikes.

    Each weight step is a function of trace values a; with hard bounds the clip is 1-Lipschitz
    and with soft bounds the step contracts the weight difference, so the weight error is at
    most the sum over spikes of |d step / d trace| * (trace error). A trace error is at most
    (number of earlier jumps) * eps(tau) for all-to-all pairing and eps(tau) for nearest-spike
    (the reset erases older errors); trace values are at most the number of jumps (or 1).
    """
    if isinstance(rule, PairSTDP):
        m_pre, m_post = (n_pre, n_post) if rule.pairing == "all-to-all" else (1, 1)
        e_pre = m_pre * _euler_trace_error(rule.tau_plus, FORMULATION_DT)
        e_post = m_post * _euler_trace_error(rule.tau_minus, FORMULATION_DT)
        return n_pre * rule.A_minus * e_post + n_post * rule.A_plus * e_pre
    if isinstance(rule, TripletSTDP):
        m_pre, m_post = (n_pre, n_post) if rule.pairing == "all-to-all" else (1, 1)
        e_r1 = m_pre * _euler_trace_error(rule.tau_plus, FORMULATION_DT)
        e_r2 = m_pre * _euler_trace_error(rule.tau_x, FORMULATION_DT)
        e_o1 = m_post * _euler_trace_error(rule.tau_minus, FORMULATION_DT)
        e_o2 = m_post * _euler_trace_error(rule.tau_y, FORMULATION_DT)
        on_post = e_r1 * (rule.A2_plus + rule.A3_plus * m_post) + m_pre * rule.A3_plus * e_o2
        on_pre = e_o1 * (rule.A2_minus + rule.A3_minus * m_pre) + m_post * rule.A3_minus * e_r2
        return n_post * on_post + n_pre * on_pre
    if isinstance(rule, DiehlCookSTDP):
        e_pre = _euler_trace_error(rule.tau_pre, FORMULATION_DT)
        e_post1 = _euler_trace_error(rule.tau_post1, FORMULATION_DT)
        e_post2 = _euler_trace_error(rule.tau_post2, FORMULATION_DT)
        return n_pre * rule.nu_pre * e_post1 + n_post * rule.nu_post * (e_pre + e_post2)
    return 0.0  # Masquelier & Thorpe: no exponential traces, both formulations are exact


@pytest.fixture(scope="module")
def formulation_weights():
    """Final weights of every rule in three formulations, driven by the same random trains."""
    rng = np.random.default_rng(20240607)
    pre_trains = _random_trains(rng, N_PRE, 30.0, DURATION_MS, FORMULATION_DT)
    post_trains = _random_trains(rng, N_POST, 30.0, DURATION_MS, FORMULATION_DT)
    pre, post = _generators(pre_trains, post_trains, FORMULATION_DT)
    w0 = rng.uniform(0.2, 0.8, N_PRE * N_POST)
    variants = {"event": ("event-driven", "exact"), "exact": ("clock-driven", "exact"),
                "euler": ("clock-driven", "euler")}  # fmt: skip
    synapses = {}
    for rule_name, rule in RULES.items():
        for variant, (formulation, method) in variants.items():
            synapses[rule_name, variant] = make_synapses(
                pre, post, rule, target_expression="", weights=w0, formulation=formulation,
                method=method, dt=FORMULATION_DT,
                name=f"stdp_{rule_name}_{variant}".replace("-", "_"),
            )  # fmt: skip
    _run(pre, post, synapses.values(), DURATION_MS * ms + 1 * ms)
    counts = (
        np.array([len(t) for t in pre_trains]),
        np.array([len(t) for t in post_trains]),
    )
    weights = {key: np.array(s.w[:]) for key, s in synapses.items()}
    first = next(iter(synapses.values()))
    order = (np.array(first.i[:]), np.array(first.j[:]))
    return weights, w0, counts, order


@pytest.mark.parametrize("rule_name", list(RULES))
def test_event_driven_matches_exact_clock_driven(formulation_weights, rule_name):
    weights, w0, _, _ = formulation_weights
    event, clock = weights[rule_name, "event"], weights[rule_name, "exact"]
    assert np.max(np.abs(event - w0)) > 1e-3, "the spike pattern must change the weights"
    # Both integrate the same linear traces exactly; only rounding differs (measured <= 2e-15).
    np.testing.assert_allclose(event, clock, rtol=0, atol=1e-12)


@pytest.mark.parametrize("rule_name", [r for r in RULES if r != "masquelier"])
def test_event_driven_matches_euler_within_derived_bound(formulation_weights, rule_name):
    weights, _, (n_pre, n_post), (i, j) = formulation_weights
    rule = RULES[rule_name]
    error = np.abs(weights[rule_name, "event"] - weights[rule_name, "euler"])
    bound = np.array([_euler_bound(rule, n_pre[a], n_post[b]) for a, b in zip(i, j, strict=True)])
    assert np.all(error <= bound), (error.max(), bound.min())
    # Euler really is a different integration: the check above is not vacuous.
    assert error.max() > 0


# ----------------------------------------------------------------------------------------------
# Pair rule: isolated pairings reproduce the exponential window.

DELTAS_MS = np.array([-60.0, -33.7, -20.0, -5.0, -0.1, 0.0, 0.1, 5.0, 16.8, 40.0])
T_REF_MS = 100.0
W0 = 0.5


@pytest.mark.parametrize("formulation", ["event-driven", "clock-driven"])
@pytest.mark.parametrize("pairing", PAIR_PAIRINGS)
@pytest.mark.parametrize("bounds", ["hard", "soft"])
def test_pair_rule_window_is_analytic(formulation, pairing, bounds):
    rule = PairSTDP(
        A_plus=0.01, A_minus=0.012, tau_plus=16.8 * ms, tau_minus=33.7 * ms, w_max=1.0,
        pairing=pairing, bounds=bounds,
    )  # fmt: skip
    n = len(DELTAS_MS)
    pre, post = _generators([[T_REF_MS]] * n, [[T_REF_MS + d] for d in DELTAS_MS])
    syn = make_synapses(
        pre, post, rule, target_expression="", connect={"j": "i"}, weights=W0,
        formulation=formulation, dt=DT, name="stdp_pair_window",
    )  # fmt: skip
    _run(pre, post, [syn], 200 * ms)
    potentiation = np.exp(-np.abs(DELTAS_MS) / 16.8) * 0.01
    depression = -np.exp(-np.abs(DELTAS_MS) / 33.7) * 0.012
    if bounds == "soft":  # scaled by the distance to the bound (w_min = 0, w_max = 1)
        potentiation *= 1 - W0
        depression *= W0
    # Coincident spikes (dt = 0) count as pre-before-post: Brian2 runs on_pre first.
    expected = W0 + np.where(DELTAS_MS >= 0, potentiation, depression)
    np.testing.assert_allclose(syn.w[:], expected, rtol=1e-10)
    # The library's closed-form window (used for plots and protocols) agrees too.
    window = rule.isolated_pair_change(DELTAS_MS * ms, w=W0)
    np.testing.assert_allclose(np.asarray(window), expected - W0, rtol=1e-12)


@pytest.mark.parametrize("pairing", PAIR_PAIRINGS)
def test_pair_rule_pairing_schemes(pairing):
    # Which spikes pair with which, for each scheme (times in ms; e = exp(-lag/tau)):
    # 0: pre 100, 110; post 120  all-to-all pairs the post spike with both pre spikes
    # 1: post 100, 110; pre 120  (mirror image, depression)
    # 2: pre 100, 105; post 110, 115  reduced: the second post spike finds the pre trace used up
    # 3: post 100, 105; pre 110, 115  (mirror image)
    a_plus, a_minus, tp, tm = 0.01, 0.012, 16.8, 33.7
    rule = PairSTDP(A_plus=a_plus, A_minus=a_minus, tau_plus=tp * ms, tau_minus=tm * ms,
                    pairing=pairing)  # fmt: skip
    pre, post = _generators(
        [[100.0, 110.0], [120.0], [100.0, 105.0], [110.0, 115.0]],
        [[120.0], [100.0, 110.0], [110.0, 115.0], [100.0, 105.0]],
    )
    syn = make_synapses(
        pre, post, rule, target_expression="", connect={"j": "i"}, weights=W0, dt=DT,
        name="stdp_pair_schemes",
    )  # fmt: skip
    _run(pre, post, [syn], 200 * ms)

    def p(*lags):
        return a_plus * sum(math.exp(-lag / tp) for lag in lags)

    def d(*lags):
        return -a_minus * sum(math.exp(-lag / tm) for lag in lags)

    expected = {
        "all-to-all": [p(20, 10), d(20, 10), p(10, 5, 15, 10), d(10, 5, 15, 10)],
        "nearest-spike": [p(10), d(10), p(5, 10), d(5, 10)],
        "reduced-nearest-spike": [p(10), d(10), p(5), d(5)],
    }[pairing]
    np.testing.assert_allclose(syn.w[:], W0 + np.array(expected), rtol=1e-10)


# ----------------------------------------------------------------------------------------------
# Triplet rule: spike triplets against hand-computed values.


def _triplet_expected(rule, pre_times, post_times):
    """Pfister & Gerstner 2006 eqs 3-4 evaluated by hand for one synapse (times in ms)."""
    tp, tm = float(rule.tau_plus / ms), float(rule.tau_minus / ms)
    tx, ty = float(rule.tau_x / ms), float(rule.tau_y / ms)
    nearest = rule.pairing == "nearest-spike"

    def trace(t, spikes, tau):  # value just before time t
        earlier = [s for s in spikes if s < t]
        if nearest:
            earlier = earlier[-1:]
        return sum(math.exp(-(t - s) / tau) for s in earlier)

    dw = 0.0
    for t in sorted(set(pre_times) | set(post_times)):
        if t in pre_times:
            r2 = trace(t, pre_times, tx)
            dw -= trace(t, post_times, tm) * (rule.A2_minus + rule.A3_minus * r2)
        if t in post_times:
            dw += trace(t, pre_times, tp) * (rule.A2_plus + rule.A3_plus * trace(t, post_times, ty))
    return dw


PATTERNS = {  # (pre times, post times) in ms
    "pre-post-pre": ([100.0, 125.0], [110.0]),
    "post-pre-post": ([115.0], [100.0, 120.0]),
    "pre-pre-post": ([100.0, 110.0], [120.0]),
    "post-post-pre": ([130.0], [100.0, 120.0]),
    "pre-post-post": ([100.0], [110.0, 130.0]),
}


def test_triplet_hand_values_are_what_the_formula_gives():
    # Guard the hand-computed oracle itself with two values written out in full.
    rule = PFISTER_GERSTNER_HIPPOCAMPAL_ALL_TO_ALL
    p = rule
    pre_post_pre = p.A2_plus * math.exp(-10 / 16.8) - math.exp(-15 / 33.7) * (
        p.A2_minus + p.A3_minus * math.exp(-25 / 946)
    )
    post_pre_post = -p.A2_minus * math.exp(-15 / 33.7) + math.exp(-5 / 16.8) * (
        p.A2_plus + p.A3_plus * math.exp(-20 / 27)
    )
    assert _triplet_expected(rule, *PATTERNS["pre-post-pre"]) == pytest.approx(pre_post_pre)
    assert _triplet_expected(rule, *PATTERNS["post-pre-post"]) == pytest.approx(post_pre_post)


@pytest.mark.parametrize("formulation", ["event-driven", "clock-driven"])
@pytest.mark.parametrize("pairing", ["all-to-all", "nearest-spike"])
def test_triplet_rule_matches_hand_computed_values(formulation, pairing):
    rule = dataclasses.replace(PFISTER_GERSTNER_HIPPOCAMPAL_ALL_TO_ALL, pairing=pairing)
    pre, post = _generators([p[0] for p in PATTERNS.values()], [p[1] for p in PATTERNS.values()])
    syn = make_synapses(
        pre, post, rule, target_expression="", connect={"j": "i"}, weights=W0,
        formulation=formulation, dt=DT, name="stdp_triplet_patterns",
    )  # fmt: skip
    _run(pre, post, [syn], 200 * ms)
    expected = W0 + np.array([_triplet_expected(rule, *p) for p in PATTERNS.values()])
    np.testing.assert_allclose(syn.w[:], expected, rtol=1e-10)
    if pairing == "nearest-spike":  # nearest-spike forgets the first of two presynaptic spikes
        all_to_all = dataclasses.replace(rule, pairing="all-to-all")
        k = list(PATTERNS).index("pre-pre-post")
        assert syn.w[k] < W0 + _triplet_expected(all_to_all, *PATTERNS["pre-pre-post"])


# ----------------------------------------------------------------------------------------------
# Diehl & Cook 2015


def test_diehl_cook_signs_values_and_bounds():
    rule = DIEHL_COOK_2015
    nu_pre, nu_post = rule.nu_pre, rule.nu_post
    strong = DiehlCookSTDP(nu_pre=0.5, nu_post=5.0)
    # synapse: (pre spikes, post spikes, initial weight, expected final weight)
    cases = [
        ([102.0], [100.0], 0.5, 0.5 - nu_pre * math.exp(-2 / 20)),  # pre after post: LTD
        ([130.0], [100.0], 0.5, 0.5 - nu_pre * math.exp(-30 / 20)),  # ... scaled by post1
        ([100.0], [110.0], 0.5, 0.5),  # first post spike: post2_before = 0, no LTP
        (
            [100.0], [50.0, 110.0], 0.5,  # post after pre, with an earlier post spike: LTP
            0.5 - nu_pre * math.exp(-50 / 20) + nu_post * math.exp(-10 / 20) * math.exp(-60 / 40),
        ),
    ]  # fmt: skip
    bound_cases = [
        ([102.0], [100.0], 0.1, 0.0),  # strong depression clipped at 0
        ([100.0], [50.0, 101.0], 0.9, 1.0),  # strong potentiation clipped at w_max
    ]
    for rule_, rows in ((rule, cases), (strong, bound_cases)):
        pre, post = _generators([r[0] for r in rows], [r[1] for r in rows])
        syn = make_synapses(
            pre, post, rule_, target_expression="", connect={"j": "i"},
            weights=np.array([r[2] for r in rows]), dt=DT, name="stdp_diehl_cook",
        )  # fmt: skip
        _run(pre, post, [syn], 200 * ms)
        np.testing.assert_allclose(syn.w[:], [r[3] for r in rows], rtol=1e-10, atol=1e-15)
    assert cases[0][3] < 0.5 and cases[3][3] > 0.5  # the signs the paper prescribes


# ----------------------------------------------------------------------------------------------
# Masquelier & Thorpe 2007


@pytest.mark.parametrize("formulation", ["event-driven", "clock-driven"])
def test_masquelier_order_rule(formulation):
    rule = MasquelierThorpeSTDP(a_plus=0.05, a_minus=-0.04, pairing_window=20 * ms)
    w0 = 0.8
    ltp, ltd = w0 + 0.05 * w0 * (1 - w0), w0 - 0.04 * w0 * (1 - w0)
    cases = [  # (pre spikes, expected)
        ([40.0], ltp),  # pre before post
        ([50.0], ltp),  # same time step: "no later than"
        ([60.0], ltd),  # pre after post
        ([], ltd),  # pre silent
        ([25.0], ltd),  # pre too early: outside the pairing window (previous stimulus)
    ]
    pre, post = _generators([c[0] for c in cases], [[50.0]])
    syn = make_synapses(
        pre, post, rule, target_expression="", weights=w0, formulation=formulation, dt=DT,
        name="stdp_masquelier",
    )
    _run(pre, post, [syn], 100 * ms)
    np.testing.assert_allclose(syn.w[:], [c[1] for c in cases], rtol=1e-12)
