"""Figure creation shared by the plotting modules: Agg canvas, no pyplot global state.

Every plotting function takes data and returns a :class:`matplotlib.figure.Figure`; nothing calls
``pyplot.show``. Figures are made with ``Figure()`` + the Agg canvas, so they never open windows,
are not kept alive by pyplot's figure manager, and can be saved with ``fig.savefig(path)``.
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["new_figure", "population_colors"]

#: Colour cycle for populations (colour-blind safe, Okabe & Ito 2008).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def new_figure(width_in: float = 6.4, height_in: float = 4.0) -> Figure:
    """A new Agg-backed figure of the given size in inches."""
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def population_colors(names) -> dict[str, str]:
    """Map population names to distinct colours, in order."""
    return {name: PALETTE[k % len(PALETTE)] for k, name in enumerate(names)}
