"""Short-term plasticity protocol against the Tsodyks-Markram recursion (Maass et al. 2002, Appendix B)."""

import numpy as np
import pytest
from bioneuro.protocols.short_term import STP_SYNAPSES, steady_state_amplitude, train_responses
from brian2 import Hz

from bioneuro.config import resolve_parameters
from bioneuro.registry import get_runnable
from bioneuro.runner import RunContext

RATES = np.array([5.0, 20.0, 50.0]) * Hz


def _recursion(synapse, rate_hz, n):
    """u_1 = U, R_1 = 1, u_{n+1} = U + u_n (1 - U) e^{-T/F}, R_{n+1} = 1 + (R_n - u_n R_n - 1) e^{-T/D}."""
    interval = 1 / rate_hz
    decay_f = np.exp(-interval / float(synapse.tau_facil / (1 * Hz) ** -1))
    decay_d = np.exp(-interval / float(synapse.tau_rec / (1 * Hz) ** -1))
    u, r, out = synapse.U, 1.0, []
    for _ in range(n):
        out.append(u * r)
        u, r = synapse.U + u * (1 - synapse.U) * decay_f, 1 + (r - u * r - 1) * decay_d
    return np.array(out)


@pytest.mark.parametrize("name", ["depressing", "facilitating"])
def test_amplitudes_follow_the_recursion(name):
    # Oracle: the recursion of Maass, Natschläger & Markram (2002, Appendix B); intervals are exact
    # multiples of dt, so agreement is to rounding.
    synapse = STP_SYNAPSES[name]
    response = train_responses(synapse, RATES, 10)
    for k, rate in enumerate(np.asarray(RATES / Hz)):
        assert np.allclose(response.amplitudes[k], _recursion(synapse, rate, 10), rtol=1e-6)


def test_steady_state_and_transient_signatures():
    # Closed-form fixed point: reached within 1e-3 after 40 spikes by the depressing synapse; the facilitating
    # one (F = 1.2 s) is still 1 % short of it after 40 spikes (0.8 s at 50 Hz), hence 2 %. Depressing synapse: PPR < 1 and steady state falling
    # with rate; facilitating synapse (U 0.05, F 1.2 s): PPR > 1 at every rate.
    dep = train_responses(STP_SYNAPSES["depressing"], RATES, 40)
    fac = train_responses(STP_SYNAPSES["facilitating"], RATES, 40)
    assert np.allclose(dep.steady_state, steady_state_amplitude(STP_SYNAPSES["depressing"], RATES), rtol=1e-3)
    assert np.allclose(fac.steady_state, steady_state_amplitude(STP_SYNAPSES["facilitating"], RATES), rtol=2e-2)
    assert np.all(dep.paired_pulse_ratio < 1) and np.all(np.diff(dep.steady_state) < 0)
    assert np.all(fac.paired_pulse_ratio > 1)


def test_clock_driven_formulation_agrees():
    # Second formulation: u and x integrated every step (exact method) instead of at events.
    synapse = STP_SYNAPSES["depressing"]
    a = train_responses(synapse, RATES, 8).amplitudes
    b = train_responses(synapse, RATES, 8, formulation="clock-driven").amplitudes
    assert np.allclose(a, b, rtol=1e-4)


def test_runnable():
    runnable = get_runnable("short-term-plasticity")
    params = resolve_parameters(runnable.parameters, assignments=["n_spikes=5", "rates=10 Hz,40 Hz"])
    record = runnable.execute(params, RunContext(seed=0, progress=False))
    assert record.metrics["depressing_ppr_10Hz"] < 1 < record.metrics["facilitating_ppr_10Hz"]
    assert "short_term_plasticity" in runnable.figures(record)
