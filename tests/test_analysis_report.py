"""`bioneuro analyze`: report folder, metrics.json (oracle: direct computation), errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bioneuro.analysis import fano_factor, isi_cv, make_raster
from bioneuro.analysis.report import analyze
from bioneuro.io.interchange import write_nwb
from bioneuro.io.raster_files import save_raster_npz

REQUIRED = ("n_neurons", "n_spikes", "mean_rate_Hz", "cv_isi_mean", "fano_factor_mean")


@pytest.fixture(scope="module")
def poisson(tmp_path_factory):
    rng = np.random.default_rng(8)
    counts = rng.poisson(20 * 3.0, 40)
    ids = np.repeat(np.arange(40), counts)
    r = make_raster(ids, rng.uniform(0, 3.0, ids.size), n_neurons=42, t_stop_s=3.0)
    folder = tmp_path_factory.mktemp("data")
    return r, save_raster_npz(folder / "pois.npz", r)


def test_analyze_metrics_match_direct_computation(poisson, tmp_path):
    r, path = poisson
    metrics, figs = analyze(path, out_dir=tmp_path / "rep")
    assert metrics["n_neurons"] == 42 and metrics["n_spikes"] == r.n_spikes
    assert metrics["mean_rate_Hz"] == pytest.approx(r.n_spikes / (42 * 3.0))
    assert metrics["cv_isi_mean"] == pytest.approx(np.nanmean(isi_cv(r)))
    assert metrics["fano_factor_mean"] == pytest.approx(np.nanmean(fano_factor(r, 0.1)))
    on_disk = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    assert all(on_disk[k] is not None for k in REQUIRED)
    assert {"raster", "isi_histogram", "psth"} <= set(figs)
    assert (tmp_path / "rep" / "raster.png").is_file()


def test_cli_analyze_window_bin_and_summary(poisson, tmp_path, capsys):
    cli = pytest.importorskip("bioneuro.cli")
    _, path = poisson
    rc = cli.main(["analyze", str(path), "--t-start", "1 s", "--t-stop", "2500 ms", "--bin", "20 ms",
                   "--report", str(tmp_path / "rep")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "42 neurons" in out and "metrics.json" in out
    metrics = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    assert (metrics["t_start_s"], metrics["t_stop_s"], metrics["bin_size_s"]) == (1.0, 2.5, 0.02)


def test_cli_errors_are_clear(poisson, tmp_path, capsys):
    cli = pytest.importorskip("bioneuro.cli")
    r, _ = poisson
    nwb = write_nwb(tmp_path / "x.nwb", {"exc": r})
    assert cli.main(["analyze", str(nwb), "--population", "inh", "--report", str(tmp_path / "r")]) == 2
    assert "available: ['exc']" in capsys.readouterr().err
    bad = tmp_path / "bad.h5"
    bad.write_text("not hdf5")
    assert cli.main(["analyze", str(bad)]) == 2
    assert "neither NWB nor HDF5" in capsys.readouterr().err


def test_undefined_statistics_are_null_with_a_reason(tmp_path):
    path = save_raster_npz(tmp_path / "sparse.npz", make_raster([0, 1], [0.1, 0.2], n_neurons=2, t_stop_s=1.0))
    metrics, _ = analyze(path, figures=False)
    assert metrics["cv_isi_mean"] is None and "3 spikes" in metrics["cv_isi_mean_note"]
    assert metrics["spike_contrast"] is None and "spike_contrast_note" in metrics
    json.dumps(metrics, allow_nan=False)  # valid JSON: no NaN anywhere
