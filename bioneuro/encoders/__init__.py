"""Stimulus encoders: Poisson rate coding, latency / rank-order coding, current waveforms."""

from bioneuro.encoders.latency import latency_code, rank_order_code
from bioneuro.encoders.rate import (
    PoissonGroupSpec,
    intensity_to_rates,
    poisson_group_spec,
    poisson_spike_arrays,
    poisson_spike_sequence,
)
from bioneuro.encoders.waveforms import (
    CurrentWaveform,
    ornstein_uhlenbeck_current,
    ramp_current,
    step_current,
    white_noise_current,
)

__all__ = [
    "CurrentWaveform",
    "PoissonGroupSpec",
    "intensity_to_rates",
    "latency_code",
    "ornstein_uhlenbeck_current",
    "poisson_group_spec",
    "poisson_spike_arrays",
    "poisson_spike_sequence",
    "ramp_current",
    "rank_order_code",
    "step_current",
    "white_noise_current",
]
