"""STDP pairing window (Bi & Poo 1998) and frequency dependence (Sjöström 2001) protocols."""

import numpy as np
import pytest
from bioneuro.protocols._pairing import PLASTIC_RULES
from bioneuro.protocols.frequency_dependence import frequency_dependence, sjostrom_sign_pattern
from bioneuro.protocols.stdp_window import ExponentialWindow, fit_exponential_window, stdp_window
from brian2 import Hz, ms

from bioneuro.config import resolve_parameters
from bioneuro.registry import get_runnable
from bioneuro.runner import RunContext

DELTA_T = np.array([-100, -60, -40, -30, -20, -10, -5, -2, 2, 5, 10, 20, 30, 40, 60, 100]) * ms


def test_fit_recovers_a_synthetic_window():
    truth = ExponentialWindow(0.8, 16.8 * ms, 0.3, 33.7 * ms)
    fit = fit_exponential_window(DELTA_T, truth(DELTA_T))
    assert fit.a_plus == pytest.approx(0.8, rel=1e-6)
    assert float(fit.tau_minus / ms) == pytest.approx(33.7, rel=1e-6)


def test_pair_rule_window_fits_back_configured_time_constants():
    # Oracle: the configured rule (Bi & Poo 2001 fit: tau+ 16.8 ms, tau- 33.7 ms; additive, per-pair amplitudes
    # 0.777/60 and 0.273/60). Pairings 500 ms apart do not interact (exp(-500/33.7) ~ 4e-7), so n pairings
    # change the weight by n times the rule's window: the fit must return tau+-, within 2 %, and the
    # amplitudes n * A+-.
    rule = PLASTIC_RULES["bi-poo-additive"]
    result = stdp_window(rule, DELTA_T, n_pairings=4, pairing_rate=2 * Hz)
    assert float(result.fit.tau_plus / ms) == pytest.approx(16.8, rel=0.02)
    assert float(result.fit.tau_minus / ms) == pytest.approx(33.7, rel=0.02)
    assert result.fit.a_plus == pytest.approx(4 * 0.777 / 60, rel=0.02)
    assert result.fit.a_minus == pytest.approx(4 * 0.273 / 60, rel=0.02)


def test_soft_bound_window_matches_closed_form():
    # Oracle: with soft bounds the update depends on w, and n isolated pre-before-post pairings give
    # w_n = w_max - (w_max - w0) (1 - a x)^n with a = A+ / (w_max - w_min), x = exp(-dt / tau+).
    rule = PLASTIC_RULES["bi-poo"]
    result = stdp_window(rule, np.array([-10, -5, 5, 10]) * ms, n_pairings=3, pairing_rate=2 * Hz)
    a = rule.A_plus / (rule.w_max - 0.0)
    for k, d in ((2, 5.0), (3, 10.0)):
        x = np.exp(-d / 16.8)
        expected = rule.w_max - (rule.w_max - 1.0) * (1 - a * x) ** 3
        assert result.final_weights[k] == pytest.approx(expected, rel=1e-6)


def test_runnable_stdp_window():
    runnable = get_runnable("stdp-window")
    params = resolve_parameters(runnable.parameters, assignments=["n_pairings=2", "pairing_rate=4 Hz",
                                                                   "delta_t=-40 ms,-20 ms,-5 ms,5 ms,20 ms,40 ms"])
    record = runnable.execute(params, RunContext(seed=0, progress=False))
    assert record.metrics["fit_tau_plus_ms"] == pytest.approx(16.8, rel=0.02)
    assert "stdp_window" in runnable.figures(record)


def test_triplet_rule_reproduces_sjostrom_sign_pattern_and_pair_rule_does_not():
    # Sjöström, Turrigiano & Nelson 2001 (Neuron 32:1149): +10 ms potentiation grows with frequency,
    # -10 ms depresses at 0.1-20 Hz and potentiates at 40-50 Hz. Triplet rule with Pfister & Gerstner
    # (2006, Table 4) visual-cortex all-to-all parameters reproduces it; the pair rule (Bi & Poo window)
    # cannot (its +10 ms potentiation shrinks with frequency). 1 Hz stands in for 0.1 Hz: all traces
    # (tau <= 125 ms) vanish between pairs 1 s apart (exp(-8)), so both give the same change.
    # 40 continuous pairs (the validation uses 75 and 0.1 Hz).
    frequencies = np.array([1, 10, 20, 40, 50]) * Hz
    triplet = frequency_dependence(PLASTIC_RULES["triplet-visual"], frequencies, pairs_per_train=40)
    pair = frequency_dependence(PLASTIC_RULES["bi-poo-additive"], frequencies, pairs_per_train=40)
    assert sjostrom_sign_pattern(triplet)["all"]
    assert not sjostrom_sign_pattern(pair)["all"]
    assert not sjostrom_sign_pattern(pair)["plus_grows"]
