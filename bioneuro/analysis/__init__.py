"""Spike-raster analysis: pure, vectorised functions over ``(neuron index, spike time)`` arrays.

Convention: times are float seconds (parameters named ``*_s``), rates hertz (``*_Hz``); each such
parameter also accepts a Brian2 or python-quantities quantity, converted at the boundary. Build a
:class:`Raster` with :func:`make_raster` (validates, sorts) and pass it to the statistics. Nothing
here imports Brian2.
"""

from bioneuro.analysis.binning import binned_counts
from bioneuro.analysis.correlation import cross_correlogram, spike_count_correlation
from bioneuro.analysis.distances import van_rossum_distance, victor_purpura_distance
from bioneuro.analysis.isi import cv2, interspike_intervals, isi_cv, lv, lvr
from bioneuro.analysis.raster import Raster, make_raster
from bioneuro.analysis.rates import (
    firing_rates,
    instantaneous_rate,
    mean_rate,
    population_rate,
    psth,
)
from bioneuro.analysis.spike_detection import detect_spikes, detect_spikes_in_trace
from bioneuro.analysis.synchrony import SpikeContrastTrace, spike_contrast
from bioneuro.analysis.variability import (
    fano_factor,
    fano_factor_across_trials,
    fano_factor_from_counts,
)

__all__ = [
    "Raster",
    "make_raster",
    "binned_counts",
    "firing_rates",
    "mean_rate",
    "population_rate",
    "psth",
    "instantaneous_rate",
    "interspike_intervals",
    "isi_cv",
    "cv2",
    "lv",
    "lvr",
    "fano_factor",
    "fano_factor_from_counts",
    "fano_factor_across_trials",
    "spike_count_correlation",
    "cross_correlogram",
    "van_rossum_distance",
    "victor_purpura_distance",
    "spike_contrast",
    "SpikeContrastTrace",
    "detect_spikes",
    "detect_spikes_in_trace",
]
