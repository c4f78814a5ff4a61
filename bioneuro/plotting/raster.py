"""Raster plot with a population-rate panel, one colour per population."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from bioneuro.analysis.raster import Raster
from bioneuro.analysis.rates import population_rate
from bioneuro.plotting._figure import new_figure, population_colors

__all__ = ["plot_raster"]


def plot_raster(
    rasters,
    *,
    rate_bin_s=None,
    colors: Mapping[str, str] | None = None,
    marker_size: float = 4.0,
    max_points: int = 200_000,
    title: str | None = None,
) -> Figure:
    """Spike raster (top) and population rate (bottom), populations stacked and coloured.

    Parameters
    ----------
    rasters : Raster or dict of str to Raster
        Populations to draw; neurons of later populations are drawn above earlier ones.
    rate_bin_s : float [s], optional
        Bin of the rate panel; default 1/100 of the longest window.
    colors : dict of str to colour, optional
        Colour per population (default: a colour-blind-safe cycle).
    marker_size : float
        Dot size in points squared.
    max_points : int
        At most this many spikes are drawn per population (an evenly strided subset, noted in the
        legend); the rate panel always uses every spike.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if isinstance(rasters, Raster):
        rasters = {"population": rasters}
    if not isinstance(rasters, Mapping) or not rasters:
        raise ValueError("plot_raster needs a Raster or a non-empty dict of population name -> Raster")
    colors = {**population_colors(rasters), **(colors or {})}
    t0 = min(r.t_start_s for r in rasters.values())
    t1 = max(r.t_stop_s for r in rasters.values())
    bin_s = (t1 - t0) / 100.0 if rate_bin_s is None else float(rate_bin_s)
    fig = new_figure(7.0, 5.0)
    ax_r, ax_p = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    offset = 0
    ticks, labels = [], []
    for name, r in rasters.items():
        step = max(1, int(np.ceil(r.n_spikes / max_points)))
        label = name if step == 1 else f"{name} (every {step}th spike)"
        ax_r.scatter(
            r.times_s[::step], r.node_ids[::step] + offset, s=marker_size, c=colors[name],
            marker=".", linewidths=0, label=label, rasterized=True,
        )
        ticks.append(offset + r.n_neurons / 2.0)
        labels.append(name)
        edges, rate = population_rate(r, bin_s)
        ax_p.stairs(rate, edges, color=colors[name], label=name)
        offset += r.n_neurons
    ax_r.set_ylabel("neuron index")
    ax_r.set_ylim(-0.5, max(offset, 1) - 0.5)
    if len(rasters) > 1:
        ax_r.legend(loc="upper right", fontsize="small", markerscale=4)
    ax_p.set_xlabel("time (s)")
    ax_p.set_ylabel("rate (Hz)")
    ax_p.set_xlim(t0, t1)
    if title:
        ax_r.set_title(title)
    return fig
