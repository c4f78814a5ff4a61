"""Peri-stimulus time histograms and smoothed rates."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bioneuro.plotting._figure import new_figure

__all__ = ["plot_psth"]


def plot_psth(edges_s, rate_Hz, *, smoothed=None, event_aligned: bool = False, color: str = "#0072B2") -> Figure:
    """Plot a PSTH given as bin edges and rates (e.g. from :func:`bioneuro.analysis.psth`).

    Parameters
    ----------
    edges_s : array_like [s], shape (n_bins + 1,)
    rate_Hz : array_like [Hz], shape (n_bins,)
    smoothed : (times_s, rate_Hz), optional
        A kernel-smoothed rate drawn on top (e.g. from ``instantaneous_rate``).
    event_aligned : bool
        Label the axis as time from event onset and mark t = 0.

    Returns
    -------
    matplotlib.figure.Figure
    """
    edges = np.asarray(edges_s, dtype=float)
    rate = np.asarray(rate_Hz, dtype=float)
    if edges.ndim != 1 or rate.ndim != 1 or edges.size != rate.size + 1:
        raise ValueError(f"edges_s needs one more entry than rate_Hz, got {edges.shape} and {rate.shape}")
    fig = new_figure()
    ax = fig.subplots()
    ax.stairs(rate, edges, fill=True, color=color, alpha=0.6, label="PSTH")
    if smoothed is not None:
        ax.plot(np.asarray(smoothed[0]), np.asarray(smoothed[1]), color="k", lw=1.2, label="smoothed")
        ax.legend(fontsize="small")
    if event_aligned:
        ax.axvline(0.0, color="0.3", ls="--", lw=0.8)
        ax.set_xlabel("time from event (s)")
    else:
        ax.set_xlabel("time (s)")
    ax.set_ylabel("rate (Hz)")
    ax.set_xlim(edges[0], edges[-1])
    return fig
