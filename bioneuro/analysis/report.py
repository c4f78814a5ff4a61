"""``bioneuro analyze``: standard statistics and figures of a spike raster, written as a report folder.

:func:`analyze` loads a run folder, an NWB file or a plain raster (``.npz``, ``.csv``, HDF5; see
:mod:`bioneuro.io.raster_files`), computes the summary statistics of every population and of all
populations together, draws the standard figures and, given ``out_dir``, writes ``metrics.json``
and one PNG per figure there. ``run_analyze`` is the CLI entry point wired by ``bioneuro.cli``.

``metrics.json`` holds, at the top level for all populations together, ``n_neurons``, ``n_spikes``,
``mean_rate_Hz``, ``cv_isi_mean``, ``fano_factor_mean`` (plus LV, CV2, LvR, spike contrast and the
analysis window and bins) and the same per population under ``"populations"``. JSON has no NaN: an
undefined value is ``null`` with a ``<key>_note`` that says why (e.g. no neuron has 3 spikes).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bioneuro.analysis._units import as_seconds
from bioneuro.analysis.correlation import spike_count_correlation
from bioneuro.analysis.isi import cv2, isi_cv, lv, lvr
from bioneuro.analysis.raster import Raster
from bioneuro.analysis.rates import firing_rates, instantaneous_rate, mean_rate, population_rate
from bioneuro.analysis.synchrony import spike_contrast
from bioneuro.analysis.variability import fano_factor

__all__ = ["analyze", "add_analyze_parser", "run_analyze", "summarize_raster"]

#: Default bin of the population rate / PSTH panel.
DEFAULT_BIN_S = 0.01
#: Counting window of the Fano factor.
DEFAULT_FANO_WINDOW_S = 0.1
#: Most active neurons shown in the count-correlation matrix.
MAX_CORRELATION_NEURONS = 50


def _mean_or_note(values: np.ndarray, what: str, need: str) -> tuple[float | None, str | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, f"undefined: no neuron {need} ({what} is NaN for all)"
    return float(finite.mean()), None


def summarize_raster(raster: Raster, *, bin_size_s=DEFAULT_BIN_S, fano_window_s=DEFAULT_FANO_WINDOW_S) -> dict:
    """Summary statistics of one raster as a JSON-ready dict (``None`` + ``*_note`` if undefined)."""
    out: dict = {
        "n_neurons": int(raster.n_neurons),
        "n_spikes": int(raster.n_spikes),
        "t_start_s": raster.t_start_s,
        "t_stop_s": raster.t_stop_s,
    }
    rate = mean_rate(raster)
    out["mean_rate_Hz"] = None if not np.isfinite(rate) else float(rate)
    if out["mean_rate_Hz"] is None:
        out["mean_rate_Hz_note"] = "undefined: the population has no neurons"
    rates = firing_rates(raster)
    out["n_neurons_active"] = int(np.count_nonzero(rates))
    stats = {
        "cv_isi_mean": (isi_cv(raster), "CV", "has >= 3 spikes"),
        "cv2_mean": (cv2(raster), "CV2", "has >= 3 spikes"),
        "lv_mean": (lv(raster), "LV", "has >= 3 spikes"),
        "lvr_mean": (lvr(raster), "LvR (R = 5 ms)", "has >= 3 spikes"),
    }
    window = as_seconds(fano_window_s, "fano_window_s")
    if window <= raster.duration_s:
        stats["fano_factor_mean"] = (fano_factor(raster, window), "Fano factor", "fires in the counting windows")
    else:
        out["fano_factor_mean"] = None
        out["fano_factor_mean_note"] = f"undefined: window {raster.duration_s} s is shorter than one counting window"
    for key, (values, what, need) in stats.items():
        value, note = _mean_or_note(values, what, need)
        out[key] = value
        if note:
            out[key + "_note"] = note
    out["n_neurons_with_cv"] = int(np.count_nonzero(np.isfinite(stats["cv_isi_mean"][0])))
    out["fano_window_s"] = window
    out["bin_size_s"] = as_seconds(bin_size_s, "bin_size_s")
    try:
        out["spike_contrast"] = float(spike_contrast(raster))
    except ValueError as err:
        out["spike_contrast"] = None
        out["spike_contrast_note"] = f"undefined: {err}"
    return out


def _combine(rasters: dict[str, Raster]) -> Raster:
    if len(rasters) == 1:
        return next(iter(rasters.values()))
    from bioneuro.analysis.raster import make_raster

    offsets = np.cumsum([0] + [r.n_neurons for r in rasters.values()])[:-1]
    ids = np.concatenate([r.node_ids + off for r, off in zip(rasters.values(), offsets, strict=True)])
    times = np.concatenate([r.times_s for r in rasters.values()])
    return make_raster(
        ids,
        times,
        n_neurons=int(sum(r.n_neurons for r in rasters.values())),
        t_start_s=min(r.t_start_s for r in rasters.values()),
        t_stop_s=max(r.t_stop_s for r in rasters.values()),
        assume_sorted=True,
    )


def _figures(rasters: dict[str, Raster], combined: Raster, bin_size: float) -> dict:
    from bioneuro.plotting.distances import plot_distance_matrix
    from bioneuro.plotting.isi import plot_isi_histogram
    from bioneuro.plotting.psth import plot_psth
    from bioneuro.plotting.raster import plot_raster

    figures = {"raster": plot_raster(rasters, rate_bin_s=bin_size)}
    figures["isi_histogram"] = plot_isi_histogram(combined)
    edges, rate = population_rate(combined, bin_size)
    smooth = instantaneous_rate(combined, 2.0 * bin_size) if combined.duration_s > 4 * bin_size else None
    figures["psth"] = plot_psth(edges, rate, smoothed=smooth)
    active = np.argsort(combined.spike_counts())[::-1][:MAX_CORRELATION_NEURONS]
    active = np.sort(active[combined.spike_counts()[active] > 0])
    if active.size >= 2:
        corr = spike_count_correlation(combined.select(active), bin_size)
        figures["count_correlation"] = plot_distance_matrix(
            corr,
            label="spike-count correlation (dimensionless)",
            title=f"{active.size} most active neurons, {bin_size * 1e3:g} ms bins",
            cmap="RdBu_r",
            vmin=-1.0,
            vmax=1.0,
        )
    return figures


def analyze(
    path,
    *,
    population: str | None = None,
    t_start=None,
    t_stop=None,
    bin_size=None,
    out_dir=None,
    fano_window=DEFAULT_FANO_WINDOW_S,
    figures: bool = True,
) -> tuple[dict, dict]:
    """Analyse the spike rasters in ``path``.

    Parameters
    ----------
    path : str or Path
        Run folder, ``run.h5``, ``.nwb``, HDF5, ``.npz`` or ``.csv`` raster.
    population : str, optional
        Analyse only this population (ValueError listing the present ones if absent).
    t_start, t_stop : float [s] or Quantity, optional
        Analysis window (default: the recorded window).
    bin_size : float [s] or Quantity, optional
        Bin of the population rate / PSTH and of count correlations; default 10 ms.
    out_dir : str or Path, optional
        If given, write ``metrics.json`` and ``<figure>.png`` there (created if needed).
    fano_window : float [s] or Quantity
        Counting window of the Fano factor.
    figures : bool
        Draw figures (set False for metrics only).

    Returns
    -------
    metrics : dict
        JSON-ready (see module docstring).
    figures : dict of str to matplotlib Figure
    """
    from bioneuro.io.raster_files import load_rasters

    rasters = load_rasters(path, population)
    bin_s = DEFAULT_BIN_S if bin_size is None else as_seconds(bin_size, "bin_size")
    if not bin_s > 0:
        raise ValueError(f"bin size must be > 0, got {bin_s!r} s")
    if t_start is not None or t_stop is not None:
        rasters = {name: r.crop(t_start, t_stop) for name, r in rasters.items()}
    combined = _combine(rasters)
    if bin_s > combined.duration_s:
        raise ValueError(f"bin size {bin_s} s is longer than the analysis window {combined.duration_s} s")
    metrics = summarize_raster(combined, bin_size_s=bin_s, fano_window_s=fano_window)
    metrics["source"] = str(path)
    metrics["populations"] = {
        name: summarize_raster(r, bin_size_s=bin_s, fano_window_s=fano_window) for name, r in rasters.items()
    }
    figs = _figures(rasters, combined, bin_s) if figures else {}
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=False) + "\n")
        for name, fig in figs.items():
            fig.savefig(out / f"{name}.png", dpi=120)
    return metrics, figs


def add_analyze_parser(subparsers) -> None:
    """Register ``bioneuro analyze PATH [--population NAME] [--t-start T] [--t-stop T] [--bin T]``."""
    parser = subparsers.add_parser(
        "analyze",
        help="statistics and figures of a spike raster (run folder, NWB, HDF5, .npz, .csv)",
        description="Compute rates, ISI variability, Fano factor and synchrony of a spike raster and "
        "write a report folder with metrics.json and figures.",
    )
    parser.add_argument("path", type=Path, help="run folder, run.h5, .nwb, .h5, .npz or .csv raster")
    parser.add_argument("--population", metavar="NAME", default=None, help="analyse only this population")
    parser.add_argument("--t-start", metavar="T", default=None, help='window start, e.g. "100 ms"')
    parser.add_argument("--t-stop", metavar="T", default=None, help='window end, e.g. "2 s"')
    parser.add_argument("--bin", metavar="T", default=None, help='rate/PSTH bin, e.g. "10 ms" (default 10 ms)')
    parser.add_argument(
        "--report", type=Path, default=None, metavar="DIR",
        help="report folder (default: <run folder>/analysis, or <file stem>_analysis next to the file)",
    )


def _default_report_dir(path: Path) -> Path:
    if path.is_dir():
        return path / "analysis"
    if path.name == "run.h5":
        return path.parent / "analysis"
    return path.with_name(path.stem + "_analysis")


def _time_arg(text, name: str):
    if text is None:
        return None
    from brian2 import second

    from bioneuro.quantities import parse_quantity

    return parse_quantity(text, second, name=name)


def run_analyze(args) -> int:
    """CLI handler: analyse ``args.path``, write the report folder and print a short summary."""
    path = Path(args.path)
    out_dir = args.report if getattr(args, "report", None) is not None else _default_report_dir(path)
    metrics, figs = analyze(
        path,
        population=args.population,
        t_start=_time_arg(args.t_start, "--t-start"),
        t_stop=_time_arg(args.t_stop, "--t-stop"),
        bin_size=_time_arg(args.bin, "--bin"),
        out_dir=out_dir,
    )

    def fmt(value, spec=".3g"):
        return "undefined" if value is None else format(value, spec)

    print(f"analysed {path}  window [{metrics['t_start_s']:g}, {metrics['t_stop_s']:g}) s")
    for name, m in metrics["populations"].items():
        print(
            f"  {name}: {m['n_neurons']} neurons, {m['n_spikes']} spikes, "
            f"rate {fmt(m['mean_rate_Hz'])} Hz, CV {fmt(m['cv_isi_mean'])}, "
            f"Fano {fmt(m['fano_factor_mean'])}, spike contrast {fmt(m['spike_contrast'])}"
        )
    print(f"report: {out_dir} (metrics.json, {', '.join(f + '.png' for f in figs)})")
    return 0
