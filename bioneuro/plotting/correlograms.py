"""Cross- and autocorrelograms."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bioneuro.plotting._figure import new_figure

__all__ = ["plot_correlogram"]


def plot_correlogram(lags_s, counts, *, title: str | None = None, color: str = "#009E73") -> Figure:
    """Bar plot of a correlogram (e.g. from :func:`bioneuro.analysis.cross_correlogram`).

    Parameters
    ----------
    lags_s : array_like [s], shape (n_lags,)
        Lag of each bin (uniformly spaced).
    counts : array_like, shape (n_lags,)
        Coincidence counts.

    Returns
    -------
    matplotlib.figure.Figure
        Counts against lag in ms.
    """
    lags = np.asarray(lags_s, dtype=float)
    counts = np.asarray(counts, dtype=float)
    if lags.shape != counts.shape or lags.ndim != 1:
        raise ValueError(f"lags_s and counts must be 1-D of equal length, got {lags.shape} and {counts.shape}")
    width = float(np.diff(lags).min()) if lags.size > 1 else 1e-3
    fig = new_figure()
    ax = fig.subplots()
    ax.bar(lags * 1e3, counts, width=width * 1e3, color=color)
    ax.axvline(0.0, color="0.3", ls="--", lw=0.8)
    ax.set_xlabel("lag (ms)")
    ax.set_ylabel("coincidences (count)")
    if title:
        ax.set_title(title)
    return fig
