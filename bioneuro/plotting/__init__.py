"""Plotting: functions take data (plain arrays in SI units, Rasters) and return a matplotlib Figure.

One module per family of plots; figures use the Agg canvas (no pyplot, no ``show``).
"""

from bioneuro.plotting.correlograms import plot_correlogram
from bioneuro.plotting.distances import plot_distance_matrix
from bioneuro.plotting.isi import plot_isi_histogram
from bioneuro.plotting.psth import plot_psth
from bioneuro.plotting.raster import plot_raster

__all__ = [
    "plot_raster",
    "plot_isi_histogram",
    "plot_psth",
    "plot_correlogram",
    "plot_distance_matrix",
]
