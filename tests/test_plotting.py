"""Plots: figures carry exactly the data given (oracle: the analysis functions), with units on axes."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from bioneuro.analysis import cross_correlogram, interspike_intervals, make_raster, population_rate
from bioneuro.plotting import (
    plot_correlogram,
    plot_distance_matrix,
    plot_isi_histogram,
    plot_psth,
    plot_raster,
)


@pytest.fixture(scope="module")
def two_populations():
    rng = np.random.default_rng(4)
    exc = make_raster(rng.integers(0, 30, 900), rng.uniform(0, 1.0, 900), n_neurons=30, t_stop_s=1.0)
    inh = make_raster(rng.integers(0, 10, 300), rng.uniform(0, 1.0, 300), n_neurons=10, t_stop_s=1.0)
    return {"exc": exc, "inh": inh}


def test_raster_stacks_populations_with_colours_and_rate_panel(two_populations, tmp_path):
    fig = plot_raster(two_populations, rate_bin_s=0.05, colors={"inh": "#ff0000"})
    assert isinstance(fig, Figure)
    ax_r, ax_p = fig.axes
    exc_dots, inh_dots = ax_r.collections
    offsets = inh_dots.get_offsets()
    np.testing.assert_allclose(offsets[:, 0], two_populations["inh"].times_s)
    np.testing.assert_allclose(offsets[:, 1], two_populations["inh"].node_ids + 30)  # stacked above exc
    np.testing.assert_allclose(inh_dots.get_facecolor()[0][:3], [1, 0, 0])
    assert not np.allclose(exc_dots.get_facecolor()[0][:3], [1, 0, 0])
    stairs = [p for p in ax_p.patches]
    _, rate = population_rate(two_populations["exc"], 0.05)
    np.testing.assert_allclose(stairs[0].get_data().values, rate)
    assert ax_p.get_xlabel() == "time (s)" and ax_p.get_ylabel() == "rate (Hz)"
    fig.savefig(tmp_path / "raster.png")
    assert (tmp_path / "raster.png").stat().st_size > 1000


def test_raster_subsamples_dots_but_not_rates(two_populations):
    fig = plot_raster(two_populations["exc"], max_points=100)
    assert len(fig.axes[0].collections[0].get_offsets()) == 100  # every 9th of 900 spikes


def test_isi_histogram_counts_all_intervals(two_populations):
    r = two_populations["exc"]
    fig = plot_isi_histogram(r, max_isi_s=10.0, bin_size_s=0.01)
    (bars,) = fig.axes[0].patches
    _, isi = interspike_intervals(r)
    assert bars.get_data().values.sum() == isi.size
    assert fig.axes[0].get_xlabel() == "interspike interval (ms)"


def test_isi_histogram_of_empty_raster_says_so():
    fig = plot_isi_histogram(make_raster([], [], n_neurons=2, t_stop_s=1.0))
    assert "no interspike intervals" in fig.axes[0].texts[0].get_text()


def test_psth_correlogram_matrix_axes_and_data(two_populations):
    r = two_populations["exc"]
    edges, rate = population_rate(r, 0.1)
    fig = plot_psth(edges, rate, event_aligned=True)
    np.testing.assert_allclose(fig.axes[0].patches[0].get_data().values, rate)
    assert fig.axes[0].get_ylabel() == "rate (Hz)"
    with pytest.raises(ValueError, match="one more entry"):
        plot_psth(edges, rate[:-1])

    lags, counts = cross_correlogram(r.train(0), r.train(1), bin_size_s=0.01, max_lag_s=0.1,
                                     t_start_s=0.0, t_stop_s=1.0)
    fig = plot_correlogram(lags, counts)
    heights = [p.get_height() for p in fig.axes[0].patches]
    np.testing.assert_allclose(heights, counts)
    assert fig.axes[0].get_xlabel() == "lag (ms)"

    m = np.arange(9.0).reshape(3, 3)
    fig = plot_distance_matrix(m, label="van Rossum distance (dimensionless)")
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), m)
    assert fig.axes[1].get_ylabel() == "van Rossum distance (dimensionless)"
    with pytest.raises(ValueError, match="square"):
        plot_distance_matrix(np.zeros((2, 3)))


def test_plotting_does_not_use_pyplot_state(two_populations):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_raster(two_populations)
    assert plt.get_fignums() == before
