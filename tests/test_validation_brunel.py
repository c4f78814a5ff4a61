"""Siegert mean field and Brunel (2000) network states."""

import numpy as np
import pytest
from bioneuro.protocols.brunel import BrunelParameters, simulate_brunel, synchrony_chi
from brian2 import Hz, ms, mV

from bioneuro.analysis.mean_field import (
    BrunelNetworkMoments,
    brunel_input_moments,
    brunel_rate,
    siegert_rate,
)


def test_siegert_tends_to_deterministic_lif_rate_for_small_noise():
    # Oracle: for sigma -> 0 and mu > theta the Siegert rate is the deterministic LIF rate
    # 1 / (t_ref + tau ln((mu - V_r) / (mu - theta))).
    tau, t_ref, theta, v_r, mu = 0.02, 0.002, 0.02, 0.01, 0.03
    expected = 1 / (t_ref + tau * np.log((mu - v_r) / (mu - theta)))
    assert siegert_rate(mu, 1e-5, tau, theta, v_r, t_ref) == pytest.approx(expected, rel=1e-3)
    assert siegert_rate(0.01, 1e-4, tau, theta, v_r, t_ref) == 0.0  # far below threshold, no noise


def _monte_carlo_rate(rng, mu, sigma, tau, theta, v_r, t_ref, dt, duration, n, skip):
    """Euler-Maruyama simulation of tau dV/dt = -V + mu + sigma sqrt(tau) xi with threshold and reset."""
    v = rng.uniform(v_r, theta, n)
    hold = np.zeros(n, dtype=int)
    ref_steps = int(round(t_ref / dt))
    count = 0
    steps, first = int(round(duration / dt)), int(round(skip / dt))
    for step in range(steps):
        free = hold == 0
        v = np.where(free, v + dt / tau * (mu - v) + sigma * np.sqrt(dt / tau) * rng.standard_normal(n), v)
        hold = np.maximum(hold - 1, 0)
        fired = v >= theta
        if step >= first:
            count += fired.sum()
        v[fired] = v_r
        hold[fired] = ref_steps
    return count / (n * (duration - skip))


def test_siegert_matches_monte_carlo_lif():
    # Second formulation: Euler-Maruyama simulation of the same diffusion. Detecting threshold crossings
    # on a grid delays spikes by O(sqrt(dt)) (Brunel & Hakim 1999), so the rate is extrapolated to dt -> 0
    # from dt = 80 us and 20 us (r0 = 2 r(dt) - r(4 dt)). Tolerance 5 % (statistical error ~2 %).
    rng = np.random.default_rng(1)
    tau, t_ref, theta, v_r, mu, sigma = 0.02, 0.002, 0.02, 0.01, 0.015, 0.005
    fine = _monte_carlo_rate(rng, mu, sigma, tau, theta, v_r, t_ref, 2e-5, 1.0, 2000, 0.1)
    coarse = _monte_carlo_rate(rng, mu, sigma, tau, theta, v_r, t_ref, 8e-5, 1.0, 2000, 0.1)
    assert 2 * fine - coarse == pytest.approx(siegert_rate(mu, sigma, tau, theta, v_r, t_ref), rel=0.05)


def test_brunel_input_moments_closed_form():
    # Brunel 2000 eqs. 4-5 at nu = 0: mu = C J tau nu_ext, sigma^2 = J^2 C tau nu_ext.
    net = BrunelNetworkMoments(1000, 0.25, 1e-4, 5.0, 20.0, 0.02, 0.002, 0.02, 0.01)
    mu, sigma = brunel_input_moments(net, 0.0)
    assert mu == pytest.approx(1000 * 1e-4 * 0.02 * 20)
    assert sigma == pytest.approx(np.sqrt(1e-8 * 1000 * 0.02 * 20))
    rate = brunel_rate(net)
    mu, sigma = brunel_input_moments(net, rate)
    assert siegert_rate(mu, sigma, 0.02, 0.02, 0.01, 0.002) == pytest.approx(rate, rel=1e-8)


def test_synchrony_chi_limits():
    # Identical trains: chi = 1; independent Poisson trains: chi ~ 1 / sqrt(N).
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0, 1, 50))
    ids = np.repeat(np.arange(10), 50)
    assert synchrony_chi(ids, np.tile(times, 10), 10, 0.0, 1.0) == pytest.approx(1.0)
    n = 400
    ids = rng.integers(0, n, 20000)
    chi = synchrony_chi(ids, rng.uniform(0, 1, 20000), n, 0.0, 1.0)
    assert chi == pytest.approx(1 / np.sqrt(n), rel=0.2)


def test_brunel_asynchronous_irregular_rate_matches_mean_field():
    # Brunel 2000, state C (g = 5, eta = 2; Fig. 8C) in the asynchronous irregular regime: the population
    # rate agrees with the Siegert self-consistent rate (eqs. 4-5, 21). Reduced network (4000 + 1000
    # neurons, C_E = 1000 as in the paper). Tolerance 10 % (finite size, delta synapses, 400 ms).
    params = BrunelParameters(state="C", duration=400 * ms)
    result = simulate_brunel(params, seed=3)
    assert float(result.mean_field_rate / Hz) == pytest.approx(37.95, abs=0.05)
    assert float(result.rate / result.mean_field_rate) == pytest.approx(1, abs=0.10)
    assert result.mean_cv > 0.3  # irregular
    assert result.chi < 0.3  # asynchronous


@pytest.mark.long
@pytest.mark.standalone
def test_brunel_paper_size_states(tmp_path):
    # Paper size (N_E = 10000, eps = 0.1), C++ standalone. State C: rate within 10 % of mean field, irregular,
    # asynchronous; state A (g = 3, eta = 2): synchronous and regular (Brunel 2000, Fig. 8A).
    c = simulate_brunel(BrunelParameters(state="C", n_exc=10000, connectivity=0.1, duration=600 * ms),
                        device="standalone", cache_dir=tmp_path)
    assert float(c.rate / c.mean_field_rate) == pytest.approx(1, abs=0.10)
    assert c.chi < 0.3
    a = simulate_brunel(BrunelParameters(state="A", n_exc=10000, connectivity=0.1, duration=300 * ms),
                        device="standalone", cache_dir=tmp_path)
    assert a.chi > c.chi and a.mean_cv < c.mean_cv
    assert float(BrunelParameters(state="C").efficacy / mV) == 0.1
