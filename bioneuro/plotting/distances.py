"""Distance and correlation matrices as images."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bioneuro.plotting._figure import new_figure

__all__ = ["plot_distance_matrix"]


def plot_distance_matrix(
    matrix,
    *,
    label: str = "distance",
    title: str | None = None,
    cmap: str = "viridis",
    labels=None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    """Show a square matrix (spike-train distances, count correlations) with a colour bar.

    Parameters
    ----------
    matrix : array_like, shape (n, n)
    label : str
        Colour-bar label including the unit, e.g. ``"van Rossum distance (dimensionless)"``.
    labels : sequence of str, optional
        Tick labels of the trains.
    vmin, vmax : float, optional
        Colour limits (e.g. -1, 1 for correlations); default the data range.

    Returns
    -------
    matplotlib.figure.Figure
    """
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"matrix must be square, got shape {m.shape}")
    fig = new_figure(5.5, 4.5)
    ax = fig.subplots()
    image = ax.imshow(m, cmap=cmap, interpolation="nearest", origin="upper", vmin=vmin, vmax=vmax)
    fig.colorbar(image, ax=ax, label=label)
    ax.set_xlabel("train")
    ax.set_ylabel("train")
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize="small")
        ax.set_yticks(range(len(labels)), labels, fontsize="small")
    if title:
        ax.set_title(title)
    return fig
