"""Encoders: Poisson statistics, latency and rank order, current waveforms."""

import brian2 as b2
import numpy as np
import pytest
from brian2 import Hz, cm, ms, nA, second, uA
from scipy import stats

from bioneuro.encoders import (
    CurrentWaveform,
    intensity_to_rates,
    latency_code,
    ornstein_uhlenbeck_current,
    poisson_group_spec,
    poisson_spike_arrays,
    poisson_spike_sequence,
    ramp_current,
    rank_order_code,
    step_current,
    white_noise_current,
)

# ---------------------------------------------------------------- Poisson rate coding


def test_intensity_to_rates_is_linear_with_full_scale():
    image = np.array([[0, 51], [102, 255]], dtype=np.uint8)
    rates = intensity_to_rates(image, 63.75 * Hz)
    np.testing.assert_allclose(rates / Hz, [0, 12.75, 25.5, 63.75])
    np.testing.assert_allclose(intensity_to_rates(np.array([0.5, 1.0]), 10 * Hz) / Hz, [5, 10])
    with pytest.raises(ValueError, match="lie in"):
        intensity_to_rates(np.array([1.5]), 10 * Hz)
    with pytest.raises(TypeError, match="Hz"):
        intensity_to_rates(np.array([0.5]), 10 * ms)
    with pytest.raises(ValueError, match="non-negative"):
        intensity_to_rates(np.array([0.5]), -10 * Hz)


def test_poisson_group_spec_builds_group_with_rates():
    spec = poisson_group_spec(np.array([0, 128, 255], dtype=np.uint8), 100 * Hz)
    group = spec.make_group(dt=0.5 * ms)
    assert spec.n_inputs == 3 and len(group) == 3
    np.testing.assert_allclose(group.rates[:] / Hz, np.array([0, 128, 255]) / 255 * 100)


@pytest.mark.parametrize(("rate", "dt"), [(40 * Hz, 0.5 * ms), (1200 * Hz, 0.5 * ms)])
def test_poisson_counts_have_binomial_mean_and_variance(rate, dt):
    # Oracle: per-step Bernoulli(p = rate dt) (the law of brian2.PoissonGroup), so the count in
    # n steps is Binomial(n, p): mean n p, variance n p (1 - p). 2000 inputs; tolerance 4 standard
    # errors of the sample mean and of the sample variance. The second case (p = 0.6) exercises the
    # dense path.
    n_inputs, duration = 2000, 1 * second
    indices, times = poisson_spike_arrays(np.full(n_inputs, float(rate / Hz)) * Hz, duration, dt, seed=3)
    counts = np.bincount(indices, minlength=n_inputs)
    n, p = int(round(float(duration / dt))), float(rate * dt)
    mean, variance = n * p, n * p * (1 - p)
    assert abs(counts.mean() - mean) < 4 * np.sqrt(variance / n_inputs)
    assert abs(counts.var(ddof=1) - variance) < 4 * variance * np.sqrt(2 / (n_inputs - 1))
    # on the grid, at most one spike per input and step, sorted by time
    steps = np.round(np.asarray(times / dt)).astype(np.int64)
    np.testing.assert_allclose(np.asarray(times / dt), steps, atol=1e-9)
    assert len(np.unique(steps * n_inputs + indices)) == len(indices)
    assert np.all(np.diff(steps) >= 0)
    assert steps.min() >= 0 and steps.max() < n


def test_precomputed_spikes_follow_the_law_of_poisson_group():
    # Oracle: a second formulation; brian2.PoissonGroup with the same rates and dt. Both counts are
    # Binomial(n, rate dt): the difference of the sample means has standard error
    # sqrt(2 var / n_inputs); tolerance 4 SE; the variances agree within 4 SE of their difference.
    n_inputs, rate, dt, duration = 1000, 40 * Hz, 0.5 * ms, 1 * second
    rates = np.full(n_inputs, float(rate / Hz)) * Hz
    group = poisson_group_spec(np.ones(n_inputs), rate).make_group(dt=dt)
    monitor = b2.SpikeMonitor(group)
    b2.seed(21)
    b2.Network(group, monitor).run(duration)
    brian_counts = np.asarray(monitor.count[:], dtype=float)
    indices, _ = poisson_spike_arrays(rates, duration, dt, seed=21)
    our_counts = np.bincount(indices, minlength=n_inputs).astype(float)
    n, p = 2000, float(rate * dt)
    variance = n * p * (1 - p)
    assert abs(our_counts.mean() - brian_counts.mean()) < 4 * np.sqrt(2 * variance / n_inputs)
    difference_se = variance * np.sqrt(2 * 2 / (n_inputs - 1))
    assert abs(our_counts.var(ddof=1) - brian_counts.var(ddof=1)) < 4 * difference_se


def test_poisson_spike_times_are_uniform_and_seeded():
    # Oracle: given the count, the spike steps of a homogeneous process are uniform (KS test on the
    # pooled times; p > 1e-3) and the same seed gives the same spikes.
    rates = np.full(500, 20.0) * Hz
    indices, times = poisson_spike_arrays(rates, 2 * second, 0.1 * ms, seed=11)
    assert stats.kstest(np.asarray(times / second) / 2.0, "uniform").pvalue > 1e-3
    again = poisson_spike_arrays(rates, 2 * second, 0.1 * ms, seed=11)
    np.testing.assert_array_equal(indices, again[0])
    np.testing.assert_array_equal(np.asarray(times), np.asarray(again[1]))
    other = poisson_spike_arrays(rates, 2 * second, 0.1 * ms, seed=12)
    assert len(other[0]) != len(indices) or not np.array_equal(other[0], indices)


def test_poisson_zero_rate_and_per_input_rates():
    # Oracle: a zero rate never spikes; mean counts follow each input's rate (4 SE).
    rates = np.array([0.0, 5.0, 50.0]) * Hz
    generator = np.random.default_rng(5)
    totals = np.zeros(3)
    repeats = 200
    for _ in range(repeats):
        indices, _ = poisson_spike_arrays(rates, 1 * second, 1 * ms, seed=generator)
        totals += np.bincount(indices, minlength=3)
    means = totals / repeats
    assert means[0] == 0
    for k in (1, 2):
        p = float(rates[k] * ms)
        assert abs(means[k] - 1000 * p) < 4 * np.sqrt(1000 * p * (1 - p) / repeats)


def test_poisson_sequence_respects_presentation_windows():
    rates = np.array([[100.0, 0.0], [0.0, 100.0], [0.0, 0.0]]) * Hz
    indices, times = poisson_spike_sequence(
        rates, 350 * ms, 0.5 * ms, seed=2, rest_duration=150 * ms
    )
    t = np.asarray(times / ms)
    assert np.all(np.diff(t) >= 0)
    first, second_ = (t < 500), (t >= 500) & (t < 1000)
    assert np.all(indices[first] == 0) and np.all(t[first] < 350)
    assert np.all(indices[second_] == 1) and np.all(t[second_] < 850)
    assert not np.any(t >= 1000)
    assert first.sum() > 10 and second_.sum() > 10


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"rates": [1, -1] * Hz}, ValueError, "non-negative"),
        ({"rates": [1, 2] * ms}, TypeError, "Hz"),
        ({"duration": -1 * second}, ValueError, "positive"),
        ({"duration": 1.25 * ms, "dt": 0.5 * ms}, ValueError, "multiple"),
        ({"rates": [3000, 1] * Hz}, ValueError, "exceed 1"),
        ({"seed": -1}, TypeError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_poisson_bad_inputs(kwargs, error, text):
    arguments = {"rates": [1, 2] * Hz, "duration": 1 * second, "dt": 0.5 * ms, "seed": 0}
    arguments.update(kwargs)
    seed = arguments.pop("seed")
    with pytest.raises(error, match=text):
        poisson_spike_arrays(**arguments, seed=seed)


# ---------------------------------------------------------------- latency and rank order


def test_latency_code_orders_stronger_earlier():
    # Oracle: t = t_min + (1 - x / x_max)(t_max - t_min); below-threshold inputs stay silent; one spike
    # per active input.
    values = np.array([0.2, 0.0, 1.0, 0.6, 0.05])
    indices, times = latency_code(values, 10 * ms, min_latency=2 * ms, threshold=0.1)
    np.testing.assert_array_equal(indices, [2, 3, 0])
    np.testing.assert_allclose(times / ms, [2.0, 2 + 0.4 * 8, 2 + 0.8 * 8])
    assert len(np.unique(indices)) == len(indices)


def test_latency_code_edge_cases():
    indices, times = latency_code(np.zeros(4), 10 * ms)
    assert len(indices) == 0 and len(times) == 0
    with pytest.raises(ValueError, match="max_value"):
        latency_code(np.array([2.0]), 10 * ms, max_value=1.0)
    with pytest.raises(ValueError, match="min_latency"):
        latency_code(np.array([1.0]), 1 * ms, min_latency=2 * ms)
    with pytest.raises(ValueError, match="non-negative"):
        latency_code(np.array([-1.0]), 1 * ms)


def test_rank_order_code():
    # Oracle: the r-th strongest input spikes at t_start + r * interval; ties by index.
    indices, times = rank_order_code([0.3, 0.9, 0.0, 0.9, 0.5], 1 * ms, t_start=5 * ms)
    np.testing.assert_array_equal(indices, [1, 3, 4, 0])
    np.testing.assert_allclose(times / ms, [5, 6, 7, 8])
    with pytest.raises(ValueError, match="positive"):
        rank_order_code([1.0], 0 * ms)


# ---------------------------------------------------------------- current waveforms


def test_step_and_ramp_values():
    step = step_current(2 * nA, 1 * ms, 3 * ms, 5 * ms, 0.5 * ms, baseline=0.5 * nA)
    np.testing.assert_allclose(step.values / nA, [0.5, 0.5, 2, 2, 2, 2, 0.5, 0.5, 0.5, 0.5])
    assert step.duration == 5 * ms
    ramp = ramp_current(1 * nA, 3 * nA, 1 * ms, 3 * ms, 4 * ms, 0.5 * ms)
    np.testing.assert_allclose(ramp.values / nA, [0, 0, 1, 1.5, 2, 2.5, 0, 0])
    density = step_current(20 * uA / cm**2, 0 * ms, 1 * ms, 2 * ms, 1 * ms)
    np.testing.assert_allclose(density.values / (uA / cm**2), [20, 0])


def test_timed_array_returns_sample_values():
    # Oracle: sample k is the value at t = k dt. A simulation reads a TimedArray only on its time grid, and
    # brian2.TimedArray rounds t to the nearest grid point of the simulation clock (so off-grid times such as
    # 2.99 ms are not meaningful); the pulse is on for the grid points 1.0 ... 2.5 ms.
    step = step_current(2 * nA, 1 * ms, 3 * ms, 5 * ms, 0.5 * ms)
    array = step.to_timed_array()
    assert array(0.5 * ms) == 0 * nA
    assert array(1.0 * ms) == 2 * nA
    assert array(2.5 * ms) == 2 * nA
    assert array(3.0 * ms) == 0 * nA


def test_white_noise_statistics():
    # Oracle: i.i.d. N(mean, std**2) samples; 4 standard errors on the mean and the variance.
    noise = white_noise_current(1 * nA, 0.5 * nA, 2 * second, 0.1 * ms, seed=4)
    x = np.asarray(noise.values / nA)
    n = len(x)
    assert abs(x.mean() - 1) < 4 * 0.5 / np.sqrt(n)
    assert abs(x.var() - 0.25) < 4 * 0.25 * np.sqrt(2 / n)
    assert abs(np.corrcoef(x[1:], x[:-1])[0, 1]) < 4 / np.sqrt(n)


def test_ornstein_uhlenbeck_statistics():
    # Oracle: stationary mean and std, lag-k autocorrelation exp(-k dt / tau); independent channels.
    # Effective sample size n (1 - rho) / (1 + rho) for the standard error of the mean.
    tau, dt = 5 * ms, 0.1 * ms
    noise = ornstein_uhlenbeck_current(
        0.3 * nA, 0.2 * nA, tau, 20 * second, dt, seed=9, n_channels=2
    )
    x = np.asarray(noise.values / nA)
    rho = np.exp(-float(dt / tau))
    n_effective = x.shape[0] * (1 - rho) / (1 + rho)
    for channel in range(2):
        series = x[:, channel]
        assert abs(series.mean() - 0.3) < 4 * 0.2 / np.sqrt(n_effective)
        assert abs(series.std() - 0.2) < 0.02
        for lag in (1, 50):
            r = np.corrcoef(series[lag:], series[:-lag])[0, 1]
            assert abs(r - rho**lag) < 0.03, (lag, r, rho**lag)
    assert abs(np.corrcoef(x[:, 0], x[:, 1])[0, 1]) < 0.05


@pytest.mark.parametrize(
    ("factory", "error", "text"),
    [
        (lambda: step_current(1 * nA, 0 * ms, 1 * ms, -5 * ms, 0.1 * ms), ValueError, "positive"),
        (lambda: step_current(1 * nA, 3 * ms, 1 * ms, 5 * ms, 0.1 * ms), ValueError, "t_start"),
        (lambda: step_current(1 * nA, 0 * ms, 6 * ms, 5 * ms, 0.1 * ms), ValueError, "duration"),
        (lambda: step_current(1 * b2.mV, 0 * ms, 1 * ms, 5 * ms, 0.1 * ms), TypeError, "current"),
        (lambda: step_current(1 * nA, 0 * ms, 1 * ms, 5 * ms, 0 * ms), ValueError, "positive"),
        (lambda: ramp_current(1 * nA, 1 * uA / cm**2, 0 * ms, 1 * ms, 2 * ms, 1 * ms), TypeError,
         "dimensions"),
        (lambda: white_noise_current(1 * nA, -1 * nA, 1 * ms, 0.1 * ms, seed=0), ValueError,
         "non-negative"),
        (lambda: ornstein_uhlenbeck_current(1 * nA, 1 * nA, 0 * ms, 1 * ms, 0.1 * ms, seed=0),
         ValueError, "positive"),
        (lambda: white_noise_current(1 * nA, 1 * nA, 1 * ms, 0.1 * ms, seed=0, n_channels=0),
         ValueError, "n_channels"),
        (lambda: CurrentWaveform(np.zeros((2, 2, 2)) * nA, 1 * ms), ValueError, "shape"),
    ],
)
def test_waveform_bad_inputs(factory, error, text):
    with pytest.raises(error, match=text):
        factory()
