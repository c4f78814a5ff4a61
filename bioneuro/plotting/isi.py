"""Interspike-interval histograms."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bioneuro.analysis.isi import interspike_intervals, isi_cv
from bioneuro.analysis.raster import Raster
from bioneuro.plotting._figure import new_figure

__all__ = ["plot_isi_histogram"]


def plot_isi_histogram(
    raster: Raster, *, bin_size_s=None, max_isi_s=None, log_x: bool = False, color: str = "#0072B2"
) -> Figure:
    """Histogram of all interspike intervals of a raster, pooled over neurons.

    Parameters
    ----------
    raster : Raster
    bin_size_s : float [s], optional
        Histogram bin; default 1/50 of ``max_isi_s``.
    max_isi_s : float [s], optional
        Largest ISI shown; default the 99th percentile.
    log_x : bool
        Logarithmic ISI axis (log-spaced bins).

    Returns
    -------
    matplotlib.figure.Figure
        Counts against ISI in ms; the title gives the mean CV over neurons with >= 3 spikes.
    """
    _, isi = interspike_intervals(raster)
    fig = new_figure()
    ax = fig.subplots()
    ax.set_xlabel("interspike interval (ms)")
    ax.set_ylabel("count")
    if isi.size == 0:
        ax.text(0.5, 0.5, "no interspike intervals (every neuron has < 2 spikes)",
                ha="center", va="center", transform=ax.transAxes)
        return fig
    top = float(np.percentile(isi, 99)) if max_isi_s is None else float(max_isi_s)
    top = top if top > 0 else float(isi.max()) or 1e-3
    if log_x:
        low = max(float(isi[isi > 0].min()) if np.any(isi > 0) else top / 1e3, top / 1e4)
        edges = np.geomspace(low, top, 51)
        ax.set_xscale("log")
    else:
        width = top / 50 if bin_size_s is None else float(bin_size_s)
        edges = np.arange(0.0, top + width, width)
    counts, _ = np.histogram(isi, bins=edges)
    ax.stairs(counts, edges * 1e3, fill=True, color=color)
    cv = isi_cv(raster)
    mean_cv = float(np.nanmean(cv)) if np.any(np.isfinite(cv)) else float("nan")
    ax.set_title(f"ISI histogram, {isi.size} intervals, mean CV = {mean_cv:.3g}")
    return fig
