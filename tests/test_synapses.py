"""Static synapses, the make_synapses factory and input validation of bioneuro.synapses."""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms, mV, nA, nS

from bioneuro.synapses import (
    DELTA_TARGET,
    DIEHL_COOK_2015,
    FORMULATIONS,
    PFISTER_GERSTNER_VISUAL_ALL_TO_ALL,
    SONG_MILLER_ABBOTT_2000,
    DiehlCookSTDP,
    MasquelierThorpeSTDP,
    PairSTDP,
    StaticSynapse,
    TripletSTDP,
    TsodyksMarkram,
    make_synapses,
    target_expression_for,
)

DT = 0.1 * ms


def _pre(times_ms, n=1, indices=None, name="syn_test_pre"):
    indices = np.zeros(len(times_ms), int) if indices is None else np.asarray(indices)
    return b2.SpikeGeneratorGroup(n, indices, np.asarray(times_ms) * ms, dt=DT, name=name)


def test_delta_synapse_jumps_membrane_potential():
    pre = _pre([5.0, 10.0, 12.0])
    post = b2.NeuronGroup(2, "v : volt", dt=DT, name="syn_test_delta_post")
    syn = make_synapses(
        pre, post, StaticSynapse(mV), target_expression=DELTA_TARGET,
        weights=np.array([2.0, -0.5]) * mV, dt=DT, name="syn_test_delta",
    )  # fmt: skip
    b2.Network(pre, post, syn).run(20 * ms)
    np.testing.assert_allclose(post.v[:] / mV, [6.0, -1.5], rtol=1e-12)


def test_exponential_current_synapse_with_delay_is_analytic():
    # The decay lives in the neuron: I(t) = w exp(-(t - t_arrival)/tau) after one spike.
    tau = 3 * ms
    post = b2.NeuronGroup(
        1, "dI_syn_exc/dt = -I_syn_exc / tau_syn : amp", method="exact", dt=DT,
        namespace={"tau_syn": tau}, name="syn_test_exp_post",
    )  # fmt: skip
    pre = _pre([5.0])
    syn = make_synapses(
        pre, post, StaticSynapse(nA), target_expression=target_expression_for({"exc": "I_syn_exc"}),
        weights=2 * nA, delays=1.5 * ms, dt=DT, name="syn_test_exp",
    )  # fmt: skip
    # Recorded at the end of each step, after that step's synaptic events.
    monitor = b2.StateMonitor(
        post, "I_syn_exc", record=0, when="end", dt=DT, name="syn_test_exp_monitor"
    )
    b2.Network(pre, post, syn, monitor).run(20 * ms)
    t = np.asarray(monitor.t / ms)
    arrival = 5.0 + 1.5
    expected = np.where(t >= arrival - 1e-9, 2.0 * np.exp(-(t - arrival) / 3.0), 0.0)
    np.testing.assert_allclose(np.asarray(monitor.I_syn_exc[0] / nA), expected, atol=1e-12)


def test_target_expression_for_neuron_inputs():
    class Model:
        synaptic_inputs = {"exc": "g_exc", "inh": "g_inh"}

    assert target_expression_for(Model(), "inh") == "g_inh_post += w"
    assert target_expression_for({"exc": "I_syn_exc"}, weight="w * scale") == (
        "I_syn_exc_post += w * scale"
    )
    with pytest.raises(ValueError, match="'nmda'"):
        target_expression_for(Model(), "nmda")


def test_plastic_weight_drives_conductance_through_namespace_scale():
    # Dimensionless plastic weight scaled into siemens by an extra namespace symbol.
    post = b2.NeuronGroup(
        1, "g_exc : siemens", threshold="False", dt=DT, name="syn_test_scale_target"
    )
    pre = _pre([1.0])
    syn = make_synapses(
        pre, post, SONG_MILLER_ABBOTT_2000, target_expression="g_exc_post += w * g_peak",
        weights=0.25, namespace={"g_peak": 4 * nS}, dt=DT, name="syn_test_scale",
    )  # fmt: skip
    b2.Network(pre, post, syn).run(3 * ms)
    assert post.g_exc[0] / nS == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    ("connect", "n_expected"),
    [(True, 6), ("i == j", 2), ({"p": 1.0}, 6), (([0, 1], [2, 2]), 2)],
)
def test_connect_forms(connect, n_expected):
    pre = _pre([], n=2)
    post = b2.NeuronGroup(3, "g_exc : siemens", dt=DT, name="syn_test_connect_post")
    syn = make_synapses(pre, post, StaticSynapse(nS), connect=connect, weights=1 * nS, dt=DT)
    assert len(syn) == n_expected
    b2.Network(pre, post, syn).run(0 * ms)  # keeps Brian's "unused object" warning quiet


@pytest.mark.parametrize(
    "rule",
    [StaticSynapse(), SONG_MILLER_ABBOTT_2000, PFISTER_GERSTNER_VISUAL_ALL_TO_ALL, DIEHL_COOK_2015,
     MasquelierThorpeSTDP(), TsodyksMarkram()],  # fmt: skip
    ids=lambda r: type(r).__name__,
)
@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_every_rule_builds_brian_equations(rule, formulation):
    eqs = rule.equations("g_exc_post += w", formulation)
    b2.Equations(eqs.model)  # parses
    assert "g_exc_post" in eqs.on_pre
    if not isinstance(rule, StaticSynapse | TsodyksMarkram | MasquelierThorpeSTDP):
        assert f"({formulation})" in eqs.model


# ----------------------------------------------------------------------------------------------
# Bad inputs raise ValueError naming the value.


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PairSTDP(tau_plus=-5 * ms), r"tau_plus.*-5\. \* msecond"),
        (lambda: PairSTDP(tau_minus=0 * ms), r"tau_minus.*0\.0? \* (m)?second"),
        (lambda: PairSTDP(tau_plus=20 * mV), r"tau_plus.*20\. \* mvolt"),
        (lambda: PairSTDP(tau_plus=20), r"tau_plus.*20"),
        (lambda: PairSTDP(A_plus=0.01 * nS), r"A_plus.*10\. \* psiemens"),
        (lambda: PairSTDP(A_minus=-0.01), r"A_minus.*-0\.01"),
        (lambda: PairSTDP(pairing="nearest"), r"'nearest'"),
        (lambda: PairSTDP(bounds="multiplicative"), r"'multiplicative'"),
        (lambda: PairSTDP(w_min=2.0, w_max=1.0), r"w_min.*2\.0"),
        (lambda: TripletSTDP(tau_y=-1 * ms), r"tau_y.*-1\. \* msecond"),
        (lambda: TripletSTDP(A3_plus=1 * mV), r"A3_plus.*mvolt"),
        (lambda: DiehlCookSTDP(tau_post2=-40 * ms), r"tau_post2.*-40\. \* msecond"),
        (lambda: DiehlCookSTDP(nu_pre=-1e-4), r"nu_pre.*-0\.0001"),
        (lambda: MasquelierThorpeSTDP(a_minus=0.003), r"a_minus.*0\.003"),
        (lambda: MasquelierThorpeSTDP(pairing_window=-1 * ms), r"pairing_window.*-1\."),
        (lambda: TsodyksMarkram(U=1.5), r"U.*1\.5"),
        (lambda: TsodyksMarkram(tau_rec=-100 * ms), r"tau_rec.*-100\. \* msecond"),
        (lambda: TsodyksMarkram(tau_facil=50 * mV), r"tau_facil.*50\. \* mvolt"),
        (lambda: PairSTDP(tau_plus=float("nan") * ms), r"tau_plus.*nan"),
    ],
)
def test_bad_parameters_raise_value_error_naming_the_value(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    "rule", [StaticSynapse(), PairSTDP(), TripletSTDP(), DiehlCookSTDP(), MasquelierThorpeSTDP(),
             TsodyksMarkram()], ids=lambda r: type(r).__name__,  # fmt: skip
)
def test_unknown_formulation_raises(rule):
    with pytest.raises(ValueError, match="'implicit'"):
        rule.equations("g_exc_post += w", "implicit")


def test_make_synapses_rejects_bad_arguments():
    pre = _pre([], n=2)
    post = b2.NeuronGroup(2, "g_exc : siemens", dt=DT, name="syn_test_bad_post")
    with pytest.raises(ValueError, match="'clockdriven'"):
        make_synapses(pre, post, PairSTDP(), formulation="clockdriven")
    with pytest.raises(ValueError, match=r"weights.*2\. \* mvolt"):
        make_synapses(pre, post, StaticSynapse(nS), weights=2 * mV)
    with pytest.raises(ValueError, match=r"weights.*0\.5"):
        make_synapses(pre, post, StaticSynapse(nS), weights=0.5)  # units missing
    with pytest.raises(ValueError, match=r"delays.*-1\. \* msecond"):
        make_synapses(pre, post, StaticSynapse(nS), weights=1 * nS, delays=-1 * ms)
    with pytest.raises(ValueError, match=r"delays.*3\. \* mvolt"):
        make_synapses(pre, post, StaticSynapse(nS), weights=1 * nS, delays=3 * mV)
    with pytest.raises(ValueError, match="'A_plus'"):
        make_synapses(pre, post, PairSTDP(), namespace={"A_plus": 1.0})
    with pytest.raises(ValueError, match=r"\['all'\]"):
        make_synapses(pre, post, StaticSynapse(nS), connect=["all"])
    with pytest.raises(TypeError, match="42"):
        PairSTDP().equations(42)
    b2.Network(pre, post).run(0 * ms)  # keeps Brian's "unused object" warning quiet


def test_presets_are_the_published_values():
    # Song, Miller & Abbott 2000: A-/A+ = 1.05, tau 20 ms; Diehl & Cook 2015 released code.
    assert SONG_MILLER_ABBOTT_2000.A_minus / SONG_MILLER_ABBOTT_2000.A_plus == pytest.approx(1.05)
    assert DIEHL_COOK_2015 == DiehlCookSTDP(nu_pre=1e-4, nu_post=1e-2)
    assert PFISTER_GERSTNER_VISUAL_ALL_TO_ALL.tau_x == 101 * ms
