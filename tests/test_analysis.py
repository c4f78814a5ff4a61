"""Closed-form oracles and bad-input behaviour of bioneuro.analysis (Elephant oracles live in
test_analysis_elephant.py)."""

from __future__ import annotations

import numpy as np
import pytest

from bioneuro.analysis import (
    Raster,
    binned_counts,
    cross_correlogram,
    cv2,
    detect_spikes,
    detect_spikes_in_trace,
    fano_factor,
    fano_factor_across_trials,
    fano_factor_from_counts,
    firing_rates,
    instantaneous_rate,
    isi_cv,
    lv,
    lvr,
    make_raster,
    mean_rate,
    population_rate,
    psth,
    spike_contrast,
    spike_count_correlation,
    van_rossum_distance,
    victor_purpura_distance,
)


def poisson_raster(n_neurons, rate_Hz, t_stop_s, seed):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rate_Hz * t_stop_s, n_neurons)
    ids = np.repeat(np.arange(n_neurons), counts)
    times = rng.uniform(0.0, t_stop_s, ids.size)
    return make_raster(ids, times, n_neurons=n_neurons, t_stop_s=t_stop_s)


# ------------------------------------------------------------------------------------- closed forms
def test_regular_train_has_zero_cv_and_lv():
    times = np.arange(0.0, 1.0, 0.01) + 0.005
    r = make_raster(np.zeros(times.size, dtype=int), times, t_stop_s=1.0)
    assert isi_cv(r)[0] == pytest.approx(0.0, abs=1e-9)
    assert cv2(r)[0] == pytest.approx(0.0, abs=1e-9)
    assert lv(r)[0] == pytest.approx(0.0, abs=1e-9)
    # LvR of a regular train is 0 whatever R (first factor vanishes)
    assert lvr(r, 0.005)[0] == pytest.approx(0.0, abs=1e-9)


def test_poisson_cv_and_fano_near_one_within_sampling_error():
    r = poisson_raster(200, 20.0, 50.0, seed=1)  # ~1000 ISIs per neuron
    cv = isi_cv(r)
    se = cv.std() / np.sqrt(cv.size)
    assert abs(cv.mean() - 1.0) < 5 * se + 2e-3  # 2e-3: O(1/n) estimator bias
    n_win = 500
    ff = fano_factor(r, 50.0 / n_win)
    expected = (n_win - 1) / n_win  # ddof=0 estimator of a Poisson variance
    assert abs(ff.mean() - expected) < 5 * ff.std() / np.sqrt(ff.size)
    # LV and CV2 of a Poisson process are also 1 (Shinomoto 2003; Holt 1996)
    assert abs(lv(r).mean() - 1.0) < 5 * lv(r).std() / np.sqrt(r.n_neurons) + 2e-3
    assert abs(cv2(r).mean() - 1.0) < 5 * cv2(r).std() / np.sqrt(r.n_neurons) + 2e-3


def test_rates_count_over_window():
    r = make_raster([0, 0, 2, 2, 2], [0.1, 0.2, 0.3, 0.4, 1.9], n_neurons=4, t_start_s=0.0, t_stop_s=2.0)
    np.testing.assert_allclose(firing_rates(r), [1.0, 0.0, 1.5, 0.0])
    assert mean_rate(r) == pytest.approx(5 / (4 * 2.0))
    edges, rate = population_rate(r, 0.5)
    np.testing.assert_allclose(edges, [0, 0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(rate, np.array([4, 0, 0, 1]) / (4 * 0.5))


def test_psth_aligned_to_events():
    # neuron 0 fires 10 ms after each event, neuron 1 never: rate = 1 / (2 neurons * bin) in that bin
    events = np.array([1.0, 2.0, 3.0])
    r = make_raster(np.zeros(3, dtype=int), events + 0.0105, n_neurons=2, t_stop_s=4.0)
    edges, rate = psth(r, 0.005, event_times_s=events, window_s=(-0.02, 0.03))
    assert edges[0] == pytest.approx(-0.02) and edges.size == 11
    expected = np.zeros(10)
    expected[6] = 3 / (3 * 2 * 0.005)  # bin [0.010, 0.015)
    np.testing.assert_allclose(rate, expected)


def test_instantaneous_rate_matches_exact_kernel_sum():
    # spikes at bin centres: the sampled convolution equals the exact Gaussian sum up to the
    # kernel-sample normalisation (sum of samples * dt vs 1: ~1e-200 for sigma/dt = 5) and the
    # truncation at 10 sigma (e^-50)
    dt, sigma = 0.001, 0.005
    times = (np.array([100, 130, 400, 410, 700]) + 0.5) * dt
    r = make_raster([0, 1, 0, 1, 0], times, n_neurons=2, t_stop_s=1.0)
    centres, rate = instantaneous_rate(r, sigma, sampling_period_s=dt, cutoff_sigmas=10.0)
    exact = np.exp(-0.5 * ((centres[:, None] - times[None, :]) / sigma) ** 2).sum(1)
    exact /= sigma * np.sqrt(2 * np.pi) * r.n_neurons
    np.testing.assert_allclose(rate, exact, rtol=1e-6, atol=1e-6 * exact.max())
    assert np.sum(rate) * dt * r.n_neurons == pytest.approx(times.size, rel=1e-9)


def test_van_rossum_closed_forms():
    tau = 0.01
    d = van_rossum_distance([np.array([0.5]), np.array([])], tau)
    assert d[0, 1] == pytest.approx(1.0, rel=1e-12)
    for delta in (0.0, 0.001, 0.01, 0.05):
        d = van_rossum_distance([np.array([0.3]), np.array([0.3 + delta])], tau)
        assert d[0, 1] == pytest.approx(np.sqrt(2 * (1 - np.exp(-delta / tau))), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(van_rossum_distance([[0.1, 0.2], [0.3]], np.inf), [[0, 1], [1, 0]])


def test_van_rossum_long_times_do_not_overflow():
    # t / tau = 1e6: the log-space recursion must stay finite
    a = np.array([1000.0, 1000.002])
    d = van_rossum_distance([a, a + 0.001], 0.001)
    assert np.all(np.isfinite(d)) and d[0, 1] > 0


def test_victor_purpura_closed_forms():
    # q = 0: count difference; large q: shifting costs more than 2 so delete + insert
    trains = [np.array([0.1, 0.5]), np.array([0.12]), np.array([])]
    np.testing.assert_allclose(victor_purpura_distance(trains, 0.0), [[0, 1, 2], [1, 0, 1], [2, 1, 0]])
    d = victor_purpura_distance(trains, 10.0)
    assert d[0, 1] == pytest.approx(1 + 10 * 0.02)
    assert victor_purpura_distance(trains, 1e6)[0, 1] == pytest.approx(3.0)


def test_victor_purpura_matches_brute_force_recursion():
    # second formulation: the textbook O(nm) table filled cell by cell
    rng = np.random.default_rng(5)
    a, b = np.sort(rng.uniform(0, 1, 7)), np.sort(rng.uniform(0, 1, 5))
    q = 4.0
    table = np.zeros((a.size + 1, b.size + 1))
    table[:, 0] = np.arange(a.size + 1)
    table[0, :] = np.arange(b.size + 1)
    for i in range(1, a.size + 1):
        for j in range(1, b.size + 1):
            table[i, j] = min(table[i - 1, j] + 1, table[i, j - 1] + 1,
                              table[i - 1, j - 1] + q * abs(a[i - 1] - b[j - 1]))
    assert victor_purpura_distance([a, b], q)[0, 1] == pytest.approx(table[-1, -1], rel=1e-12)


def test_spike_count_correlation_of_copies_is_one():
    r0 = poisson_raster(1, 30.0, 5.0, seed=2)
    r = make_raster(np.concatenate([r0.node_ids, r0.node_ids + 1]), np.tile(r0.times_s, 2), n_neurons=3,
                    t_stop_s=5.0)
    c = spike_count_correlation(r, 0.05)
    assert c[0, 1] == pytest.approx(1.0)
    assert np.isnan(c[2]).all()  # silent neuron: undefined


def test_autocorrelogram_zero_lag_counts_spikes():
    times = np.array([0.1, 0.105, 0.3])
    lags, counts = cross_correlogram(times, times, bin_size_s=0.005, max_lag_s=0.01, t_start_s=0, t_stop_s=1)
    np.testing.assert_allclose(lags, [-0.01, -0.005, 0, 0.005, 0.01])
    np.testing.assert_array_equal(counts, [0, 1, 3, 1, 0])


def test_spike_contrast_bounds():
    r = poisson_raster(20, 10.0, 5.0, seed=3)
    s = spike_contrast(r)
    assert 0.0 <= s < 0.5  # independent Poisson trains: low synchrony


def test_detect_spikes_interpolated_crossing_of_a_sine():
    # v = sin(2 pi f t) crosses 0.5 upwards at t = (1/12 + k) / f
    f, dt = 5.0, 1e-4
    t = np.arange(0, 1.0, dt)
    r = detect_spikes(np.sin(2 * np.pi * f * t), 0.5, dt_s=dt, interpolate=True)
    expected = (1 / 12 + np.arange(5)) / f
    np.testing.assert_allclose(r.train(0), expected, atol=2e-7)  # linear interpolation, O(dt^2)


def test_detect_spikes_refractory_and_quantities():
    b2 = pytest.importorskip("brian2")
    v = np.array([0, 1, 0, 1, 0, 0, 0, 1, 0], dtype=float) * 20 - 70
    r = detect_spikes(v * b2.mV, -60 * b2.mV, dt_s=1 * b2.ms, refractory_s=2.5 * b2.ms)
    np.testing.assert_allclose(r.times_s, [0.001, 0.007])
    with pytest.raises(TypeError, match="same unit"):
        detect_spikes(v * b2.mV, -60.0, dt_s=0.001)


def test_fano_across_trials_and_from_counts():
    counts = np.array([[2, 4, 6], [0, 0, 0]])
    ff = fano_factor_from_counts(counts)
    assert ff[0] == pytest.approx(np.var([2, 4, 6]) / 4)
    assert np.isnan(ff[1])
    trials = [make_raster(np.zeros(c, dtype=int), np.linspace(0.1, 0.9, c), n_neurons=2, t_stop_s=1.0)
              for c in (2, 4, 6)]
    np.testing.assert_allclose(fano_factor_across_trials(trials), ff)


def test_fano_lean_path_equals_dense_counts():
    r = poisson_raster(50, 15.0, 3.0, seed=9)
    counts, _ = binned_counts(r, 0.07)
    np.testing.assert_allclose(fano_factor(r, 0.07), fano_factor_from_counts(counts), rtol=1e-12)


def test_unsorted_input_is_sorted_and_time_sorted_fast_path_agrees():
    rng = np.random.default_rng(11)
    ids = rng.integers(0, 5, 200)
    times = rng.uniform(0, 1, 200)
    a = make_raster(ids, times, t_stop_s=1.0)
    order = np.argsort(times)
    b = make_raster(ids[order], times[order], t_stop_s=1.0)
    np.testing.assert_array_equal(a.node_ids, b.node_ids)
    np.testing.assert_array_equal(a.times_s, b.times_s)
    assert np.all(np.diff(a.node_ids) >= 0)


def test_quantities_accepted_at_the_boundary():
    b2 = pytest.importorskip("brian2")
    r = Raster.from_quantities([0, 1], np.array([10.0, 20.0]) * b2.ms, t_stop=1 * b2.second)
    np.testing.assert_allclose(r.times_s, [0.01, 0.02])
    np.testing.assert_allclose(population_rate(r, 500 * b2.ms)[1], [2.0, 0.0])
    with pytest.raises(TypeError, match="time quantity"):
        population_rate(r, 5 * b2.mV)


# ---------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("ids", "times", "kwargs", "match"),
    [
        ([0, 1], [0.1], {}, "same length"),
        ([0, -1], [0.1, 0.2], {}, ">= 0"),
        ([0, 1], [0.1, np.nan], {}, "finite"),
        ([0.5], [0.1], {}, "whole numbers"),
        ([0, 1], [-0.1, 0.2], {"t_start_s": 0.0}, "before t_start_s"),
        ([0, 1], [0.1, 2.0], {"t_stop_s": 1.0}, "beyond t_stop_s"),
        ([0, 1], [0.1, 1.0], {"t_stop_s": 1.0}, "beyond t_stop_s"),
        ([], [], {}, "explicit t_stop_s"),
        ([3], [0.1], {"n_neurons": 2}, "< n_neurons"),
        ([0], [0.1], {"t_start_s": 1.0, "t_stop_s": 0.5}, "greater than t_start_s"),
    ],
)
def test_bad_rasters_are_refused_with_a_clear_message(ids, times, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_raster(ids, times, **kwargs)


def test_negative_times_allowed_with_matching_window():
    r = make_raster([0, 0], [-0.5, 0.2])  # default window starts at the earliest spike
    assert r.t_start_s == -0.5


def test_empty_raster_gives_documented_nan():
    r = make_raster([], [], n_neurons=3, t_stop_s=1.0)
    np.testing.assert_array_equal(firing_rates(r), 0.0)
    for stat in (isi_cv(r), cv2(r), lv(r), lvr(r), fano_factor(r, 0.1)):
        assert stat.shape == (3,) and np.all(np.isnan(stat))
    assert np.all(population_rate(r, 0.1)[1] == 0)
    with pytest.raises(ValueError, match="at least 2 spikes"):
        spike_contrast(r)
    np.testing.assert_array_equal(van_rossum_distance(r, 0.01), np.zeros((3, 3)))


def test_zero_neuron_raster_and_bad_parameters():
    r = make_raster([], [], n_neurons=0, t_stop_s=1.0)
    assert np.isnan(mean_rate(r))
    assert np.all(np.isnan(population_rate(r, 0.5)[1]))
    r1 = make_raster([0], [0.5], t_stop_s=1.0)
    with pytest.raises(ValueError, match="bin_size_s must be > 0"):
        population_rate(r1, 0.0)
    with pytest.raises(ValueError, match="longer than the window"):
        population_rate(r1, 2.0)
    with pytest.raises(ValueError, match="refractory_s must be >= 0"):
        lvr(r1, -1.0)
    with pytest.raises(ValueError, match="outside the raster window"):
        psth(r1, 0.01, event_times_s=[0.95], window_s=(0.0, 0.1))
    with pytest.raises(ValueError, match="exactly one of"):
        detect_spikes(np.zeros(5), 0.0)


def test_detect_spikes_in_record_trace_maps_node_ids():
    record = pytest.importorskip("bioneuro.io.record")
    b2 = pytest.importorskip("brian2")
    t = np.arange(0, 0.01, 0.001)
    values = np.full((t.size, 2), -0.07)
    values[4, 0] = values[7, 1] = 0.02  # neuron 5 spikes at 4 ms, neuron 2 at 7 ms
    trace = record.StateTrace(times=t * b2.second, values=values * b2.volt, node_ids=np.array([5, 2]))
    r = detect_spikes_in_trace(trace, 0 * b2.mV, n_neurons=8)
    assert r.n_neurons == 8
    np.testing.assert_allclose(r.train(5), [0.004])
    np.testing.assert_allclose(r.train(2), [0.007])


def test_select_and_crop_keep_the_right_spikes():
    rng = np.random.default_rng(13)
    r = make_raster(rng.integers(0, 10, 500), rng.uniform(0, 1, 500), n_neurons=12, t_stop_s=1.0)
    chosen = [3, 1, 3, 11, 0]
    s = r.select(chosen)
    assert s.n_neurons == 5
    for k, n in enumerate(chosen):
        np.testing.assert_array_equal(s.train(k), r.train(n))
    c = r.crop(0.25, 0.5)
    assert (c.t_start_s, c.t_stop_s) == (0.25, 0.5)
    np.testing.assert_array_equal(c.spike_counts(), [np.sum((t >= 0.25) & (t < 0.5)) for t in r.trains()])
    with pytest.raises(IndexError):
        r.select([12])


def test_analysis_and_plotting_do_not_import_brian2():
    import subprocess
    import sys

    code = (
        "import sys, bioneuro.analysis, bioneuro.plotting, bioneuro.io.interchange, "
        "bioneuro.io.raster_files, bioneuro.analysis.report; "
        "assert 'brian2' not in sys.modules, 'brian2 imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
